# nlp-service: the two commands a new machine needs are `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt

.PHONY: run test install dev lint lexicons gold models evaluate bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

install: $(BIN)/python
	$(PIP) -e .

dev: $(BIN)/python
	$(PIP) -e ".[dev]"

## make run: install, check the shipped resources, print an admin API key for local use
## (created once, kept in var/local_api_key), serve on 127.0.0.1:8080
run: install
	$(BIN)/nlp-service check
	$(BIN)/nlp-service keys ensure-local
	$(BIN)/nlp-service serve --host 127.0.0.1 --port 8080

## make test: install dev dependencies, lint (code and Dockerfile), run the whole test suite
test: dev lint
	$(BIN)/python -m pytest

lint: dev
	$(BIN)/ruff check nlp_service tests benchmarks corpora
	$(BIN)/hadolint Dockerfile

## rebuild the lexicons from the curated sources and ICD-10-CM (deterministic)
lexicons: dev
	$(BIN)/python -m nlp_service.resources.build

## rebuild the standoff gold notes (corpora/notes) and PHI snippets (corpora/phi) from their sources
gold: dev
	$(BIN)/python corpora/notes/build_gold.py
	$(BIN)/python corpora/phi/build_gold.py

## retrain the shipped models from corpora/ (deterministic; writes models/*/MODEL_CARD.md)
models: install
	$(BIN)/nlp-service train phi-tagger --split dev --seed 13

evaluate: install
	$(BIN)/nlp-service evaluate records --split all
	$(BIN)/nlp-service evaluate phi --split all --preservation
	$(BIN)/nlp-service evaluate linking --split all

bench: dev
	$(PIP) -e ".[dev,bench]"
	$(BIN)/python benchmarks/records_throughput.py
	$(BIN)/python benchmarks/phi_throughput.py
	$(BIN)/python benchmarks/encoder_speed.py
	$(BIN)/python benchmarks/linking_latency.py
	$(BIN)/python benchmarks/index_compare.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
