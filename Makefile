# Fresh machine, Python 3.11 only:  make run   |   make test
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
FLASK  := $(PY) -m flask --app app.wsgi

export DEV_STANDINS ?= 1

.PHONY: totp run test lint format install install-test chromium test-postgres bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install -q -e '.[test,postgres]'
	touch $@ $(VENV)/.installed-run

install: $(VENV)/.installed-run
install-test: $(VENV)/.installed-test

run: install
	$(FLASK) db upgrade
	$(FLASK) plans load-samples
	$(FLASK) roster fake 2000 --seed 1 --import
	$(FLASK) demo seed
	PORT=$(PORT) $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py app.wsgi:app

# the demo reviewer's current one-time code (make run prints the account)
totp: install
	@$(FLASK) staff totp demo-reviewer

# Debian's Chromium for the browser tests: installed with apt when missing and we are
# root (or CI=true with passwordless sudo); otherwise the browser tests skip and say why.
chromium:
	@sh .ci/ensure-chromium

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install-test chromium lint
	$(PY) -m pytest

test-postgres: install-test chromium
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(PY) -m pytest

bench: install-test
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) instance tests/artifacts .pytest_cache .ruff_cache .hypothesis
