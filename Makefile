# citystats: `make demo` and `make test` are the two commands; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9

export AIRFLOW_HOME ?= $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := False
export CITYSTATS_LANDING ?= $(CURDIR)/data/landing
export CITYSTATS_PUBLISH ?= $(CURDIR)/data/published
export CITYSTATS_WAREHOUSE_URL ?= sqlite:///$(CURDIR)/data/warehouse.sqlite

DEMO_FROM := 2020-02-03
DEMO_TO := 2020-03-31
DEMO_QUARTERS := 2020Q1 2020Q2

.PHONY: help setup demo demo-data test lint backfill quarterly approve unlock check clean

help:
	@echo "make demo      set up, write the demo landing zone, run the DAGs over the demo period"
	@echo "make test      run the whole test suite"
	@echo "make lint      ruff"
	@echo "make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD   run city_daily_report for each date"
	@echo "make quarterly QUARTER=YYYYQn                 run city_quarterly_report for one quarter"
	@echo "make approve PERIOD=YYYY-MM-DD|YYYYQn BY=<name>   approve (lock) a published period"
	@echo "make unlock PERIOD=YYYY-MM-DD|YYYYQn BY=<name>    unlock it; the next run publishes held corrections"
	@echo "make check FILE=path [DATE=YYYY-MM-DD | QUARTER=YYYYQn]   check one county file before it is sent"
	@echo "make prod-shape / prod-shape-stop   Airflow's services on local Postgres and Redis"
	@echo "make bench [BENCH_SCALES=city,province]   time one synthetic date per scale against a pandas floor"
	@echo "make bench-backfill                 time a 30-date city-scale backfill through prod-shape"
	@echo "make compose-env                    write .env (secrets) for docker-compose.yml"

# The venv is rebuilt whenever the lock file changes; the stamp keeps `make setup` idempotent.
# Its bytecode is compiled once here: in a shell with PYTHONDONTWRITEBYTECODE, every process
# would otherwise compile Airflow, GX and pandas from source (about 10 s each).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $@

$(AIRFLOW_HOME)/.migrated: $(VENV)/.installed
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/migrate.log; exit 1)
	touch $@

# The warehouse schema (Alembic, include/migrations) is migrated on every `make setup`, without
# a stamp: the database at CITYSTATS_WAREHOUSE_URL can change under a stamp, and a warehouse
# already at the newest revision is left as it is.
setup: $(VENV)/.installed $(AIRFLOW_HOME)/.migrated
	@$(BIN)/python -m include.warehouse migrate

demo-data: setup
	$(BIN)/python -m include.demo --landing "$(CITYSTATS_LANDING)"

demo: demo-data
	$(MAKE) --no-print-directory backfill FROM=$(DEMO_FROM) TO=$(DEMO_TO)
	for quarter in $(DEMO_QUARTERS); do $(MAKE) --no-print-directory quarterly QUARTER=$$quarter || exit 1; done
	@echo "Demo landing zone: $(CITYSTATS_LANDING)"
	@echo "Reports index: $(abspath $(CITYSTATS_PUBLISH))/index.html"

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

backfill: setup
	@test -n "$(FROM)" -a -n "$(TO)" || (echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD"; exit 2)
	$(BIN)/python -m include.operator_cli backfill --from-date $(FROM) --to-date $(TO)

quarterly: setup
	@test -n "$(QUARTER)" || (echo "usage: make quarterly QUARTER=YYYYQn"; exit 2)
	$(BIN)/python -m include.operator_cli quarterly --quarter $(QUARTER)

approve unlock: setup
	@test -n "$(PERIOD)" -a -n "$(BY)" || (echo "usage: make $@ PERIOD=YYYY-MM-DD|YYYYQn BY=<name>"; exit 2)
	$(BIN)/python -m include.operator_cli $@ --period "$(PERIOD)" --by "$(BY)"

# The module exits 1 for a file that would be rejected; make itself then reports it and exits 2.
# Only the venv is needed: `setup` would migrate the warehouse, and a check writes nothing.
check: $(VENV)/.installed
	@test -n "$(FILE)" || (echo "usage: make check FILE=path [DATE=YYYY-MM-DD | QUARTER=YYYYQn]"; exit 2)
	@$(BIN)/python -m include.check.check_file "$(FILE)" $(if $(DATE),--date "$(DATE)") $(if $(QUARTER),--quarter "$(QUARTER)")

# Benchmarks (issue 10): synthetic cities timed against a bare-pandas floor; see bench/.
# BENCH_SCALES=city,province picks scales (default: city, province and national).
.PHONY: bench bench-backfill
bench: $(VENV)/.installed
	$(BIN)/python -m bench.bench_daily $(if $(BENCH_SCALES),--scales $(BENCH_SCALES))

# 30 city-scale dates through `make prod-shape`'s services (own state folder, stopped at the end);
# needs PostgreSQL and Redis. BENCH_BACKFILL_MAX_ACTIVE_RUNS (default 8) goes to backfill create.
bench-backfill: $(VENV)/.installed
	$(BIN)/python -m bench.bench_backfill

-include deploy/prod-shape.mk

clean:
	rm -rf $(VENV) $(AIRFLOW_HOME) data
