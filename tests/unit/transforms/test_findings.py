"""The sentence a county reads for each finding, explained warnings, and that no rule of the
pipeline speaks English to a county."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from stdnum.cn import uscc

from tests.conftest import REPO
from transforms import schema
from transforms.check.validation import (
    apply_explanations,
    daily_context_findings,
    quarterly_context_findings,
    run_expectation_suite,
)
from transforms.findings import Finding
from transforms.ingest.readers import (
    UnreadableFile,
    read_daily_submission,
    read_quarterly_submission,
    read_registry,
)

COUNTY, OTHER_COUNTY = "440203", "440204"


def test_a_finding_reads_as_one_chinese_sentence_with_the_rule_id_beside_it():
    finding = Finding.about_rows(
        "employees_on_site_not_above_total",
        "error",
        "在岗人数大于职工总数",
        [14, 61],
        ["在岗人数 260，职工总数 242", "在岗人数 250，职工总数 240"],
        file_name="440203.csv",
    )
    assert finding.describe() == (
        "440203.csv：第14、61行：在岗人数大于职工总数（在岗人数 260，职工总数 242；"
        "在岗人数 250，职工总数 240），请核实后重新报送。［employees_on_site_not_above_total］"
    )


def test_rows_beyond_the_quoted_ones_are_counted():
    finding = Finding.about_rows(
        "employees_total_not_negative", "error", "职工总数不能为负数", range(2, 32), ["-1"] * 30
    )
    assert finding.describe().startswith(
        "第2、3、4、5、6、7、8、9、10、11、12、13、14、15、16、17、18、19、20、21等30行："
        "职工总数不能为负数（-1、"
    )
    assert "-1等），请修改后重新报送。［employees_total_not_negative］" in finding.describe()


def test_a_warning_on_rows_asks_to_confirm_or_explain_in_the_row():
    finding = Finding.about_rows(
        "capacity_pct_over_100", "warning", "产能恢复率超过100%", [4], ["120"], file_name="a.xlsx"
    )
    assert finding.describe() == (
        "a.xlsx：第4行：产能恢复率超过100%（120），请核实；如数据无误，可在该行“说明”列"
        "写明原因。［capacity_pct_over_100］"
    )
    assert finding.label == "警告" and not finding.explained


def test_a_warning_about_the_whole_file_has_no_row_to_explain_it_in():
    finding = Finding("a_whole_file_rule", "warning", "文件中的企业数比上一日少一半")
    assert finding.describe() == "文件中的企业数比上一日少一半，请核实。［a_whole_file_rule］"


def test_an_explained_warning_reads_as_explained_with_the_countys_text():
    finding = Finding.about_rows(
        "capacity_pct_over_100", "warning", "产能恢复率超过100%", [4, 9], ["120", "130"]
    )
    one = finding.explained_by(["新生产线投产", "新生产线投产"])
    assert one.describe() == (
        "第4、9行：产能恢复率超过100%（120、130），已说明：“新生产线投产”。［capacity_pct_over_100］"
    )
    two = finding.explained_by(["新生产线投产", "加班生产"])
    assert "已说明：第4行“新生产线投产”；第9行“加班生产”。" in two.describe()
    assert "请核实" not in two.describe()
    assert two.label == "已说明" and two.to_dict()["explained"]


def test_county_text_in_a_reason_loses_control_and_bidi_characters():
    finding = Finding.about_rows(
        "enterprise_not_in_registry",
        "warning",
        "统一社会信用代码不在名录库中",
        [3],
        ["9144\u202e0203\u202c"],
        file_name="440203\u2066甲\u2069.csv",
    ).explained_by(["新\n纳入\x07企业\u200f"])
    reason = finding.describe()
    assert reason == (
        "440203甲.csv：第3行：统一社会信用代码不在名录库中（91440203），"
        "已说明：“新 纳入\ufffd企业”。［enterprise_not_in_registry］"
    )


def test_to_dict_keeps_the_fields_and_gives_the_reason():
    data = Finding.about_rows("r", "error", "某列未填写", [2], ["空"], "c", "f.csv").to_dict()
    assert data["reason"] == "f.csv：第2行：某列未填写（空），请修改后重新报送。［r］"
    assert data["rows"] == [2] and data["values"] == ["空"] and data["explanations"] == []
    assert data["label"] == "错误" and data["explained"] is False


# apply_explanations: a frame as the reader gives it, with the county's 说明 column.
def frame_with(explanations: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            schema.SOURCE_ROW: range(2, 2 + len(explanations)),
            "explanation": pd.array(explanations, dtype="str"),
        }
    )


def warning(rows, rule="capacity_pct_over_100"):
    return Finding.about_rows(rule, "warning", "产能恢复率超过100%", rows, ["120"] * len(rows))


def test_a_warning_whose_rows_are_all_explained_becomes_explained():
    frame = frame_with(["扩产", None, "  加班  "])
    (explained,) = apply_explanations([warning([2, 4])], frame)
    assert explained.explanations == ("扩产", "加班") and explained.severity == "warning"


def test_errors_stay_errors_whatever_the_county_writes():
    error = Finding.about_rows("capacity_pct_range", "error", "产能恢复率应在0至300之间", [2])
    assert apply_explanations([error], frame_with(["是对的"])) == [error]


@pytest.mark.parametrize(
    "explanations",
    [["扩产", None], ["扩产", ""], ["扩产", "   "]],
    ids=["missing", "empty", "blank"],
)
def test_a_warning_with_one_row_unexplained_still_asks_to_confirm(explanations):
    finding = warning([2, 3])
    assert apply_explanations([finding], frame_with(explanations)) == [finding]


def test_a_warning_with_more_rows_than_quoted_is_not_taken_as_explained():
    # Only the quoted rows are known; the others may be unexplained.
    finding = warning(list(range(2, 32)))
    assert apply_explanations([finding], frame_with(["扩产"] * 30)) == [finding]


def test_without_an_explanation_column_findings_are_unchanged():
    finding = warning([2])
    frame = pd.DataFrame({schema.SOURCE_ROW: [2]})
    assert apply_explanations([finding], frame) == [finding]


# Every published message of every rule, in Chinese.
def credit_code(county: str, serial: int) -> str:
    body = f"91{county}MA{serial:07d}"
    return body + uscc.calc_check_digit(body)


A, B, C, D = (credit_code(COUNTY, n) for n in (1, 2, 3, 4))
ELSEWHERE, UNKNOWN = credit_code(OTHER_COUNTY, 9), credit_code(COUNTY, 99)
BAD_CHECK = A[:-1] + ("0" if A[-1] != "0" else "1")
REGISTRY = "\n".join(
    [
        "enterprise_id,enterprise_name,county_code,key_enterprise,industry_code,in_scope_from,"
        "in_scope_to",
        f"{A},甲厂,{COUNTY},是,31,2019-01-01,",
        f"{B},乙厂,{COUNTY},否,30,2019-01-01,",
        f"{C},丙厂,{COUNTY},否,44,2019-01-01,",
        f"{D},丁厂,{COUNTY},否,44,2019-01-01,",
        f"{ELSEWHERE},戊厂,{OTHER_COUNTY},否,44,2019-01-01,",
    ]
).encode()
DAILY_HEADER = ",".join(schema.column_names(schema.DAILY_COLUMNS))
DAILY_GOOD = ["2020-03-17", COUNTY, A, "甲厂", "是", "2020-03-10", "100", "80", "90", "5", "0", ""]
# (column, value) of each bad row, one rule broken per row, the same good row around it
DAILY_BREAKS = [
    ("report_date", ""),
    ("report_date", "2020-03-16"),
    ("county_code", ""),
    ("county_code", OTHER_COUNTY),
    ("enterprise_id", ""),
    ("enterprise_id", "12345"),
    ("enterprise_id", BAD_CHECK),
    ("enterprise_id", ELSEWHERE),
    ("enterprise_id", UNKNOWN),
    ("enterprise_name", ""),
    ("resumed", ""),
    ("resumed_on", ""),
    ("employees_total", ""),
    ("employees_total", "-5"),
    ("employees_on_site", ""),
    ("employees_on_site", "-1"),
    ("employees_on_site", "101"),
    ("capacity_pct", ""),
    ("capacity_pct", "301"),
    ("capacity_pct", "120"),
    ("mask_shortage", ""),
    ("mask_shortage", "-3"),
    ("thermometer_shortage", ""),
    ("thermometer_shortage", "-2"),
    ("resumed_on", "2020-03-18"),
]


def daily_rows(breaks, serial_from=10) -> list[str]:
    names = schema.column_names(schema.DAILY_COLUMNS)
    rows = []
    for serial, (column, value) in enumerate(breaks, start=serial_from):
        row = list(DAILY_GOOD)
        row[2] = credit_code(COUNTY, serial)
        row[names.index(column)] = value
        rows.append(",".join(row))
    return rows


def daily_findings() -> list[Finding]:
    rows = daily_rows(DAILY_BREAKS)
    # not resumed but with a date; the same enterprise twice; a jump since yesterday (D)
    rows.append(f"2020-03-17,{COUNTY},{B},乙厂,否,2020-03-01,50,0,0,0,0,")
    rows += [f"2020-03-17,{COUNTY},{C},丙厂,是,2020-03-17,300,150,50,0,2,"] * 2
    rows.append(f"2020-03-17,{COUNTY},{D},丁厂,是,2020-03-17,300,150,50,0,2,")
    content = ("\n".join([DAILY_HEADER, *rows]) + "\n").encode()
    read = read_daily_submission(content, f"{COUNTY}.csv")
    suite = json.loads((REPO / "expectations/daily_submission.json").read_text("utf-8"))
    yesterday = f"2020-03-16,{COUNTY},{D},丁厂,是,2020-03-10,100,80,90,5,0,"
    previous = read_daily_submission(f"{DAILY_HEADER}\n{yesterday}\n".encode(), "x.csv").frame
    found = list(read.findings) + run_expectation_suite(read.frame, suite)
    found += daily_context_findings(
        read.frame,
        folder_date=pd.Timestamp("2020-03-17").date(),
        county_code=COUNTY,
        registry=read_registry(REGISTRY).frame,
        previous_rows=previous,
    )
    rules = {f.rule for f in found}
    # every rule of the suite, and every daily context rule, was broken
    assert {e["meta"]["rule"] for e in suite["expectations"]} <= rules
    assert {
        "report_date_matches_folder",
        "county_code_matches_file_name",
        "enterprise_id_check_character",
        "enterprise_registered_to_other_county",
        "enterprise_not_in_registry",
        "in_scope_enterprise_missing",
        "employees_total_day_over_day_jump",
    } <= rules
    return found


QUARTERLY_HEADER = ",".join(schema.column_names(schema.QUARTERLY_COLUMNS))


def quarterly_findings() -> list[Finding]:
    good = f"2020Q2,{COUNTY},{{id}},甲厂,31,1000,300,900,280"
    rows = [
        f",{COUNTY},{credit_code(COUNTY, 10)},甲厂,31,1000,300,900,280",
        f"2020Q1,{COUNTY},{credit_code(COUNTY, 11)},甲厂,31,1000,300,900,280",
        f"2020Q2,,{credit_code(COUNTY, 12)},甲厂,31,1000,300,900,280",
        f"2020Q2,{OTHER_COUNTY},{credit_code(COUNTY, 13)},甲厂,31,1000,300,900,280",
        f"2020Q2,{COUNTY},,甲厂,31,1000,300,900,280",
        f"2020Q2,{COUNTY},12345,甲厂,31,1000,300,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 14)},,31,1000,300,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 15)},甲厂,,1000,300,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 16)},甲厂,05,1000,300,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 17)},甲厂,31,,300,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 18)},甲厂,31,1000,,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 19)},甲厂,31,1000,300,,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 20)},甲厂,31,1000,300,900,",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 21)},甲厂,31,-5,0,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 22)},甲厂,31,1000,-1,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 23)},甲厂,31,1000,300,-9,0",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 24)},甲厂,31,1000,300,900,-1",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 25)},甲厂,31,200,250,900,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 26)},甲厂,31,1000,300,200,260",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 27)},甲厂,31,1000,300,2100,280",
        f"2020Q2,{COUNTY},{credit_code(COUNTY, 28)},甲厂,31,1000,300,900,140",
        good.format(id=BAD_CHECK),
        good.format(id=ELSEWHERE),
        good.format(id=UNKNOWN),
        good.format(id=B),
        good.format(id=B),
    ]
    content = ("\n".join([QUARTERLY_HEADER, *rows]) + "\n").encode()
    read = read_quarterly_submission(content, f"{COUNTY}_季报.csv")
    suite = json.loads((REPO / "expectations/quarterly_submission.json").read_text("utf-8"))
    found = list(read.findings) + run_expectation_suite(read.frame, suite)
    found += quarterly_context_findings(
        read.frame,
        folder_quarter="2020Q2",
        quarter_end=pd.Timestamp("2020-06-30").date(),
        county_code=COUNTY,
        registry=read_registry(REGISTRY).frame,
    )
    rules = {f.rule for f in found}
    assert {e["meta"]["rule"] for e in suite["expectations"]} <= rules
    assert {
        "report_quarter_matches_folder",
        "output_value_year_on_year_outlier",
        "value_added_year_on_year_outlier",
        "in_scope_enterprise_missing",
    } <= rules
    return found


def reader_findings() -> list[Finding]:
    """What the readers say about columns and cells they cannot take, and about files they
    cannot read at all."""
    names = schema.column_names(schema.DAILY_COLUMNS)
    unparseable = ["2020-3-45", COUNTY, A, "甲厂", "也许", "昨天", "很多", "八十", "九成", "五"]
    found = list(
        read_daily_submission(
            f"{DAILY_HEADER}\n{','.join([*unparseable, '零', ''])}\n".encode(), f"{COUNTY}.csv"
        ).findings
    )
    headers = [*names[:7], *names[8:11], "联系人", "邮编"]  # no 在岗人数, no 存在困难
    values = [*DAILY_GOOD[:7], *DAILY_GOOD[8:11], "x", "y"]
    found += read_daily_submission(
        f"{','.join(headers)}\n{','.join(values)}\n".encode(), f"{COUNTY}.csv"
    ).findings
    found += read_daily_submission(
        f"{DAILY_HEADER},职工总数\n{','.join(DAILY_GOOD)},1\n".encode(), f"{COUNTY}.csv"
    ).findings
    assert {f.rule for f in found} >= {
        "unparseable_report_date",
        "unparseable_resumed",
        "unparseable_employees_total",
        "unparseable_capacity_pct",
        "missing_columns",
        "unknown_columns",
    }
    unreadable = {
        f"{COUNTY}.csv": b"",
        f"{COUNTY}.pdf": b"%PDF-1.4",
        f"{COUNTY}.xlsx": b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
        f"{COUNTY}_表.xlsx": b"PK\x03\x04" + b"\0" * 64,
        f"{COUNTY}_空.csv": b",,,\n,,,\n",
        f"{COUNTY}_无表头.csv": "甲,乙,丙\n1,2,3\n".encode(),
        f"{COUNTY}_截断.csv": f'{DAILY_HEADER}\n"2020-03-17,{COUNTY}'.encode(),
    }
    for name, content in unreadable.items():
        with pytest.raises(UnreadableFile) as problem:
            read_daily_submission(content, name)
        found.append(Finding("unreadable_file", "error", problem.value.problem, file_name=name))
    return found


def landing_findings() -> list[Finding]:
    """What the landing zone says about files it will not take."""
    from include import submissions
    from include.config import CityConfig
    from include.ingest import landing as storage

    city = CityConfig(
        code="440200",
        name="韶关市",
        timezone="Asia/Shanghai",
        counties=[{"code": COUNTY, "name": "武江区"}],
        retired_codes=["440201"],
    )
    found = [
        submissions.stray_file_finding(name, city)
        for name in ("440201.csv", "999999.csv", "武江区.csv")
    ]
    found.append(submissions.ambiguous_finding([f"{COUNTY}.csv", f"{COUNTY}_补报.csv"]))
    refused = (storage.SYMLINK, storage.OUTSIDE, storage.NOT_A_FILE, storage.UNSAFE_NAME)
    for rule, problem in refused:
        found.append(
            submissions.refused_finding(storage.RefusedEntry(f"{COUNTY}\\n.csv", rule, problem))
        )
    return found


COLUMN_IDS = sorted(
    {c.name for c in (*schema.DAILY_COLUMNS, *schema.QUARTERLY_COLUMNS, *schema.REGISTRY_COLUMNS)},
    key=len,
    reverse=True,
)
# Not English: the prefix of China's national standards (GB, GB/T) and the file formats
# and programs a clerk saves with, as their menus name them.
NAMES_NOT_WORDS = {"GB", "CSV", "XLSX", "XLS", "UTF", "WPS", "Excel", "ZIP", "RAR", "PDF", "PNG"}
NAMES_NOT_WORDS |= {"JPEG", "GIF"}
# How names with control characters are shown: \n, \t, \xff, \u202e.
ESCAPES = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|[ntr])")
# File names and extensions a message quotes besides its own file's (the files of an
# ambiguous submission, the extensions a reader takes).
FILE_NAMES = re.compile(r"[\w\\-]*\.(?:csv|xlsx|xlsm|xls|pdf)\b")


def english_words(finding: Finding) -> list[str]:
    """Latin words in a reason after taking out what is not the pipeline's wording: the rule
    id, the file name, the county's values and explanations, and column ids."""
    text = finding.describe().replace(f"［{finding.rule}］", "")
    for own in (finding.file_name or "", *finding.values, *finding.explanations, *COLUMN_IDS):
        if own:
            text = text.replace(own, " ")
    words = re.findall(r"[A-Za-z]{2,}", ESCAPES.sub(" ", FILE_NAMES.sub(" ", text)))
    return [w for w in words if w not in NAMES_NOT_WORDS]


@pytest.mark.parametrize(
    "findings",
    [daily_findings, quarterly_findings, reader_findings, landing_findings],
    ids=["daily", "quarterly", "reader", "landing"],
)
def test_no_published_message_of_any_rule_speaks_english(findings):
    english = {f.describe(): english_words(f) for f in findings() if english_words(f)}
    assert english == {}
