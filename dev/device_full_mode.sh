#!/usr/bin/env bash
# One homework's full mode on a lent GPU machine (docs/full_mode.md, "On a lent GPU"). Runs THERE, in the
# repository root, after dev/device_prepare.sh made .devcarry/ here (carry: [".devcarry"]):
#
#   bash dev/device_full_mode.sh hw5_explicit
#   bash dev/device_full_mode.sh hw2_wgangp --until p6_data
#
# The machine has torch, numpy, scipy, sympy, matplotlib and tqdm; POT comes as a wheel and MNIST as
# gzip files from .devcarry/. Checkpoints of an earlier call (.devcarry/ckpt/<hw>/, copied there from a
# returned $OUT) are restored first, so a run cut by the 10-minute limit resumes. What comes back in
# $OUT/<hw>/: timings.json, log.txt, the graded files and checkpoints the notebook wrote (each <= 16 MB).
# FULL_MODE_SECONDS=N stops the run after N seconds (timeout; 0, the default, never), so that what it made
# is still copied out before the call's own limit ends it.
set -euo pipefail
hw="$1"; shift
source "$(dirname "$0")/device_env.sh"
work=/tmp/dgmlab_full/$hw
if [ -d "$carry/ckpt/$hw" ] && [ ! -d "$work" ]; then
    mkdir -p "$work/checkpoints" && cp -r "$(dirname "$0")/../source/$hw/." "$work/"
    cp "$carry/ckpt/$hw"/*.pt "$work/checkpoints/"
fi
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
status=0
timeout "${FULL_MODE_SECONDS:-0}" python3 benchmarks/run_full_mode.py "$hw" --workdir "$work" --out "$OUT/$hw" "$@" || status=$?
# what the run made, for the record and for the next call's resume (the transfer takes files <= 16 MB)
for f in "$work"/*.pt "$work"/checkpoints/*.pt; do
    [ -e "$f" ] || continue
    if [ "$(stat -c %s "$f")" -le 16000000 ]; then cp "$f" "$OUT/$hw/"; else echo "not returned (over 16 MB): $f"; fi
done
exit $status
