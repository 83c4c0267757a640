# The suite's two commands: `make up` runs it, `make test` tests it. Nothing but Python 3.11+ needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: up test unit lint bench install install-dev migration clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt -c requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt -c requirements.lock
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## Start the whole suite in the foreground (gateway on :8080). Ctrl-C stops it.
up: install
	$(BIN)/python -m shared.launcher

## Run every test (unit, integration, contract, end-to-end). Tests run on TEST_POSTGRES_URL's
## PostgreSQL, or on an embedded one the session starts; RabbitMQ tests need AMQP_URL (.ci/run sets
## both) and say so when they skip.
test: install-dev
	$(BIN)/ruff check .
	$(BIN)/python -m shared.catalogue --check
	$(BIN)/python -m pytest

unit: install-dev
	$(BIN)/python -m pytest -m "not e2e" services shared gateway

lint: install-dev
	$(BIN)/ruff check .

bench: install-dev
	$(BIN)/python -m bench.run

## make migration SERVICE=billing MESSAGE="devices"
migration: install-dev
	$(BIN)/python -m shared.migrations revision $(SERVICE) "$(MESSAGE)"

clean:
	rm -rf var .pytest_cache
