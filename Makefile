# netstats developer tasks. Two commands set everything up on a fresh machine:
#   make report   create .venv, install netstats, run the main job on the bundled cohort
#   make test     create .venv, install netstats[dev], run linters and the test suite
#   make check-dist   build wheel and sdist, install the wheel in an empty venv, run it there
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: install install-dev report test test-slow lint bench check-dist clean data-readme api-docs docs

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.stamp-run: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.stamp-run

$(VENV)/.stamp-docs: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[docs]'
	touch $@ $(VENV)/.stamp-run

install: $(VENV)/.stamp-run
install-dev: $(VENV)/.stamp-dev

report: $(VENV)/.stamp-run
	$(VENV)/bin/netstats validate data/synthetic
	$(VENV)/bin/netstats report --data data/synthetic --out reports/synthetic
	# The case series is published: suppression and the identifier scan are off.  Three
	# patients: the descriptive reports only (02 is below its min_cohort_size).
	$(VENV)/bin/netstats report --data data/case_series --out reports/case_series \
		--only 01 --only 05 --suppression-threshold 0 --no-privacy-check

lint: $(VENV)/.stamp-dev
	$(PY) -m ruff check netstats tests benchmarks analyses scripts
	$(PY) -m ruff format --check netstats tests benchmarks

test: $(VENV)/.stamp-dev
	$(PY) -m ruff check netstats tests benchmarks analyses scripts
	$(PY) -m pytest -m "not slow" -p no:cacheprovider

test-slow: $(VENV)/.stamp-dev
	$(PY) -m pytest -m slow -p no:cacheprovider

# The documentation site: executes every tutorial on the bundled cohort, generates the data
# dictionary from the schema; any warning fails the build.
docs: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(VENV)/bin/mkdocs build --strict -d site

bench: $(VENV)/.stamp-dev
	$(PY) benchmarks/run.py

check-dist: $(VENV)/.stamp-dev
	BUILD_PYTHON=$(abspath $(PY)) PYTHON=$(PYTHON) scripts/check_wheel.sh

clean:
	rm -rf $(VENV) build dist site *.egg-info .pytest_cache .ruff_cache .mypy_cache

data-readme: $(VENV)/.stamp-run
	$(PY) -c "import re, pathlib; from netstats.schema import data_dictionary_markdown as d; p = pathlib.Path('data/README.md'); t = p.read_text(); s, e = '<!-- data-dictionary:start -->\n', '<!-- data-dictionary:end -->'; p.write_text(t[: t.index(s) + len(s)] + d() + t[t.index(e):])"

api-docs: $(VENV)/.stamp-run
	$(PY) -m netstats._api > docs/api.md
