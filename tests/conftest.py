"""Test-wide settings: Airflow reads its configuration from the environment, so set it
before anything imports Airflow, and point every test at its own folders."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

os.environ.setdefault("AIRFLOW_HOME", str(REPO / ".airflow"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(REPO / "dags")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
