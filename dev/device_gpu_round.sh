#!/usr/bin/env bash
# Issue 15's runs on a lent GPU, side by side in one call (docs/full_mode.md, "On a lent GPU"): hw5's and
# hw2's full modes (device_full_mode.sh) and hw1's capacity probes (bench_hw1_wgan.py at the critic and
# generator widths given), all stopped at DEADLINE seconds so that what they made is packed before the
# call's 10-minute limit. Runs THERE, in the repository root, with .devcarry carried:
#
#   bash dev/device_gpu_round.sh 540 "hw5_explicit hw2_wgangp" "64x64 128x128"
#
# The jobs share one GPU (time-sliced), so their seconds per epoch are upper bounds of a job run alone.
# PIXELCNN_CALIBRATION="STEP.." also trains hw5's masked CNN (bench_hw5_explicit.py) and calibrates its bar at
# those steps (calibrate_hw5_bars.py; the first step's weights become the early fixture).
# HW1_EPOCHS (default 40) and HW1_EXTRA (more bench_hw1_wgan.py options) are for a smoke run.
# $OUT gets one archive per job (the transfer takes at most 8 files of 16 MB): full-mode logs, timings,
# graded files and checkpoints; each probe's results.json, figures, final weights and its final graded
# file (generator_weights.pt, and its draw samples_1000.pt).
set -uo pipefail
deadline="${1:-540}"; homeworks="${2:-}"; probes="${3:-}"; epochs="${HW1_EPOCHS:-40}"
source "$(dirname "$0")/device_env.sh"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
out="$OUT"; runs=/tmp/gpu_round; mkdir -p "$runs"
stop=$((deadline - 45))  # the packing below takes seconds; leave it room
pids=()
for hw in $homeworks; do
    extra=(); [ "$hw" = hw2_wgangp ] && extra=(--until p6_train)  # CIFAR-10 cannot be carried
    OUT="$runs/full" FULL_MODE_SECONDS=$stop bash dev/device_full_mode.sh "$hw" "${extra[@]}" \
        > "$runs/$hw.console.txt" 2>&1 &
    pids+=($!)
done
for probe in $probes; do  # CRITICxGENERATOR
    critic="${probe%x*}"; generator="${probe#*x}"; name="hw1_c${critic}_g${generator}"
    timeout "$stop" python3 benchmarks/bench_hw1_wgan.py --epochs "$epochs" --eval-every 1 --threads 2 \
        --critic-width "$critic" --generator-width "$generator" --ema 0.999 ${HW1_EXTRA:-} \
        --out "$runs/$name" > "$runs/$name.console.txt" 2>&1 &
    pids+=($!)
done
if [ -n "${PIXELCNN_CALIBRATION:-}" ]; then  # hw5's masked CNN, saved every epoch, then its bar's calibration
    mkdir -p "$runs/hw5_pixelcnn_bar"
    ( timeout "$stop" python3 benchmarks/bench_hw5_explicit.py --model pixelcnn --device cuda --epochs 10 --minutes 60 \
          --figures "" --save-dir "$runs/pcnn" --out "$runs/hw5_pixelcnn_bar/bench.json" \
      && timeout "$stop" python3 benchmarks/calibrate_hw5_bars.py pixelcnn "$runs/pcnn" --steps $PIXELCNN_CALIBRATION \
          --json "$runs/hw5_pixelcnn_bar/hw5_pixelcnn_bar.json" --fixture "${PIXELCNN_CALIBRATION%% *}" \
          "$runs/hw5_pixelcnn_bar/early_f16.pt" \
      && cp "$runs/pcnn/index.jsonl" "$runs/pcnn/$(ls "$runs/pcnn" | grep step | sort | tail -1)" "$runs/hw5_pixelcnn_bar/" ) \
        > "$runs/hw5_pixelcnn_bar/console.txt" 2>&1 &
    pids+=($!)
fi
wait "${pids[@]}"
[ -d "$runs/hw5_pixelcnn_bar" ] && tar czf "$out/hw5_pixelcnn_bar.tgz" -C "$runs" hw5_pixelcnn_bar
for hw in $homeworks; do
    cp "$runs/$hw.console.txt" "$runs/full/$hw/" 2>/dev/null
    tar czf "$out/$hw.tgz" -C "$runs/full" "$hw"
done
for name in $(cd "$runs" && ls -d hw1_* 2>/dev/null | grep -v console); do
    mv "$runs/$name.console.txt" "$runs/$name/"
    (cd "$runs" && find "$name" -type f \( -name results.json -o -name '*.console.txt' -o -name 'generator*.pt' \
        ! -name '*epoch*' -o -name 'samples_1000.pt' -o -path '*figures/*' \) -print0 \
        | tar czf "$out/$name.tgz" --null -T -)
done
ls -la "$out"
