"""The analyst tables under <publish>/tables/ are brought up to date from the partitions written
since their file was: byte for byte the file a build from the whole table gives."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import update

from include import warehouse
from include.publish.analyst_files import refreshed_table_file
from include.tables import industry_daily, submissions_log
from transforms.publish.analyst_tables import table_parquet

FIRST = date(2020, 3, 16)


@pytest.fixture
def engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    warehouse.migrate(url)
    engine = warehouse.engine_for(url)
    yield engine
    engine.dispose()


def industries(day: date, resumed: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "report_date": day,
            "industry_code": ["13", "31", "38"],
            "industry_name": ["农副食品加工业", "黑色金属冶炼和压延加工业", "电气机械和器材制造业"],
            "enterprises_in_scope": [10, 4, 6],
            "enterprises_resumed": [resumed, 3, 6],
            "resumption_rate": [resumed / 10, 0.75, 1.0],
        }
    )


def write(engine, day: date, resumed: int) -> None:
    with engine.begin() as connection:
        warehouse.replace_partition(
            connection, industry_daily, {"report_date": day}, industries(day, resumed)
        )


def refresh(engine, root: Path) -> bytes:
    """One refresh of the folder's file, written as refresh_publish_root writes it."""
    path = root / "tables" / "industry_daily.parquet"
    with engine.begin() as connection:
        content = refreshed_table_file(connection, root, industry_daily, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return content


def whole_table(engine) -> bytes:
    return table_parquet(warehouse.read_partition(engine, industry_daily), industry_daily)


def resumed_on(content: Path | bytes, day: date) -> list[int]:
    rows = pq.read_table(pa.BufferReader(content) if isinstance(content, bytes) else content)
    rows = rows.to_pandas()
    return rows.loc[rows["report_date"] == day, "enterprises_resumed"].tolist()


def test_a_refresh_replaces_the_changed_dates_and_gives_the_whole_tables_bytes(engine, tmp_path):
    root = tmp_path / "published"
    for offset in range(3):
        write(engine, FIRST + timedelta(days=offset), 5)
    assert refresh(engine, root) == whole_table(engine)  # no file yet: built whole

    write(engine, FIRST + timedelta(days=1), 7)  # a republished date
    write(engine, FIRST - timedelta(days=1), 2)  # a backfilled date before the others
    write(engine, FIRST + timedelta(days=3), 9)  # the next date

    assert refresh(engine, root) == whole_table(engine)
    assert refresh(engine, root) == whole_table(engine)  # nothing changed since


def test_only_the_partitions_written_since_are_read(engine, tmp_path):
    root = tmp_path / "published"
    write(engine, FIRST, 5)
    write(engine, FIRST + timedelta(days=1), 5)
    refresh(engine, root)
    with engine.begin() as connection:  # around replace_partition: no new version
        connection.execute(
            update(industry_daily)
            .where(industry_daily.c.report_date == FIRST)
            .values(enterprises_resumed=1)
        )

    write(engine, FIRST + timedelta(days=1), 8)
    content = refresh(engine, root)

    assert resumed_on(content, FIRST) == [5, 3, 6]  # not read again
    assert resumed_on(content, FIRST + timedelta(days=1)) == [8, 3, 6]


def test_a_file_that_does_not_match_the_table_is_built_whole(engine, tmp_path):
    root = tmp_path / "published"
    write(engine, FIRST, 5)
    refresh(engine, root)
    with engine.begin() as connection:  # a row the versions do not know of
        connection.execute(
            industry_daily.insert(),
            {"report_date": FIRST, "industry_code": "06", "enterprises_resumed": 1},
        )
    assert refresh(engine, root) == whole_table(engine)

    path = root / "tables" / "industry_daily.parquet"
    empty_log = pd.DataFrame(columns=list(submissions_log.c.keys()))
    path.write_bytes(table_parquet(empty_log, submissions_log))  # another table's columns
    assert refresh(engine, root) == whole_table(engine)


def test_each_publish_folder_holds_its_own_versions(engine, tmp_path):
    first_root, second_root = tmp_path / "first", tmp_path / "second"
    write(engine, FIRST, 5)
    refresh(engine, first_root)
    write(engine, FIRST, 6)
    refresh(engine, second_root)
    write(engine, FIRST + timedelta(days=1), 7)

    assert refresh(engine, first_root) == refresh(engine, second_root) == whole_table(engine)
    assert resumed_on(first_root / "tables" / "industry_daily.parquet", FIRST) == [6, 3, 6]
