# One entry point for readers, learners, instructors and CI.
#   make book   build the HTML book (strict: any warning fails)
#   make test   every test: rnnlib, nbval on every chapter notebook (twice: on this machine's
#               kernels, and as a typical laptop computes), the strict book build, the book and
#               every notebook in JupyterLab in a real browser
#   make lab    open the notebooks in JupyterLab
#   make bench  speed measurements (not part of the tests)
#   make notebooks  re-run every chapter notebook and store its outputs
#   make models  retrain chapter 12's language models and n-gram baselines (about 90 minutes)
# Each target first brings .venv up to date with the exact pins in requirements.txt.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
BOOK_FLAGS := -W -n --keep-going
# What most laptops compute with: OpenBLAS's AVX2 (Haswell) kernels on one thread, and numpy's
# AVX2 loops instead of AVX-512 ones. The stored outputs must hold there too.
LAPTOP_ENV := OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
              NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"

.PHONY: book test lab bench notebooks models browser sandbox clean student

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)
	@echo
	@echo "The book is built. Open it with:  file://$(CURDIR)/_build/html/index.html"

test: $(STAMP) $(VENV)/.lab-installed browser sandbox
	$(PY) -m pytest
	$(LAPTOP_ENV) $(PY) -m pytest chapters -p no:cacheprovider

# Debian's Chromium for the browser test. Installing needs root (as in CI); elsewhere the
# browser test is skipped with a message saying so.
browser:
	@command -v chromium >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 || \
	  echo "note: Chromium is not installed and could not be (apt-get needs root): the browser test will be skipped"

# bubblewrap, the sandbox the autograder runs submissions in. Installing needs root (as in
# CI); elsewhere the grading tests are skipped with a message saying so.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } >/dev/null 2>&1 || \
	  echo "note: bubblewrap is not installed and could not be (apt-get needs root): the grading tests will be skipped"

lab: $(STAMP) $(VENV)/.lab-installed
	$(VENV)/bin/jupyter lab chapters

$(VENV)/.lab-installed: $(STAMP) requirements-lab.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-lab.txt
	@touch $@

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

notebooks: $(STAMP)
	$(PY) tools/execute_notebooks.py

# Two training queues side by side, one core each, then the n-gram sweep.
models: $(STAMP)
	. $(VENV)/bin/activate && { bash scripts/book_models.sh word & bash scripts/book_models.sh char & wait; }
	$(PY) scripts/ngram_baselines.py

clean:
	rm -rf _build .pytest_cache .hypothesis

student: $(STAMP)
	$(PY) -m rnnlib.coursework release
