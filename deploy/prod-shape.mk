# Production-shape targets (issue 6): Airflow's own services against local Postgres and Redis.
# docker-compose.yml is the deployment; `make prod-shape` runs the same services, commands and
# settings (deploy/airflow.env) as processes of this host, for machines without Docker.

PROD_SHAPE_DIR ?= $(CURDIR)/.prod-shape

.PHONY: prod-shape prod-shape-stop compose-env

prod-shape: setup
	$(BIN)/python -m deploy.prod_shape --state-dir "$(PROD_SHAPE_DIR)" start

prod-shape-stop:
	$(BIN)/python -m deploy.prod_shape --state-dir "$(PROD_SHAPE_DIR)" stop

# The secrets docker-compose.yml reads; refuses to replace an existing .env.
compose-env:
	$(BIN)/python -m deploy.secrets_env .env

# Faults thrown at the running prod-shape deployment during a backfill (deploy/chaos.py):
# the warehouse's connections ended, the worker killed; then compared with an undisturbed run.
# CHAOS_ARGS="--from-date 2020-03-04 --to-date 2020-03-07 --restart-command '...'".
.PHONY: chaos
chaos: $(VENV)/.installed
	$(BIN)/python -m deploy.chaos --state-dir "$(PROD_SHAPE_DIR)" $(CHAOS_ARGS)
