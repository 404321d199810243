#!/usr/bin/env bash
# Here, before a GPU run (docs/full_mode.md, "On a lent GPU"): fill .devcarry/ (ignored by git) with what the
# GPU machine lacks: the POT wheel for its Python 3.12 and real MNIST as gzip files (from $DGMLAB_DATA).
# About 13 MB; the repository itself is about 46 MB of the 64 MB a call may carry.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DGMLAB_DATA:?set DGMLAB_DATA to the folder holding MNIST/raw}"
mkdir -p .devcarry/wheels .devcarry/MNIST/raw
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .devcarry/wheels "pot==0.9.5"
for f in "$DGMLAB_DATA"/MNIST/raw/*-ubyte; do
    gzip -c "$f" > ".devcarry/MNIST/raw/$(basename "$f").gz"
done
du -sh .devcarry
