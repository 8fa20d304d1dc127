# One entry point for readers, learners, instructors, contributors and CI.
#   make book       build the HTML book (strict: any warning fails)
#   make serve      serve the built book on http://127.0.0.1:8000 (PORT=...)
#   make test       every test: rnnlib, nbval on every notebook (twice: on this machine's
#                   kernels, and as a typical laptop computes), the strict book build, the book and
#                   every notebook in JupyterLab in a real browser, grading in its sandbox, the
#                   repository's own checks
#   make lab        open the notebooks in JupyterLab
#   make browser    install Chromium for the browser tests, or say how to
#   make bench      speed measurements (not part of the tests)
#   make notebooks  re-run every notebook (chapters and appendix) and store its outputs
#   make models     retrain chapter 12's language models and n-gram baselines (about 90 minutes)
#   make student    the student edition of the labs and assignments
#   make lock       re-resolve requirements*.txt from pyproject.toml (keeps the pinned versions;
#                   make lock UPGRADE=1 moves every pin to its newest release)
#   make check-lock fail if the lock files are not what make lock would write, or if a pinned
#                   package lacks a wheel for a supported Python on Linux or Apple-silicon macOS
#   make check-skips  after make test PYTEST_ARGS=--junitxml=test-results.xml: fail if a
#                   browser test was skipped (CI runs them all)
#   make contrib    a contributor's set-up: pre-commit hooks and nbdime's notebook diffs
#   make clean      remove build output;  make distclean  also remove the environment
#
# Every target first brings .venv up to date with the lock (tools/setup_env.py): it is built
# with $(PYTHON), which must be Python 3.11 to 3.14 (make PYTHON=python3.12 ... to choose).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
PYTEST_ARGS ?=
# Test modules whose tests CI must run, never skip (make check-skips).
MUST_RUN := browser jupyterlab coursework_adversarial install
BOOK_FLAGS := -W -n --keep-going
LOCK_FLAGS := --universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" \
              $(if $(UPGRADE),--upgrade)
# What most laptops compute with: OpenBLAS's AVX2 (Haswell) kernels on one thread, and numpy's
# AVX2 loops instead of AVX-512 ones. The stored outputs must hold there too.
LAPTOP_ENV := OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
              NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"

.PHONY: book serve test lab bench notebooks models browser sandbox clean distclean student \
        env lab-env lock check-lock check-skips contrib

# PYTHON given on the command line or in the environment: .venv must be built with it.
SETUP_FLAGS := $(if $(filter command line environment,$(origin PYTHON)),--same-python)

env:
	@$(PYTHON) tools/setup_env.py $(SETUP_FLAGS)

lab-env:
	@$(PYTHON) tools/setup_env.py --lab $(SETUP_FLAGS)

book: env
	$(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)
	@echo
	@echo "The book is built in _build/html. Read it with:  make serve"

serve: env
	@test -f _build/html/index.html || { echo "error: no built book in _build/html: run make book first" >&2; exit 1; }
	@echo "Serving the book at http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@$(PY) -m http.server --bind 127.0.0.1 --directory _build/html $(PORT)

# The JupyterLab test (and the pre-commit/nbdime checks) need the lab environment.
test: lab-env browser sandbox
	$(PY) -m pytest $(PYTEST_ARGS)
	$(LAPTOP_ENV) $(PY) -m pytest chapters appendix -p no:cacheprovider

check-skips:
	@$(PYTHON) tools/check_skips.py test-results.xml $(MUST_RUN)

# bubblewrap, the sandbox the autograder runs submissions in. Installing needs root (as in
# CI); elsewhere the grading tests are skipped with a message saying so.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; } >/dev/null 2>&1 || \
	  echo "note: bubblewrap is not installed and could not be (apt-get needs root): the grading tests will be skipped"

# A Chromium-based browser for the browser tests: CHROMIUM=/path/to/browser, or one found on
# the PATH, or Debian's chromium installed with apt-get where that is possible; otherwise it
# prints the one command to run.
browser:
	@$(PYTHON) tools/browser.py --install

lab: lab-env
	$(VENV)/bin/jupyter lab chapters

bench: env
	$(PY) benchmarks/run_all.py

notebooks: env
	$(PY) tools/execute_notebooks.py

# Two training queues side by side, one core each, then the n-gram sweep.
models: env
	. $(VENV)/bin/activate && { bash scripts/book_models.sh word & bash scripts/book_models.sh char & wait; }
	$(PY) scripts/ngram_baselines.py

# requirements.txt: book + test; requirements-lab.txt: the same pins plus lab + dev.
lock: lab-env
	$(VENV)/bin/uv pip compile pyproject.toml --extra book --extra test --extra coursework $(LOCK_FLAGS) \
	  -o requirements.txt
	$(VENV)/bin/uv pip compile pyproject.toml --extra book --extra test --extra coursework --extra lab --extra dev \
	  $(LOCK_FLAGS) -c requirements.txt -o requirements-lab.txt

# The lock as make lock would write it now, compared with the committed one.
check-lock: lab-env
	@tmp=$$(mktemp -d) && cp requirements.txt requirements-lab.txt $$tmp/ && \
	  $(VENV)/bin/uv pip compile -q pyproject.toml --extra book --extra test --extra coursework $(LOCK_FLAGS) \
	    -o $$tmp/requirements.txt && \
	  $(VENV)/bin/uv pip compile -q pyproject.toml --extra book --extra test --extra coursework --extra lab --extra dev \
	    $(LOCK_FLAGS) -c requirements.txt -o $$tmp/requirements-lab.txt && \
	  diff -u requirements.txt $$tmp/requirements.txt && diff -u requirements-lab.txt $$tmp/requirements-lab.txt && \
	  rm -rf $$tmp && echo "The lock matches pyproject.toml."
	@for v in $$($(PYTHON) tools/check_python.py --versions); do \
	  for p in x86_64-manylinux_2_28 aarch64-manylinux_2_28 aarch64-apple-darwin; do \
	    $(VENV)/bin/uv pip compile -q --no-header requirements-lab.txt --python-version $$v \
	      --python-platform $$p --only-binary :all: > /dev/null || \
	      { echo "error: requirements-lab.txt has no wheels for Python $$v on $$p" >&2; exit 1; }; \
	  done; done; echo "Every pin has wheels for Python $$($(PYTHON) tools/check_python.py --versions) on Linux (x86_64, arm64) and macOS (arm64)."

contrib: lab-env
	$(VENV)/bin/pre-commit install
	$(VENV)/bin/nbdime config-git --enable
	@echo "pre-commit runs ruff and the notebook cleaner on every commit; git diff shows notebooks with nbdime."

clean:
	rm -rf _build .pytest_cache .hypothesis .ruff_cache test-results.xml

distclean: clean
	rm -rf $(VENV) .venvs $(VENV).new

student: env
	$(PY) -m rnnlib.coursework release
