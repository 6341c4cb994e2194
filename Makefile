# nst-edu: `make lab` to learn, `make test` to check. Everything else is a helper of these two.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# bash with pipefail: `build | tee log` fails when the build fails, not when tee does.
SHELL       := /bin/bash
.SHELLFLAGS := -o pipefail -c

# Beside ../shared (CI, a developer's checkout) the catalogue reads its images there, not the network.
ifneq ($(wildcard ../shared/images),)
export NST_EDU_MIRROR ?= $(abspath ../shared/images)
endif

.PHONY: setup lab lint fuzz mutate test test-full test-robust test-unit test-notebooks test-notebooks-elsewhere test-browser book book-quick slides slides-quick figures assignments benchmarks clean

setup: $(STAMP)

# Re-install only when the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[test,browser,book,course]"
	touch $(STAMP)

lab: setup
	$(VENV)/bin/jupyter lab notebooks/

# Unit tests (the browser tests open JupyterLab and the quick book), then every notebook under nbval,
# whose cell outputs notebooks/conftest.py checks for what a reader sees.
test: setup lint book-quick slides-quick
	NST_EDU_QUICK=1 NST_EDU_BOOK=build/book-quick NST_EDU_SLIDES=build/slides-quick $(PY) -m pytest -q tests
	NST_EDU_QUICK=1 $(PY) -m pytest -q --nbval-lax notebooks/
	$(MAKE) --no-print-directory test-notebooks-elsewhere

# Every notebook in full mode (the CPU's sizes, config.setup), its asserts and figure counts as in
# make test. Not in CI: it takes long (README, "For developers"). A cell may run for minutes.
test-full: setup
	NST_EDU_QUICK=0 $(PY) -m pytest -q --nbval-lax --nbval-cell-timeout=3600 notebooks/

# Mutation testing ([tool.mutmut] in pyproject.toml): mutmut plants one fault at a time in the paper's six
# files, checks.py, images.py (saving) and __main__.py (the CLI) and runs the tests that reach it; a mutant
# that no test notices "survives". One torch thread per worker (~43 mutants a minute at the start, against
# ~12 with two threads each: benchmarks/results/mutation_2026-12-02.md).
# From a clean start (mutants/ removed): mutmut keeps stale coverage when tests change between runs.
# The paper's six files first, then the rest (a plain `mutmut run` skips mutants already checked, so
# it also continues a stopped run). scripts/mutation_score.py prints the score per file (README).
MUTMUT := NST_EDU_QUICK=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV)/bin/mutmut run --max-children 2
mutate: setup
	$(PY) -m pip install --quiet -c constraints.txt -e ".[mutate]"
	rm -rf mutants
	$(MUTMUT) $(shell $(PY) scripts/mutation_score.py --paper-globs)
	$(MUTMUT) $(shell $(PY) scripts/mutation_score.py --rest-globs)
	$(PY) scripts/mutation_score.py

# The command-line fuzz test with thousands of generated cases (make test runs a few dozen).
fuzz: setup
	NST_EDU_FUZZ_PROFILE=long $(PY) -m pytest -q --hypothesis-show-statistics tests/test_fuzz.py

# ruff with the settings in pyproject.toml ([tool.ruff]).
lint: setup
	$(VENV)/bin/ruff check nst_edu tests book benchmarks scripts

test-unit: setup
	NST_EDU_QUICK=1 $(PY) -m pytest -q -m "not browser" tests

test-notebooks: setup
	NST_EDU_QUICK=1 $(PY) -m pytest -q --nbval-lax notebooks/

# Every notebook again with a default device that is not the CPU (tests/second_device.py): what a
# student's GPU kernel does, on machines without one. Each kernel enters it from an IPython startup file.
# It also runs as another machine would (#40): torch's portable CPU kernels and one thread, where the first
# pass used this CPU's vector kernels and two threads, so a claim that holds on one kernel only fails here.
ELSEWHERE := build/ipython-second-device
test-notebooks-elsewhere: setup
	mkdir -p $(ELSEWHERE)/profile_default/startup
	cp tests/second_device_startup.py $(ELSEWHERE)/profile_default/startup/00-second-device.py
	IPYTHONDIR=$(abspath $(ELSEWHERE)) PYTHONPATH=$(abspath tests) NST_EDU_QUICK=1 \
		ATEN_CPU_CAPABILITY=default OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(PY) -m pytest -q -p no:cacheprovider --nbval-lax notebooks/

# Every notebook (quick mode) and the synthesis tests under several machines' worth of variation (CPU kernels,
# threads, seeds), each asserted claim's smallest margin in build/robust/report.md (scripts/robust_sweep.py).
# Not in make test: it takes about an hour on 2 cores (README, "For developers").
test-robust: setup
	$(PY) scripts/robust_sweep.py --out build/robust

test-browser: setup
	$(PY) -m pytest -q -m browser tests

# The walkthrough as a static site (build/book/index.html); rebuilds reuse build/cache.
book: setup
	$(PY) book/build.py --out build/book --cache build/cache

# The same build in quick mode: the test path (make test opens it in Chromium; tests/test_book.py reads
# the progress lines it printed in build/book-quick.log).
book-quick: setup
	mkdir -p build
	$(PY) book/build.py --quick --out build/book-quick --cache build/cache-quick | tee build/book-quick.log

# The reading-session deck (notebooks/reading_session.ipynb) for any browser, offline: build/slides/index.html
# and its PDF handout; it reuses the book's synthesis cache. Present it live instead with RISE from make lab.
slides: setup
	$(PY) book/slides.py --out build/slides --cache build/cache

# The same deck in quick mode: the test path (make test steps through it in Chromium).
slides-quick: setup
	$(PY) book/slides.py --quick --out build/slides-quick --cache build/cache-quick

figures: setup
	$(PY) -m nst_edu figures --figure all

assignments: setup
	$(PY) -m nst_edu.grading.release notebooks/assignments release/assignments

benchmarks: setup
	$(PY) benchmarks/step_time.py
	$(PY) benchmarks/step_breakdown.py

clean:
	rm -rf $(VENV) build figures release .pytest_cache
