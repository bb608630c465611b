# netstats developer tasks. Two commands set everything up on a fresh machine:
#   make report   create .venv, install netstats, run the main job on the bundled cohort
#   make test     create .venv, install netstats[dev], run linters and the test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: install install-dev report test test-slow lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.stamp-run: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.stamp-run

install: $(VENV)/.stamp-run
install-dev: $(VENV)/.stamp-dev

report: $(VENV)/.stamp-run
	$(VENV)/bin/netstats validate tests/data/minimal

lint: $(VENV)/.stamp-dev
	$(PY) -m ruff check netstats tests benchmarks
	$(PY) -m ruff format --check netstats tests benchmarks

test: $(VENV)/.stamp-dev
	$(PY) -m ruff check netstats tests benchmarks
	$(PY) -m pytest -m "not slow" -p no:cacheprovider

test-slow: $(VENV)/.stamp-dev
	$(PY) -m pytest -m slow -p no:cacheprovider

bench: $(VENV)/.stamp-dev
	$(PY) -m pytest benchmarks --benchmark-only -p no:cacheprovider

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .mypy_cache
