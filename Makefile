# xinyong: two commands do all the set-up on a fresh machine.
#   make demo   builds a demo city on SQLite and serves the API on 127.0.0.1:8000
#   make test   runs the whole suite (SQLite, and PostgreSQL when it can be started)
# make check runs lint, types and tests.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PG_URL_FILE := var/pg-test-url

.PHONY: install demo serve test check lint types format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/xinyong demo --host 127.0.0.1 --port 8000

serve: $(STAMP)
	$(BIN)/xinyong serve

# PostgreSQL: XINYONG_TEST_POSTGRES_URL if set (CI sets it), else a throwaway server started
# by scripts/pg-test-server when PostgreSQL is installed; otherwise those tests are skipped
# (never in CI, where they fail instead).
test: $(STAMP)
	@url="$$XINYONG_TEST_POSTGRES_URL"; \
	if [ -z "$$url" ] && [ -z "$$CI" ]; then \
		url="$$(scripts/pg-test-server start 2>/dev/null | tail -n 1)" || url=""; \
	fi; \
	if [ -n "$$url" ]; then echo "PostgreSQL tests on $$url"; else echo "PostgreSQL not available: its tests are skipped"; fi; \
	XINYONG_TEST_POSTGRES_URL="$$url" $(BIN)/pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

check: lint types test

bench: $(STAMP)
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/search_bench.py

clean:
	rm -rf var/demo var/xinyong.db var/xinyong.db-wal var/xinyong.db-shm
