"""Tests of the benchmark scripts themselves (not of the kit): `pytest benchmarks/tests`, not part of `make test`.
The scripts are importable by name, as when they run."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
