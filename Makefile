# Prossima: two commands from a fresh clone.
#   make run   set up, load the demo on first run, serve on http://127.0.0.1:8000
#   make test  install the test tools and run the whole suite (lint, types, tests)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
LINT ?= 1
PYTEST_ARGS ?=

.PHONY: run test lint messages clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Prossima needs Python 3.11 or newer: run 'make PYTHON=python3.12 ...'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

run: $(VENV)/.installed
	$(BIN)/prossima setup
	$(BIN)/prossima serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
ifeq ($(LINT),1)
	$(MAKE) --no-print-directory lint
endif
	$(BIN)/python -c "from prossima.i18n import compile_catalogues; compile_catalogues()"
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

# Refresh the translation catalogues after changing user-facing strings (needs GNU gettext).
messages: $(VENV)/.installed
	cd src/prossima && ../../$(BIN)/django-admin makemessages -l it -l en \
		--ignore 'analysis/*' --no-obsolete --no-location --settings prossima.config.settings

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
