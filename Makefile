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

.PHONY: install lock vendor book student test lint clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements-lock.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-lock.txt
	touch $@

# After editing requirements.txt: resolve every transitive pin into requirements-lock.txt
# (pip-tools' pip-compile; takes minutes) and regenerate binder/requirements.txt from it.
lock: install
	$(BIN)/python tools/lock.py

# MathJax, require.js and the widget manager, pinned in tools/vendor/, served from the book itself.
vendor: install
	$(BIN)/python tools/vendor_assets.py

# The HTML book lands in _build/html (fast setting: _build/fast/_build/html).
book: install vendor
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/jupyter-book build . -W --keep-going --path-output $(BOOK_OUT)

# The student edition: the same book with every exercise solution removed, in
# _build/student/_build/html (fast setting: _build/fast/student/_build/html). Its configuration is
# generated from _config.yml by book/_ext/student_edition.py; it shares the execution cache of
# `make book`, so after `make book` no chapter runs again.
STUDENT_OUT := $(if $(filter fast,$(TLCOURSE_SIZE)),_build/fast/student,_build/student)
student: install vendor
	$(BIN)/python book/_ext/student_edition.py $(STUDENT_OUT)/_config.yml --cache $(BOOK_OUT)/_build/.jupyter_cache
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/jupyter-book build . -W --keep-going --config $(STUDENT_OUT)/_config.yml --path-output $(STUDENT_OUT)

# ruff over the package, the tests and the code cells of every chapter (book/*.md, read as
# notebooks by jupytext into a temporary folder).
lint: install
	$(BIN)/ruff check .
	$(BIN)/python tools/lint_chapters.py

# Unit tests of tlcourse plus every chapter executed by nbval, always in the fast setting.
test: install lint
	TLCOURSE_SIZE=fast $(BIN)/python -m pytest -n 2 --dist loadfile

clean:
	rm -rf _build
