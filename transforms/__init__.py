"""Pure functions of citystats: DataFrames (or bytes) in, DataFrames out; no Airflow, no I/O."""
