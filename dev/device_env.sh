# Sourced on a lent GPU machine by device_full_mode.sh and device_gpu_round.sh, in the repository root:
# installs the carried wheels (.devcarry/wheels, made here by device_prepare.sh) under /tmp/site, unpacks
# the carried MNIST into /tmp/datasets and exports what dgmlab needs to find both.
carry=.devcarry
# once per machine (jobs started side by side must not race here), and not where they are installed already
if [ ! -e /tmp/site/.installed ] && ! python3 -c "import ot, nbformat" 2>/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site "$carry"/wheels/*.whl
    touch /tmp/site/.installed
fi
export PYTHONPATH="/tmp/site:$PWD/src" PYTHONUNBUFFERED=1 MPLBACKEND=Agg
mkdir -p /tmp/datasets/MNIST/raw
for f in "$carry"/MNIST/raw/*.gz; do
    target=/tmp/datasets/MNIST/raw/$(basename "$f" .gz)
    [ -e "$target" ] || gunzip -c "$f" > "$target"
done
export DGMLAB_DATA=/tmp/datasets
