# Two commands on a fresh machine: `make demo` (the lab: a local cluster, an nginx
# gateway and the screen on it) and `make test` (the test suite). Each sets itself up in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO := demo

.PHONY: system demo test lint bench screenshots clean

$(BIN)/mtls-tui: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

system:
	@{ command -v nginx >/dev/null || test -x /usr/sbin/nginx; } && test -e /usr/lib/nginx/modules/ngx_stream_module.so && command -v zsh >/dev/null || sh scripts/install-system-packages.sh

demo: system $(BIN)/mtls-tui
	$(BIN)/mtls-tui lab --dir $(DEMO)

test: system $(BIN)/mtls-tui
	$(BIN)/python -m pytest -q -n 2

# ruff's rules and mypy (strict on the pure core), as pyproject.toml configures them.
lint: $(BIN)/mtls-tui
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: $(BIN)/mtls-tui
	for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

screenshots: $(BIN)/mtls-tui
	$(BIN)/python scripts/screenshots.py screenshots $(DEMO)

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache .hypothesis
