"""`make check`: one file through the DAG's own checks, the pre-check receipt printed, nothing
written anywhere."""

from __future__ import annotations

import subprocess

import pytest

from include.check.check_file import main
from tests.conftest import REPO
from tests.e2e.tiny_city import E1, E2, EAST, W1, W2, WEST, use_tiny_city

DAY = "2020-03-16"
EAST_ROWS = [
    (E1, True, "2020-03-10", 100, 90, 80, 5, 0, "口罩不足"),
    (E2, False, None, 50, 0, 0, 0, 0, None),
]
WEST_TOO_MANY_ON_SITE = [
    (W1, True, "2020-03-16", 200, 250, 50, 0, 1, None),
    (W2, True, "2020-03-01", 40, 40, 100, 0, 0, None),
]


@pytest.fixture
def outbox(tmp_path, monkeypatch):
    """A county clerk's folder beside the city's landing zone (which holds only the registry)."""
    landing = use_tiny_city(tmp_path, monkeypatch)
    folder = tmp_path / "outbox"
    folder.mkdir()

    def write(county: str, rows, name: str | None = None):
        landed = landing.daily_csv(DAY, county, rows, name=name)
        return landed.rename(folder / landed.name)

    return write


def tree(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_a_file_that_would_be_accepted_exits_0_and_writes_nothing(outbox, tmp_path, capsys):
    path = outbox(EAST, EAST_ROWS)
    before = tree(tmp_path)
    assert main([str(path), "--date", DAY]) == 0
    assert tree(tmp_path) == before  # no warehouse, no state folder, no publication
    printed = capsys.readouterr().out
    assert "报送预检结果" in printed and "可以接收" in printed
    assert "东区" in printed and f"{EAST}.csv" in printed


def test_a_file_that_would_be_rejected_exits_1_with_the_reason_in_chinese(outbox, capsys):
    path = outbox(WEST, WEST_TOO_MANY_ON_SITE)
    assert main([str(path), "--date", DAY]) == 1
    printed = capsys.readouterr().out
    assert "会被退回" in printed
    assert "第2行" in printed and "在岗人数" in printed and "职工总数" in printed
    assert "employees_on_site_not_above_total" in printed


def test_the_period_defaults_to_the_files_own_report_date(outbox, capsys):
    path = outbox(EAST, EAST_ROWS)
    assert main([str(path)]) == 0
    assert "可以接收" in capsys.readouterr().out


def test_the_folder_date_rule_applies_to_the_date_given(outbox, capsys):
    path = outbox(EAST, EAST_ROWS)
    assert main([str(path), "--date", "2020-03-17"]) == 1
    assert "填报日期" in capsys.readouterr().out


def test_a_daily_file_checked_as_a_quarterly_one_is_rejected(outbox, capsys):
    path = outbox(EAST, EAST_ROWS)
    assert main([str(path), "--quarter", "2020Q1"]) == 1
    assert "会被退回" in capsys.readouterr().out


def test_a_file_named_for_no_county_is_rejected_as_the_landing_zone_would(outbox, capsys):
    path = outbox(EAST, EAST_ROWS, name="990199_日报.csv")
    assert main([str(path), "--date", DAY]) == 1
    printed = capsys.readouterr().out
    assert "已撤销的区划代码" in printed and "file_name_not_a_county" in printed


def test_a_name_with_control_characters_is_refused_and_shown_escaped(outbox, capsys):
    path = outbox(EAST, EAST_ROWS, name=f"{EAST}\t\x1b[31m.csv")
    assert main([str(path), "--date", DAY]) == 1
    printed = capsys.readouterr().out
    assert "file_name_has_control_characters" in printed and "控制字符" in printed
    assert r"\t\x1b[31m" in printed and "\x1b" not in printed


@pytest.mark.parametrize(
    "arguments",
    [
        ["--date", DAY],  # no such file
        ["--quarter", "2020Q5"],
        ["--date", "2020-03-16", "--quarter", "2020Q1"],
    ],
)
def test_usage_errors_exit_2(outbox, tmp_path, arguments):
    path = tmp_path / "absent.csv" if arguments == ["--date", DAY] else outbox(EAST, EAST_ROWS)
    with pytest.raises(SystemExit) as exit:
        main([str(path), *arguments])
    assert exit.value.code == 2


def test_a_file_that_names_no_period_needs_date_or_quarter(outbox, tmp_path, capsys):
    path = tmp_path / "outbox" / f"{EAST}.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(SystemExit) as exit:
        main([str(path)])
    assert exit.value.code == 2
    assert "DATE=YYYY-MM-DD" in capsys.readouterr().err


def test_make_check_runs_the_module_with_the_options():
    dry_run = subprocess.run(
        ["make", "-n", "check", "FILE=出件/990102.xlsx", "DATE=2020-03-16"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert '-m include.check.check_file "出件/990102.xlsx" --date "2020-03-16"' in dry_run
