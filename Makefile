# Two commands do everything (see README):  make demo   and   make test
# Both create the virtual environment .venv the first time and reuse it after.
PYTHON ?= python3
# make VENV=<path> ... uses a venv you already have (this checkout is installed into it, editable, once).
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.dgmlab-installed

.PHONY: venv demo lint test test-e2e test-fast notebooks check-notebooks clean-grading wheels

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[grading,pdf,fidelity,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dgmlab)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/dgmlab demo

# ruff ([tool.ruff] in pyproject.toml: pyflakes, import sorting, whitespace): CI's first step (.ci/run), and the
# pre-commit hook's (.pre-commit-config.yaml). The second run: the homeworks' modules with no percent-file exemption.
# Then mypy ([tool.mypy]: all of src/dgmlab at a baseline, strict on the packages listed there; its cache in
# .mypy_cache/, cold in CI: about a minute of CPU).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff check --config 'lint.per-file-ignores = {}' homeworks/*/checks homeworks/*/hidden
	$(BIN)/python -m mypy

# Everything but the whole-class end-to-end tests (what CI runs: .ci/run); benchmarks/results/performance.md has the times.
test: venv
	$(BIN)/python -m pytest -m "not e2e" -n 2 --dist loadgroup

# The whole-class end-to-end tests: the demo, the hostile corpus, a submission that kills its Dask
# workers, the wheel in a fresh venv (benchmarks/results/performance.md has the time). Run before a release and
# after changing the grader.
test-e2e: venv
	$(BIN)/python -m pytest -m e2e -n 2 --dist loadgroup

# The unit tier: the tests marked neither slow nor e2e (no kernel, judge or nbgrader process, training, browser or
# build), on two processes. Its latest count, wall and CPU time: benchmarks/results/performance.md, written from the records of
# `python benchmarks/time_test_tier.py fast` (benchmarks/results/test_tiers/).
test-fast: venv
	$(BIN)/python -m pytest -m "not slow and not e2e" -n 2

# Authoring (docs/authoring.md): after editing homeworks/<hw>/, write everything made from it:
# the source notebook, the student release, the demo's examples, the hostile corpus (made from hw3) and the
# points in docs/<hw>.md and the README (tools/write_points_tables.py).
# HW=hw3_flows limits it to one homework. RELEASE=--local-only releases without an install source, as
# on a machine whose nbgrader_config.py sets none; a course that publishes runs it with RELEASE= .
HW      ?=
RELEASE ?= --local-only
notebooks: venv
	$(BIN)/dgmlab build $(HW)
	$(BIN)/python tools/record_expected.py $(HW)
	$(BIN)/dgmlab release $(RELEASE) $(HW)
	$(BIN)/dgmlab examples $(HW)
	$(BIN)/python tools/make_hostile_corpus.py
	$(BIN)/python tools/write_points_tables.py

# Whether everything made from the builders is up to date (what tests/kit/test_repo.py checks in CI).
check-notebooks: venv
	$(BIN)/dgmlab build --check $(HW)
	$(BIN)/dgmlab release --check $(HW)
	$(BIN)/dgmlab examples --check $(HW)
	$(BIN)/python tools/make_hostile_corpus.py --check
	$(BIN)/python tools/write_points_tables.py --check

# The release folder dist/ (not nbgrader's release/): this version's student wheel (dgmlab, what Colab installs) and
# the grader's (dgmlab-grader), from a clean copy of the checkout; `dgmlab gradescope <hw> --wheels dist` puts them
# in the zip (docs/publishing.md). tests/kit/test_release_wheels.py installs them by path in a fresh venv.
wheels: venv
	$(BIN)/python tools/build_wheels.py dist

# Remove what the demo or autograding wrote (gradebook, submitted/, autograded/, feedback/, grades.csv), and the
# rubrics/ the hand grades were given with (the demo's marks included), which would not match a new gradebook.
clean-grading:
	rm -rf gradebook.db submitted autograded feedback grades.csv rubrics
