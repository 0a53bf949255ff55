# The course's commands. `make book` builds the HTML book, `make test` runs every test.
# Both create the virtual environment .venv and install requirements.txt on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# size setting of the chapters: full (book quality, default) or fast (tests, CI)
TLCOURSE_SIZE ?= full
BOOK_OUT := $(if $(filter fast,$(TLCOURSE_SIZE)),_build/fast,.)

export OMP_NUM_THREADS ?= 1
export PYDEVD_DISABLE_FILE_VALIDATION = 1

.PHONY: install vendor book student test lint clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

# MathJax, require.js and the widget manager, pinned in tools/vendor/, served from the book itself.
vendor: install
	$(BIN)/python tools/vendor_assets.py

# The HTML book lands in _build/html (fast setting: _build/fast/_build/html). The chapters are
# executed first, JOBS at a time, into the build's execution cache (tools/execute_chapters.py);
# the build then finds them there.
JOBS ?= 2
book: install vendor
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/python tools/execute_chapters.py --jobs $(JOBS) --cache $(BOOK_OUT)/_build/.jupyter_cache
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/jupyter-book build . -W --keep-going --path-output $(BOOK_OUT)

# The student edition: the same book with every exercise solution removed, in
# _build/student/_build/html (fast setting: _build/fast/student/_build/html). Its configuration is
# generated from _config.yml by book/_ext/student_edition.py; it shares the execution cache of
# `make book`, so after `make book` no chapter runs again.
STUDENT_OUT := $(if $(filter fast,$(TLCOURSE_SIZE)),_build/fast/student,_build/student)
student: install vendor
	$(BIN)/python book/_ext/student_edition.py $(STUDENT_OUT)/_config.yml --cache $(BOOK_OUT)/_build/.jupyter_cache
	TLCOURSE_SIZE=$(TLCOURSE_SIZE) $(BIN)/jupyter-book build . -W --keep-going --config $(STUDENT_OUT)/_config.yml --path-output $(STUDENT_OUT)

lint: install
	$(BIN)/ruff check .

# Every test, in the fast setting, one execution stage at a time (tools/run_tests.py): unit tests
# and every chapter under nbval; then the fast book (`make book TLCOURSE_SIZE=fast`); then the
# built book in headless Chromium and the student edition. Ends with a one-line summary.
test: install lint
	TLCOURSE_SIZE=fast $(BIN)/python tools/run_tests.py

clean:
	rm -rf _build
