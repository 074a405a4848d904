# Two commands on a fresh machine: `make demo` (the main job on the embedded
# default) and `make test` (the test suite). Each sets itself up in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo

.PHONY: demo test bench clean

$(BIN)/mtls-tui: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/mtls-tui
	$(BIN)/mtls-tui pki $(DEMO)
	$(BIN)/mtls-tui inspect $(DEMO)/my-certs.json --cert $(DEMO)/client.crt --key $(DEMO)/client.key --host meow.com

test: $(BIN)/mtls-tui
	$(BIN)/python -m pytest -q

bench: $(BIN)/mtls-tui
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
