# producer — the two commands of the README are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
DEMO_DIR ?= demo-album

.PHONY: install install-test demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("producer needs Python >= 3.11") if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip
	$(PIP) install -e .
	# tinysoundfont without its optional pyaudio (playback only; it needs PortAudio headers to build)
	$(PIP) install --no-deps "tinysoundfont>=0.3.6"
	# Compile librosa's numba code into its cache now, not in a user's first `song analyze`
	$(PY) -m producer.workflows.warmup
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -e ".[test]"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

# A second `make demo` keeps the album the first one made, with the edits the README invites.
demo: install
	@if [ -e $(DEMO_DIR)/album.json ]; then \
	  echo "$(DEMO_DIR)/ is kept as it is (your edits stay)."; \
	  echo "To start over: rm -rf $(DEMO_DIR) && make demo"; \
	else \
	  $(VENV)/bin/producer demo $(DEMO_DIR); \
	fi

lint: install-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: install-test lint
	$(VENV)/bin/pytest -n 2 --dist loadfile

bench: install-test
	$(PY) -m bench

# The demo album is a project the user may have edited: clean leaves it alone.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
	@if [ -e $(DEMO_DIR) ]; then echo "$(DEMO_DIR)/ kept; remove it yourself: rm -rf $(DEMO_DIR)"; fi
