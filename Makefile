.PHONY: setup demo test bench
SHELL := /bin/bash

## Test processes (pytest-xdist); PYTEST_WORKERS=0 runs the suite serially in one process.
PYTEST_WORKERS ?= 2

setup:
	@bash scripts/setup.sh

## Generate a sample batch of Vietnamese scans, ingest it on the embedded defaults, print a summary.
demo: setup
	@bash scripts/demo.sh

## The whole test suite, in parallel over PYTEST_WORKERS processes.
test: setup
	@.venv/bin/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

bench: setup
	@.venv/bin/python scripts/bench_ocr.py
