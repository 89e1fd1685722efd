"""How mapped tasks are labelled in the Airflow UI, shared by the DAGs (import-light)."""

# A check task's counties, by their codes: "440203" alone, "440203–440282" for a chunk.
COUNTY_RANGE = (
    "{% set counties = task.op_kwargs['counties'] %}{{ counties[0]['county_code'] }}"
    "{% if counties | length > 1 %}–{{ counties[-1]['county_code'] }}{% endif %}"
)
