# The README's two commands are `make book` and `make test`; everything else is a helper.
SHELL := /bin/bash
PYTHON_SYS ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book test lint notebooks bench clean student grade pdf

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON_SYS) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Build the website from the notebooks' stored outputs (which `make test` proves current).
book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going
	@echo "The book is in _build/html/index.html"

# Every test: lint, unit and property tests, doctests, and nbval (strict) on every chapter,
# whose exercise checks run in strict mode (a solution that is "not attempted" fails);
# then the built site in headless Chromium (tests/test_site.py; Debian's chromium, installed if
# missing and we are root).
test: book
	@test -x /usr/bin/chromium || { test "$$(id -u)" = 0 && apt-get update -qq && apt-get install -y -qq chromium; } \
	  || echo "chromium is not installable here: the browser tests will be skipped"
	@command -v bwrap >/dev/null || { test "$$(id -u)" = 0 && apt-get update -qq && apt-get install -y -qq bubblewrap; } \
	  || echo "bubblewrap is not installable here: the sandboxed grading tests will be skipped"
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0 \
	  || echo "torch is not installable here: the torch oracle tests will be skipped"
	@$(PY) -c "import schedulefree" 2>/dev/null || $(PY) -m pip install --quiet --no-deps schedulefree==1.4.1 \
	  || echo "schedulefree is not installable here: its oracle test will be skipped"
	$(PY) -m ruff check mom_lib tests benchmarks tools
	$(PY) -m ruff format --check mom_lib tests benchmarks tools chapters showcase.ipynb
	MOM_SITE_DIR=_build/html MOM_LIB_STRICT_CHECKS=1 $(PY) -m pytest

# The whole book as one PDF: a single-page build printed by headless Chromium (MathJax and the
# interactive figures render first; each figure prints at its first setting).
pdf: $(STAMP)
	$(VENV)/bin/jupyter-book build . --builder singlehtml -W -n --keep-going
	/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
	  --disable-component-update --disable-sync --no-first-run --no-pdf-header-footer \
	  --virtual-time-budget=30000 --print-to-pdf=_build/momentum.pdf \
	  file://$(CURDIR)/_build/singlehtml/intro.html
	@echo "The book is in _build/momentum.pdf"

lint: $(STAMP)
	$(PY) -m ruff check --fix mom_lib tests benchmarks tools
	$(PY) -m ruff format mom_lib tests benchmarks tools chapters showcase.ipynb

# Re-execute every chapter in place (fresh kernel, top to bottom) and normalize its metadata.
notebooks: $(STAMP)
	$(PY) tools/execute_notebooks.py $(or $(NB),chapters/*.ipynb)

bench: $(STAMP)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install --quiet torch==2.13.0
	$(PY) benchmarks/sweep.py

# The student version of the chapters (solutions replaced by stubs) in _build/student/.
student: $(STAMP)
	$(PY) tools/student_version.py --out $(or $(OUT),_build/student) $(if $(ZIP),--zip) $(NB)

# Grade submissions, each in its own bubblewrap sandbox (tools/grade.py installs bubblewrap when
# missing and we are root, and exits non-zero when it cannot sandbox or fails):
#   make grade SUBMISSIONS=dir SOURCE=_build/student/03_velocity_update.ipynb [OUT=grades.csv]
#     [TIMEOUT=600] [CELL_TIMEOUT=120] [CASE_TIMEOUT=10] [MEMORY_MB=2048] [JOBS=<cores>]
#     [POINTS=ex-03-momentum-step=2,...] [RESUME=1]
grade: $(STAMP)
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=dir [SOURCE=released.ipynb] [OUT=grades.csv]"; exit 2; }
	$(PY) tools/grade.py $(SUBMISSIONS) $(if $(SOURCE),--source $(SOURCE)) --out $(or $(OUT),grades.csv) \
	  $(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(CELL_TIMEOUT),--cell-timeout $(CELL_TIMEOUT)) \
	  $(if $(CASE_TIMEOUT),--case-timeout $(CASE_TIMEOUT)) $(if $(MEMORY_MB),--memory-mb $(MEMORY_MB)) \
	  $(if $(JOBS),--jobs $(JOBS)) $(if $(POINTS),--points $(POINTS)) $(if $(RESUME),--resume)

clean:
	rm -rf _build
