# newsclean: the two commands of the README, plus helpers.
#   make run    clean seeds/ into output/ (creates .venv on first use; ARGS=--full etc.)
#   make test   run the whole test suite
#   make test-fast  the tests that need no Prefect server and take no more than a few seconds
#                   each (seed expectations, steps, inputs, rules): about a minute
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.newsclean-installed
SOURCE ?= seeds
OUT ?= output
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: run test test-fast venv schema clean-output

venv: $(STAMP)

# pip is upgraded first: the image's pip 23.2 cannot resolve trafilatura's lxml extra.
# compileall: PYTHONDONTWRITEBYTECODE is set on these machines and Prefect's import is
# several seconds slower without byte-code.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	$(PY) -m compileall -q -j 0 $(VENV)/lib > /dev/null 2>&1 || true
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/newsclean clean $(SOURCE) --out $(OUT) $(ARGS)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(PY) -m pytest -m "not prefect and not slow" $(PYTEST_ARGS)

schema: $(STAMP)
	$(PY) -m cleaners.record

clean-output:
	find $(OUT) -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
