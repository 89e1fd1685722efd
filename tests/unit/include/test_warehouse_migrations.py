"""Alembic owns the warehouse schema: an engine creates nothing, `migrate` creates exactly what
include/tables.py defines, a second run changes nothing, a warehouse made by the old
create-on-connect code is taken over with its rows, and the revisions do not drift from
include/tables.py (the check `alembic revision --autogenerate` would make)."""

from __future__ import annotations

import importlib
import subprocess
import sys
import tomllib
from datetime import date

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.pool import NullPool

from include import warehouse
from include.tables import county_daily, metadata, submissions_log
from tests.conftest import REPO


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path) -> str:
    """An empty database: a new SQLite file, or a new database on the local PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


# The tables the code created on connect before Alembic took the schema over: the ones the
# first revision takes over.
BEFORE_ALEMBIC = importlib.import_module("include.migrations.versions.0001_warehouse_schema").TABLES


def plain_engine(url: str) -> Engine:
    return create_engine(url, poolclass=NullPool)


def schema_of(url: str) -> dict:
    """Tables, their columns in order (name, nullable, comment) and primary keys, as reflected."""
    engine = plain_engine(url)
    try:
        inspector = inspect(engine)
        comments = engine.dialect.supports_comments
        return {
            name: {
                "columns": [
                    (c["name"], c["nullable"], c.get("comment") if comments else None)
                    for c in inspector.get_columns(name)
                ],
                "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
            }
            for name in inspector.get_table_names()
            if name != warehouse.VERSION_TABLE
        }
    finally:
        engine.dispose()


def defined_schema(url: str) -> dict:
    comments = plain_engine(url).dialect.supports_comments
    return {
        table.name: {
            "columns": [
                (c.name, c.nullable, c.comment if comments else None) for c in table.columns
            ],
            "primary_key": [c.name for c in table.primary_key.columns],
        }
        for table in metadata.sorted_tables
    }


def drift(url: str) -> list:
    """What autogenerate finds between the database and include/tables.py (types included)."""
    engine = plain_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={"compare_type": True, "version_table": warehouse.VERSION_TABLE},
            )
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_opening_an_engine_creates_no_table(empty_url):
    engine = warehouse.engine_for(empty_url)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert inspect(engine).get_table_names() == []
    assert warehouse.schema_revision(empty_url) is None


def test_migrate_creates_exactly_the_tables_and_columns_of_include_tables(empty_url):
    assert warehouse.migrate(empty_url) == warehouse.head_revision()
    assert schema_of(empty_url) == defined_schema(empty_url)
    tables = inspect(plain_engine(empty_url)).get_table_names()
    assert sorted(tables) == sorted([*metadata.tables, warehouse.VERSION_TABLE])


def test_include_tables_and_the_migrations_do_not_drift(empty_url):
    """A change to include/tables.py without a new revision fails here: write one with
    `python -m include.warehouse revision -m "what changed"`."""
    warehouse.migrate(empty_url)
    assert drift(empty_url) == []


def test_a_second_migrate_changes_nothing(empty_url):
    warehouse.migrate(empty_url)
    before = schema_of(empty_url)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        assert warehouse.migrate(empty_url) == warehouse.head_revision()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    writes = [
        s
        for s in statements
        if s.lstrip().split(None, 1)[0].upper()
        in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE", "COMMENT"}
    ]
    assert statements and writes == []
    assert schema_of(empty_url) == before


def test_a_warehouse_made_by_create_all_is_taken_over_with_its_rows(empty_url):
    engine = plain_engine(empty_url)
    # What engine_for did before Alembic, with the tables the code had then.
    metadata.create_all(engine, tables=[metadata.tables[name] for name in BEFORE_ALEMBIC])
    with engine.begin() as connection:
        connection.execute(
            county_daily.insert(),
            {"report_date": date(2020, 3, 17), "county_code": "440203", "status": "accepted"},
        )
        connection.execute(
            submissions_log.insert(),
            {"kind": "daily", "period": "2020-03-17", "county_code": "440203", "filled_by": "张"},
        )
    engine.dispose()
    assert warehouse.schema_revision(empty_url) is None

    assert warehouse.migrate(empty_url) == warehouse.head_revision()
    assert schema_of(empty_url) == defined_schema(empty_url)
    assert drift(empty_url) == []
    kept = warehouse.read_partition(plain_engine(empty_url), county_daily)
    assert kept[["county_code", "status"]].values.tolist() == [["440203", "accepted"]]
    log = warehouse.read_partition(plain_engine(empty_url), submissions_log)
    assert log["filled_by"].tolist() == ["张"]


def test_an_older_warehouse_gains_the_tables_and_columns_it_lacks(empty_url):
    """A warehouse last opened by a version of the code before some columns existed: the old
    code added them on connect; the first revision does it once, keeping the rows."""
    engine = plain_engine(empty_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE county_daily (report_date DATE NOT NULL, "
                "county_code VARCHAR(6) NOT NULL, "
                "county_name VARCHAR(64), status VARCHAR(16), revision INTEGER, "
                "PRIMARY KEY (report_date, county_code))"
            )
        )
        connection.execute(
            text("INSERT INTO county_daily VALUES ('2020-03-17', '440203', '武江区', 'missing', 1)")
        )
    engine.dispose()
    warehouse.migrate(empty_url)
    assert schema_of(empty_url) == defined_schema(empty_url)
    assert drift(empty_url) == []
    kept = warehouse.read_partition(
        plain_engine(empty_url), county_daily, {"report_date": date(2020, 3, 17)}
    )
    assert kept.loc[0, "county_name"] == "武江区" and pd.isna(kept.loc[0, "key_in_scope"])


def test_the_cli_migrates_the_configured_warehouse(tmp_path):
    """`make setup` runs `python -m include.warehouse migrate`: CITYSTATS_WAREHOUSE_URL, and a
    folder for a SQLite file that does not exist yet."""
    url = f"sqlite:///{tmp_path / 'data' / 'warehouse.sqlite'}"
    environment = {"PATH": "/usr/bin:/bin", "CITYSTATS_WAREHOUSE_URL": url}
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "include.warehouse", "migrate"],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"revision {warehouse.head_revision()}" in done.stdout
    assert schema_of(url) == defined_schema(url)


def test_the_migrations_ship_with_the_package():
    """Every file of the Alembic environment is package data of `include`."""
    with open(REPO / "pyproject.toml", "rb") as handle:
        patterns = tomllib.load(handle)["tool"]["setuptools"]["package-data"]["include"]
    package = REPO / "include"
    files = {
        path.relative_to(package).as_posix()
        for path in warehouse.MIGRATIONS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    shipped = {p.relative_to(package).as_posix() for g in patterns for p in package.glob(g)}
    assert {"migrations/env.py", "migrations/script.py.mako"} <= files
    assert any(f.startswith("migrations/versions/") for f in files)
    assert files - shipped == set()
