#!/usr/bin/env bash
# Here, before a GPU run (docs/full_mode.md, "On a lent GPU"): fill .devcarry/ (ignored by git) with what the
# GPU machine lacks: wheels for its Python 3.12 (POT; nbformat and what it needs, which bench_hw1_wgan.py
# reads the notebook with) and real MNIST as gzip files (from $DGMLAB_DATA). About 14 MB; the repository itself is about 46 MB of the 64 MB a call may carry.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${DGMLAB_DATA:?set DGMLAB_DATA to the folder holding MNIST/raw}"
mkdir -p .devcarry/wheels .devcarry/MNIST/raw
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .devcarry/wheels "pot==0.9.5" \
    nbformat==5.10.4 fastjsonschema==2.21.1 jsonschema==4.23.0 jsonschema-specifications==2024.10.1 \
    referencing==0.36.2 rpds-py==0.22.3 jupyter-core==5.7.2 traitlets==5.14.3 platformdirs==4.3.6
for f in "$DGMLAB_DATA"/MNIST/raw/*-ubyte; do
    gzip -c "$f" > ".devcarry/MNIST/raw/$(basename "$f").gz"
done
du -sh .devcarry
