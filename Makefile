# Two commands do everything (see README):  make demo   and   make test
# Both create the virtual environment .venv the first time and reuse it after.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.dgmlab-installed

.PHONY: venv demo test test-fast clean-grading

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[grading,fidelity,dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dgmlab)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/dgmlab demo

test: venv
	$(BIN)/python -m pytest

# Unit tests only (seconds): skips notebook execution, grading and wheel builds.
test-fast: venv
	$(BIN)/python -m pytest -m "not slow"

# Remove what the demo or autograding wrote (gradebook, submitted/, autograded/, feedback/, grades.csv).
clean-grading:
	rm -rf gradebook.db submitted autograded feedback grades.csv
