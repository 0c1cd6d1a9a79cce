# The two commands of the README: `make briefing` and `make test`.
# Each creates .venv and installs what is missing by itself (Python packages at the exact
# versions of requirements.lock; system packages through scripts/system-deps.sh).
PYTHON ?= python3
VENV   ?= .venv
YEAR   ?= 2023
# the bureau's slug in data/raw/sources.yml; empty: its default_bureau
BUREAU ?=
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: briefing test test-fast lint system-deps lock clean lab strip bytecode

briefing: $(STAMP) system-deps bytecode
	$(BIN)/amrbook build $(if $(BUREAU),--bureau $(BUREAU)) --year $(YEAR) $(BUILD_ARGS)

# Three pytest-xdist workers on the machines' 2 cores: many tests wait (a cell's timeout, a signal, a
# browser, a subprocess), and with two workers a core idled a quarter of the run (51-58 core-s against 9
# with three, measured); the tests of each shared build run in one worker (pytest_xdist_make_scheduler in
# tests/conftest.py).
XDIST  ?= -n 3
# pytest keeps the test modules and its plugins, their asserts rewritten, in __pycache__, unless no bytecode is
# written (PYTHONDONTWRITEBYTECODE set, as on the project's machines): each pytest process then rewrote them all
# again, each run (6.4 -> 4.8 s of a worker's collection).
PYTEST  = PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest

test: $(STAMP) system-deps bytecode
	$(PYTEST) $(XDIST) $(PYTEST_ARGS)

# The edit loop: no notebook execution, build or browser, and 100 examples per property.
test-fast: $(STAMP) bytecode
	HYPOTHESIS_PROFILE=dev $(PYTEST) $(XDIST) -m "not slow" $(PYTEST_ARGS)

# ruff (lint and format check) and mypy, configured in pyproject.toml; src/ is kept clean under both.
lint: $(STAMP)
	$(BIN)/ruff check src
	$(BIN)/ruff format --check src
	$(BIN)/mypy

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

# Open the notebooks in JupyterLab (Jupyter refuses to run as root without --allow-root: given when root).
ROOT_ARGS = $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP) system-deps bytecode
	$(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_ARGS)

# Clear notebook outputs before committing (tests refuse notebooks stored with outputs).
strip: $(STAMP)
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*.ipynb

# The package's bytecode, compiled ahead (pip does it for the packages it installs; an editable install leaves it to
# each interpreter, and where PYTHONDONTWRITEBYTECODE is set every kernel and command compiles each module anew:
# 0.3 CPU-s a process). Only modules changed since are compiled again; Python checks each against its source. Saving
# time only: a checkout it cannot write to is said so, and the command goes on.
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src/helpers >/dev/null 2>&1 || \
	  echo "make bytecode: src/helpers could not be compiled ahead (not writable?); each process compiles it as it starts"

system-deps:
	@scripts/system-deps.sh

# Re-resolve the newest versions allowed by pyproject.toml into requirements.lock.
lock:
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions for pip installs (make, CI). Regenerate with: make lock"; \
	  build/lockenv/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf build/lockenv

clean:
	rm -rf $(VENV) build outputs/*/
