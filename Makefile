# K3i — two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/k3i demo $(DEMO_ARGS)

test: $(STAMP)
	$(BIN)/ruff check k3i bench
	K3I_TESTING=1 $(BIN)/mypy k3i
	$(BIN)/pytest -n 2
	@if [ -n "$$K3I_TEST_DATABASE_URL" ]; then \
		echo "== suite again on PostgreSQL ($$K3I_TEST_DATABASE_URL)"; \
		K3I_DATABASE_URL="$$K3I_TEST_DATABASE_URL" $(BIN)/pytest -n 2; fi

lint: $(STAMP)
	$(BIN)/ruff check k3i bench

typecheck: $(STAMP)
	K3I_TESTING=1 $(BIN)/mypy k3i

bench: $(STAMP)
	$(BIN)/python bench/locate.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/demo_load.py

clean:
	rm -rf $(VENV) var/*.sqlite3*
