# deeprg developer entry points. Every target creates the virtual environment it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.deeprg-installed
TORCH_SPEC ?= torch==2.13.0
JOBS ?= 2

.PHONY: install demo test test-slow lint format bench clean browser docs wheel-check

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# The CPU build of torch first, so that no CUDA wheels are ever pulled.
	$(PY) -m pip install --quiet "$(TORCH_SPEC)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

## The main job: a quick reproduction of every experiment, with HTML reports in reports/.
demo: $(STAMP)
	$(VENV)/bin/deeprg info
	$(VENV)/bin/deeprg reproduce all --preset quick --out reports
	@echo "Open reports/index.html"

## A headless browser for the report tests (Debian's chromium); best effort, the test skips
## with a clear message where it cannot be installed.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null 2>&1) \
	    || echo "note: could not install chromium; the browser test will skip"; }

## The test suite (slow and gpu tests are deselected by default).
test: $(STAMP) browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -n $(JOBS)

test-slow: $(STAMP)
	$(PY) -m pytest -n $(JOBS) -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: $(STAMP)
	$(PY) -m pip install --quiet mcising
	$(PY) benchmarks/bench_sampling.py

DOCS_STAMP := $(VENV)/.deeprg-docs-installed

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

## The documentation site in site/: executes every tutorial and fails on any warning or broken
## link. Needs no network once the docs extra is installed.
docs: $(DOCS_STAMP)
	env -u MPLBACKEND NO_MKDOCS_2_WARNING=1 OMP_NUM_THREADS=1 $(VENV)/bin/mkdocs build --strict

## Build the sdist and wheel, install the wheel into a fresh virtual environment (the CPU torch
## first) and run `deeprg info` there, outside the source tree.
WHEEL_VENV := build/wheel-venv
wheel-check: $(STAMP)
	rm -rf dist $(WHEEL_VENV)
	$(PY) -m pip install --quiet build
	$(PY) -m build --outdir dist .
	$(PYTHON) -m venv $(WHEEL_VENV)
	$(WHEEL_VENV)/bin/python -m pip install --quiet "$(TORCH_SPEC)"
	$(WHEEL_VENV)/bin/python -m pip install --quiet dist/*.whl
	cd $(WHEEL_VENV) && bin/deeprg info

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist site
