"""Airflow Assets shared by the DAGs: one definition, so producer and consumer cannot differ."""

from airflow.sdk import Asset

# Updated whenever city_daily_report publishes a date; city_quarterly_report listens to it.
DAILY_PUBLICATION = Asset("citystats_daily_publication", uri="citystats://published/daily")
