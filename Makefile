# netcron: `make demo` runs the embedded demo, `make test` runs the tests (SQLite, then PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DATA_DIR ?= $(CURDIR)/.netcron
TEST_DATA_DIR ?= $(CURDIR)/.netcron-test
PG_URL ?= postgresql://postgres@127.0.0.1:5432/netcron
PYTEST_ARGS ?=

.PHONY: install demo test test-sqlite test-postgres lint clean

$(BIN)/netcron: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# A third-party switch emulator our SSH driver is tested against; its metadata pins an ancient
	# Twisted, so it is installed without dependencies next to a current Twisted.
	$(BIN)/pip install --quiet 'twisted[conch]==26.10.0' tftpy==0.8.7 netaddr==1.3.0
	$(BIN)/pip install --quiet --no-deps fake-switches==1.5.0
	touch $(BIN)/netcron

install: $(BIN)/netcron

demo: install
	NETCRON_DATA_DIR=$(DATA_DIR) $(BIN)/netcron up --demo

test: install lint test-sqlite test-postgres

lint: install
	$(BIN)/ruff check .
	NETCRON_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/python manage.py makemigrations --check --dry-run

test-sqlite: install
	NETCRON_DATA_DIR=$(TEST_DATA_DIR) $(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	NETCRON_DATA_DIR=$(TEST_DATA_DIR) NETCRON_DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(TEST_DATA_DIR) .pytest_cache
