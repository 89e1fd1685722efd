"""Celery settings of the citystats workers (`[celery] celery_config_options`, set in
deploy/airflow.env): Airflow's defaults, plus the pipeline's heavy libraries imported once by
each worker before it forks its pool, and its report templates compiled once.

Every task runs in a process forked from the worker's pool; without this each one would
import pandas, pyarrow and Great Expectations again, about ten seconds of CPU per task, which
is most of the work of a county check. A task also parses its DAG file; what that parse
imports for the first time is preloaded too. (Airflow preloads its own operators the same way.)
This module is also imported by the scheduler, so it imports nothing heavy itself.
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

CELERY_CONFIG = {
    **DEFAULT_CELERY_CONFIG,
    "imports": (
        "pandas",
        "pyarrow.parquet",
        "pyarrow.dataset",  # staging reads the counties' files as one dataset
        "great_expectations",
        # What a task's parse of its DAG file imports: an Asset's first URI check loads every
        # provider's asset handlers (0.27 s), the DAG's cron timetable and its decorators.
        "include.assets",
        "airflow.timetables.base",
        "airflow.providers.standard.decorators.python",
        "include.daily_pipeline",
        "include.quarterly_pipeline",
        "transforms.check.validation",
    ),
}


@worker_init.connect
def _compile_report_templates(**_) -> None:
    """After the imports above, before the pool forks."""
    from transforms.publish.report_html import compile_templates

    compile_templates()
