# The README's whole set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	@echo "rnnviz: installing into $(VENV) (numpy, PyQt6, pyqtgraph, pytest; a minute or two the first time)..."
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,sweep]'
	touch $(STAMP)

run: $(STAMP)
	@echo "rnnviz: opening the window"
	$(BIN)/rnnviz

# the layering contracts first ([tool.importlinter] in pyproject.toml), then the tests on every core
# (pytest-xdist, at most 4 processes) and the ten slowest
test: $(STAMP)
	$(BIN)/lint-imports
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n auto --maxprocesses 4 --durations=10

clean:
	rm -rf $(VENV) build *.egg-info
