# nst-edu: `make lab` to learn, `make test` to check. Everything else is a helper of these two.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Beside ../shared (CI, a developer's checkout) the catalogue reads its images there, not the network.
ifneq ($(wildcard ../shared/images),)
export NST_EDU_MIRROR ?= $(abspath ../shared/images)
endif

.PHONY: setup lab test test-unit test-notebooks test-browser figures assignments benchmarks clean

setup: $(STAMP)

# Re-install only when the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,browser]"
	touch $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

test: setup
	NST_EDU_QUICK=1 $(PY) -m pytest -q tests
	NST_EDU_QUICK=1 $(PY) -m pytest -q --nbval-lax notebooks/

test-unit: setup
	NST_EDU_QUICK=1 $(PY) -m pytest -q -m "not browser" tests

test-notebooks: setup
	NST_EDU_QUICK=1 $(PY) -m pytest -q --nbval-lax notebooks/

test-browser: setup
	$(PY) -m pytest -q -m browser tests

figures: setup
	$(PY) -m nst_edu figures --figure all

assignments: setup
	$(PY) -m nst_edu.assignments notebooks/assignments release/assignments

benchmarks: setup
	$(PY) benchmarks/step_time.py
	$(PY) benchmarks/step_breakdown.py

clean:
	rm -rf $(VENV) build figures release .pytest_cache
