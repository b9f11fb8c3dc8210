# herokuops.platform: `make demo` and `make test` are the two commands a new machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTIONS := .collections/ansible_collections
SELF_LINK := $(COLLECTIONS)/herokuops/platform
AMAZON_AWS := $(COLLECTIONS)/amazon/aws/MANIFEST.json

# Ansible's interpreter discovery finds a missing pyenv shim here: always use the venv's python.
export ANSIBLE_PYTHON_INTERPRETER := $(CURDIR)/$(BIN)/python
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)
# molecule installs the collection it tests into $ANSIBLE_HOME/collections, and ansible-lint
# reads collections from there before this checkout: keep that copy inside .cache (not in
# ~/.ansible), and ansible-lint drops it first so that it never lints a stale copy.
export ANSIBLE_HOME := $(CURDIR)/.cache/ansible-home

.PHONY: help setup demo test lint ruff ansible-lint unit cli integration sanity molecule bench bench-rotation clean

help:
	@echo "make demo   converge the local inventory against the Heroku emulator and moto"
	@echo "make test   lint, unit, integration, CLI conformance, sanity and molecule"
	@echo "make bench  fleet benchmark, N=30 apps by default (writes bench/results.json)"

setup: $(STAMP) $(SELF_LINK) $(AMAZON_AWS)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $@

# Ansible finds this collection by its FQCN through .collections (see ansible.cfg).
$(SELF_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

$(AMAZON_AWS): requirements.yml | $(STAMP)
	scripts/install-collections.sh

demo: setup
	$(BIN)/python scripts/demo.py

test: lint unit cli integration sanity molecule

lint: ruff ansible-lint

ruff: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

ansible-lint: setup
	rm -rf $(ANSIBLE_HOME)/collections/ansible_collections/herokuops
	$(BIN)/ansible-lint --profile production --offline

unit: setup
	$(BIN)/pytest -q -m "not cli" tests/unit tests/emulator

# The official Heroku CLI (npm package, installed into .cache) against the emulator.
cli: setup
	$(BIN)/pytest -q -m cli tests/emulator

integration: setup
	$(BIN)/pytest -q -n auto tests/integration

sanity: setup
	scripts/sanity.sh

# The whole output is kept, and no secret the rotation scenario's apps hold may appear in it.
molecule: setup
	mkdir -p .cache && rm -f .cache/molecule-secret-fingerprints
	set -o pipefail; $(BIN)/molecule test --all 2>&1 | tee .cache/molecule.log
	$(BIN)/python scripts/check_log_secrets.py .cache/molecule.log .cache/molecule-secret-fingerprints

# Not part of `make test` (tests/integration runs a two-app smoke of it): `make bench N=300`,
# also LATENCY_MS=0 (per emulated request) and FORKS=20.
N ?= 30
LATENCY_MS ?= 50
FORKS ?= 10
bench: setup
	$(BIN)/python scripts/bench.py --apps $(N) --latency-ms $(LATENCY_MS) --forks $(FORKS)

# Wall time of a forced IAM key rotation over APPS apps sharing one user (50 ms per request).
APPS ?= 10
bench-rotation: setup
	$(BIN)/python scripts/rotation_bench.py --apps $(APPS) --latency-ms $(LATENCY_MS)

clean:
	rm -rf $(VENV) .collections .pytest_cache .ruff_cache *.egg-info
