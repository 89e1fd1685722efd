"""city_daily_report through Airflow on a date whose landing folder holds hostile entries:
a link to a file outside the landing zone, a linked folder, names with a newline, a tab and
an escape sequence, a stray name that is not UTF-8. Each is a finding; no refused entry is
read, copied or published, and the counties that sent good files are accepted."""

from __future__ import annotations

import os
from datetime import date

import pytest

from include.daily_pipeline import DAILY, county_daily_table
from include.operator_cli import nightly_logical_date
from include.submissions import report_outcomes
from tests.e2e.six_counties import ENTERPRISES, plain_csv, use_six_counties

DAY = "2020-03-16"
# A valid submission for 东区: were it read through the link, it would be accepted.
SECRET = "机密-不应被读取-7f3a"
E1, E2 = (e[0] for e in ENTERPRISES["990102"])
OUTSIDE_ROWS = [
    (E1, True, "2020-03-10", 100, 90, 80, 5, 0, SECRET),
    (E2, False, None, 50, 0, 0, 0, 0, None),
]


def good_rows(county: str):
    key, other = (e[0] for e in ENTERPRISES[county])
    return [
        (key, True, "2020-03-02", 100, 80, 90, 0, 0, None),
        (other, False, None, 20, 0, 0, 0, 0, None),
    ]


@pytest.fixture
def hostile_landing(tmp_path, monkeypatch, airflow_db):
    landing = use_six_counties(tmp_path, monkeypatch)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "990102.csv").write_bytes(plain_csv(DAY, "990102", OUTSIDE_ROWS))
    folder = tmp_path / "landing" / "daily" / DAY
    folder.mkdir(parents=True)
    (folder / "990102.csv").symlink_to(outside / "990102.csv")
    (folder / "990103").symlink_to(outside, target_is_directory=True)
    for name, county in ((b"990104\n.csv", "990104"), (b"990105\t\x1b[31m.csv", "990105")):
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(plain_csv(DAY, county, good_rows(county)))
    with open(os.path.join(os.fsencode(folder), b"\xff\xfe.csv"), "wb") as handle:
        handle.write(b"report_date\n")
    for county in ("990106", "990107"):
        landing._land(DAY, f"{county}.csv", plain_csv(DAY, county, good_rows(county)), "18:00")
    return tmp_path


@pytest.fixture
def daily_dag(hostile_landing):
    from airflow.dag_processing.dagbag import DagBag

    from tests.conftest import REPO

    bag = DagBag(dag_folder=str(REPO / "dags" / "city_daily_report.py"))
    assert bag.import_errors == {}
    return bag.get_dag("city_daily_report")


def every_file_under(*folders):
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                yield path


@pytest.mark.airflow
def test_hostile_entries_are_findings_and_the_other_counties_go_on(daily_dag, hostile_landing):
    root = hostile_landing
    run = daily_dag.test(logical_date=nightly_logical_date(date.fromisoformat(DAY)))
    assert str(run.state).endswith("success")

    outcomes = {o["county_code"]: o for o in report_outcomes(DAILY, DAY)}
    assert {code: o["outcome"] for code, o in outcomes.items()} == {
        "990102": "rejected",
        "990103": "rejected",
        "990104": "rejected",
        "990105": "rejected",
        "990106": "accepted",
        "990107": "accepted",
        "------": "rejected",
    }
    rules = {code: [f["rule"] for f in o["findings"]] for code, o in outcomes.items()}
    assert rules["990102"] == ["landing_entry_is_symlink"]
    assert rules["990103"] == ["landing_entry_is_symlink"]
    assert rules["990104"] == rules["990105"] == ["file_name_has_control_characters"]
    assert rules["------"] == ["file_name_has_control_characters"]
    assert "符号链接" in outcomes["990102"]["findings"][0]["reason"]
    # the names are shown escaped, on one line
    assert outcomes["990104"]["file_name"] == r"990104\n.csv"
    assert outcomes["990105"]["file_name"] == r"990105\t\x1b[31m.csv"
    assert outcomes["------"]["findings"][0]["file_name"] == r"\xff\xfe.csv"
    assert "控制字符" in outcomes["990104"]["findings"][0]["reason"]

    table = county_daily_table(DAY).set_index("county_code")
    assert table.loc[["990106", "990107"], "employees_on_site"].tolist() == [80, 80]
    assert table.loc["990100", "employees_on_site"] == 160
    assert table.loc["990100", "status"] == "partial"

    published, state = root / "published", root / "state"
    files = list(every_file_under(published, state))
    assert files, "the run published nothing"
    secret = SECRET.encode()
    for path in [*files, root / "warehouse.sqlite"]:
        content = path.read_bytes()
        assert secret not in content, path
        # no raw control character of a file name reached a published file
        assert b"990104\n.csv" not in content and b"\x1b[31m" not in content, path
    quarantined = state / "quarantine" / "daily" / DAY
    assert sorted(p.name for p in (quarantined / "990102").iterdir()) == ["reasons.txt"]
    assert sorted(p.name for p in (quarantined / "990104").iterdir()) == ["reasons.txt"]
