# The course's commands. `make book` builds the HTML book, `make test` runs every test.
# Both create the virtual environment .venv and install requirements-lock.txt (every dependency
# pinned, generated from requirements.txt by `make lock`) on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# size setting of the chapters: full (book quality, default) or fast (tests, CI)
TLCOURSE_SIZE ?= full
BOOK_OUT := $(if $(filter fast,$(TLCOURSE_SIZE)),_build/fast,.)

export OMP_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION = 1

.PHONY: install lock vendor execute book student notebooks autograder pdf test lint clean lint-meta publish

install: $(VENV)/.installed

# uv installs the lock (about 40 s, against two minutes with pip), compiling every module once: the
# tests start many interpreters, and where PYTHONDONTWRITEBYTECODE is set each one would otherwise
# recompile torch on import. A wheel folder given to pip (PIP_FIND_LINKS) is given to uv too.
UV_VERSION := 0.13.9
$(VENV)/.installed: requirements-lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python \
	  $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS)) -r requirements-lock.txt
	touch $@

# After editing requirements.txt: resolve every transitive pin into requirements-lock.txt
# (pip-tools' pip-compile; takes minutes) and regenerate binder/requirements.txt from it.
lock: install
	$(BIN)/python tools/lock.py

# MathJax, require.js and the widget manager, pinned in tools/vendor/, served from the book itself.
vendor: install
	$(BIN)/python tools/vendor_assets.py

# The HTML book lands in _build/html (fast setting: _build/fast/_build/html). The chapters are
# executed first, JOBS at a time, into the build's execution cache (tools/execute_chapters.py);
# the build then finds them there. EXECUTED=<folder> takes the chapters that nbval has just
# executed (`make test` sets it: each chapter executes once per test run).
JOBS ?= 2
EXECUTED ?=
execute: install vendor
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/python tools/execute_chapters.py --jobs $(JOBS) --cache $(BOOK_OUT)/_build/.jupyter_cache $(if $(EXECUTED),--executed $(EXECUTED))

book: execute
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/jupyter-book build . -W --keep-going --path-output $(BOOK_OUT)

# The student edition: the same book without the exercise solutions and the instructor kit, in
# _build/student/_build/html (fast setting: _build/fast/student/_build/html). Its configuration
# and table of contents are generated from _config.yml and _toc.yml by
# book/_ext/student_edition.py; it shares the execution cache of `make book` (the `execute` step:
# after `make book` no chapter runs again). `make -j2 book student` executes the chapters once,
# then builds both editions side by side.
STUDENT_OUT := $(if $(filter fast,$(TLCOURSE_SIZE)),_build/fast/student,_build/student)
student: execute
	$(BIN)/python book/_ext/student_edition.py $(STUDENT_OUT)/_config.yml --cache $(BOOK_OUT)/_build/.jupyter_cache
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/jupyter-book build . -W --keep-going --config $(STUDENT_OUT)/_config.yml --toc $(STUDENT_OUT)/_toc.yml --path-output $(STUDENT_OUT)

# The chapters and their starters as notebooks, in _build/notebooks/chapters and .../starters
# (book/_ext/starters.py: jupytext, the book's folding; a first cell that installs tlcourse on
# Colab only). The books carry them too (_notebooks/, _starters/): their Colab buttons open them.
notebooks: install
	$(BIN)/python book/_ext/starters.py --solved _build/notebooks/chapters book/*.md
	$(BIN)/python book/_ext/starters.py _build/notebooks/starters book/*.md

# The autograder: each chapter's exercises exported for otter-grader by tools/autograder.py into
# _build/autograder/<chapter>/ (autograder.zip, generated from the checker calls of the chapter's
# solutions, and the assignment: the chapter's starter notebook). Grade a submission, without
# Docker: .venv/bin/otter run -a _build/autograder/<chapter>/autograder.zip -o OUT submission.ipynb
# (in the same size setting, AUTOGRADER_SIZE: the expected verdicts are computed in it).
AUTOGRADER_SIZE ?= fast
autograder: install
	TLCOURSE_SIZE=$(AUTOGRADER_SIZE) $(BIN)/python tools/autograder.py _build/autograder

# One PDF of the book, offline (tools/pdf.py): every page of the built book (`make book` first,
# done here) printed by Chromium with the theme's print styles, merged with a bookmark per page,
# into _build/pdf/book.pdf (fast setting: _build/fast/pdf/book.pdf); it fails if a display
# equation is wider than the printed column.
PDF_OUT := $(if $(filter fast,$(TLCOURSE_SIZE)),_build/fast/pdf,_build/pdf)/book.pdf
pdf: book
	$(BIN)/python tools/pdf.py $(BOOK_OUT)/_build/html $(PDF_OUT)

# ruff over the package, the tests and the code cells of every chapter (book/*.md, read as
# notebooks by jupytext into a temporary folder).
lint: install lint-meta
	$(BIN)/ruff check .
	$(BIN)/python tools/lint_chapters.py

# The GitHub workflows (actionlint, with shellcheck on their scripts; GitHub's workflow schema) and
# CITATION.cff (the Citation File Format schema), offline: the schemas ship inside check-jsonschema.
lint-meta: install
	$(BIN)/actionlint -no-color -shellcheck=$(BIN)/shellcheck -pyflakes= .github/workflows/*.yml
	$(BIN)/python tools/check_schemas.py

# Every test, in the fast setting, one execution stage at a time (tools/run_tests.py): unit tests
# and every chapter under nbval; then the fast book (`make book TLCOURSE_SIZE=fast`); then the
# built book in headless Chromium, the student edition and its starter notebooks. Ends with a
# one-line summary.
test: install lint
	TLCOURSE_SIZE=fast $(BIN)/python tools/run_tests.py

# Publish by hand, without GitHub Actions: push the built book ($(BOOK_OUT)/_build/html; run
# `make book` first) to the gh-pages branch of the git remote $(PAGES_REMOTE) with ghp-import (-n
# writes .nojekyll, so that GitHub Pages serves the book's _static/ folder as it is). With
# PUBLISH_STUDENT_EDITION=true the student edition (run `make student` first) goes under /student/,
# as in .github/workflows/publish.yml. The site is assembled in _build/site.
PAGES_REMOTE ?= origin
PUBLISH_STUDENT_EDITION ?= false
publish:
	@test -x $(BIN)/ghp-import || { echo "publish: $(BIN)/ghp-import is missing: run 'make install'"; exit 1; }
	@test -f $(BOOK_OUT)/_build/html/index.html || { echo "publish: no book in $(BOOK_OUT)/_build/html: run 'make book' first"; exit 1; }
	rm -rf _build/site && cp -r $(BOOK_OUT)/_build/html _build/site
	@if [ "$(PUBLISH_STUDENT_EDITION)" = true ]; then \
	  test -f $(STUDENT_OUT)/_build/html/index.html || { echo "publish: no student edition in $(STUDENT_OUT)/_build/html: run 'make student' first"; exit 1; }; \
	  echo "adding the student edition under student/"; cp -r $(STUDENT_OUT)/_build/html _build/site/student; \
	fi
	$(BIN)/ghp-import -n -p -r $(PAGES_REMOTE) -b gh-pages -m "Publish the book built from $$(git rev-parse --short HEAD)" _build/site

clean:
	rm -rf _build
