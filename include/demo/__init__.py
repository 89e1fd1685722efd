"""The deterministic demo data set: a landing zone that reproduces the city's 2020 figures.

`python -m include.demo --landing PATH [--seed N]` writes it; the generator is pure and
exposes its own aggregates, so the calibration can be checked without the pipeline.
"""

from include.demo.anomalies import (
    MILESTONE_WINDOW,
    AnomalyKind,
    DemoAnomaly,
    anomalies_table,
)
from include.demo.generator import (
    DEFAULT_SEED,
    DemoDataset,
    daily_resumption_counts,
    enterprises_in_scope,
    generate_demo,
    quarterly_totals,
)
from include.demo.landing_writer import write_demo_landing
from include.demo.submissions import SubmissionFile, plan_submissions

__all__ = [
    "DEFAULT_SEED",
    "MILESTONE_WINDOW",
    "AnomalyKind",
    "DemoAnomaly",
    "DemoDataset",
    "SubmissionFile",
    "anomalies_table",
    "daily_resumption_counts",
    "enterprises_in_scope",
    "generate_demo",
    "plan_submissions",
    "quarterly_totals",
    "write_demo_landing",
]
