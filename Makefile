.PHONY: setup demo test bench
SHELL := /bin/bash

setup:
	@bash scripts/setup.sh

## Generate a sample batch of Vietnamese scans, ingest it on the embedded defaults, print a summary.
demo: setup
	@bash scripts/demo.sh

## The whole test suite.
test: setup
	@.venv/bin/python -m pytest $(PYTEST_ARGS)

bench: setup
	@.venv/bin/python scripts/bench_ocr.py
