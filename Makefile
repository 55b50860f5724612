# ssstats: the two commands a reviewer needs are `make report` and `make test`.
# Both create .venv from the lock file on first use (Python 3.11), so a fresh clone needs nothing else.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ssstats-installed

.PHONY: report test install lock benchmark reproduce clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

## Render report.qmd to report.html and report.pdf (Quarto if on PATH, else the built-in renderer).
report: $(STAMP)
	$(BIN)/ssstats render report.qmd --to all

## Run the test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

## Print the published statements against the recomputed figures; non-zero exit if one does not hold.
reproduce: $(STAMP)
	$(BIN)/ssstats reproduce

## Time the headline operations (see benchmarks/README.md).
benchmark: $(STAMP)
	$(BIN)/python benchmarks/run.py

## Re-pin the lock file from the current environment (maintainers only).
lock: $(STAMP)
	$(BIN)/python -m pip freeze --all --exclude-editable | grep -v '^pip==' | sed '1i # Pinned versions for ssstats (Python 3.11). Regenerate with: make lock' > requirements.lock

clean:
	rm -rf $(VENV) report.html report.pdf report_files .pytest_cache
