"""The validation report and the CSV tables: Chinese, and inert whatever a county wrote."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from tests.unit.transforms.report_inputs import FORMULA, MARKUP, outcomes
from transforms.check.outcomes import PeriodOutcomes
from transforms.findings import Finding
from transforms.publish.rendering import (
    markdown_text,
    plain_text,
    table_csv,
    validation_report_json,
    validation_report_markdown,
)

# A file name and values a county controls, carrying every trick a renderer could fall for.
HOSTILE = (
    "[点此](http://evil.example) ![x](http://evil.example/a.png) <img src=x onerror=alert(1)>"
    " **粗** _斜_ `码` | 表格 | evil.example www.evil.example a@evil.example &#x202e; \\"
)
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
BIDI = "\u202eabc\u202c\u2066d\u2069\u200e\u200f\u061c"


def test_plain_text_drops_bidi_controls_and_shows_control_characters():
    assert plain_text(f"甲{BIDI}乙") == "甲abcd乙"
    assert plain_text("甲\n乙\t丙\r\n丁\u2028戊") == "甲 乙 丙  丁 戊"
    assert plain_text("甲\x00乙\x07丙\x1b[31m丁\x9b") == "甲\ufffd乙\ufffd丙\ufffd[31m丁\ufffd"


def test_plain_text_changes_each_character_it_should_even_on_its_fast_path():
    # plain_text returns most text untouched after one search: a character that any of its
    # passes would drop or replace must never slip through that search.
    for code_point in [*range(0x300), *range(0x600, 0x700), *range(0x2000, 0x2100), 0xFEFF]:
        character = chr(code_point)
        plain = plain_text(f"甲{character}乙")
        is_control = code_point < 0x20 or 0x7F <= code_point <= 0x9F
        if character in BIDI_CONTROLS:
            assert plain == "甲乙"
        elif character in "\t\n\v\f\r\x85\u2028\u2029":
            assert plain == "甲 乙"
        elif is_control:
            assert plain == "甲\ufffd乙"
        else:
            assert plain == f"甲{character}乙", hex(code_point)


def rendered(markdown: str) -> str:
    # GitHub-like: tables, strikethrough and linkify (bare domains and URLs become links).
    return MarkdownIt("gfm-like").render(markdown)


@pytest.mark.parametrize("text", [HOSTILE, MARKUP, FORMULA, "1. 项目", "# 标题", "> 引用"])
def test_markdown_text_renders_as_exactly_its_characters(text):
    html = rendered(f"- 原因：{markdown_text(text)}")
    assert "<a " not in html and "<img" not in html and "<script" not in html
    assert "<strong>" not in html and "<em>" not in html and "<code>" not in html
    assert "&amp;#x202e;" in html or "#x202e" not in text


def hostile_outcomes() -> PeriodOutcomes:
    finding = Finding.about_rows(
        "capacity_pct_over_100",
        "warning",
        "产能恢复率超过100%",
        [5],
        ["120"],
        file_name=f"990102{HOSTILE}{BIDI}.csv",
    ).explained_by([f"{HOSTILE}\n第二行{BIDI}"])
    given = outcomes()
    east, *rest = given.counties
    hostile = replace(east, file_name=finding.file_name, findings=(finding,))
    return replace(given, counties=(hostile, *rest))


def test_the_markdown_report_turns_no_county_text_into_markup():
    report = validation_report_markdown("示例市复工复产日报 校验报告", hostile_outcomes())
    text = report.decode("utf-8")
    html = rendered(text)
    assert "<a " not in html and "<img" not in html and "<script" not in html
    assert "<strong>已说明</strong>" in html and "<strong>粗" not in html
    assert not any(c in text for c in BIDI_CONTROLS)
    # the table keeps its seven columns on every row although the county text has pipes
    assert html.count("<tr>") == 1 + len(outcomes().counties) + 1  # the files of no county
    assert all(row.count("<td>") == 7 for row in html.split("<tr>")[2:])
    # the county reads its own text, each character as written
    assert "[点此](http://evil.example)" in html and "第二行" in html


def test_the_markdown_report_is_in_chinese():
    text = validation_report_markdown("校验报告", outcomes()).decode("utf-8")
    assert "| 县（市、区） | 报送状态 | 文件 | 送达时间（UTC） | 是否按时 | 错误 | 警告 |" in text
    assert "990102 东区 | 逾期报送" in text and "990103 西区 | 被退回" in text
    assert "## 990103 西区：被退回" in text
    assert "- **错误** 990103\\.csv：第2行：在岗人数大于职工总数" in text
    assert "- **已说明** " in text


def test_the_json_report_keeps_ids_and_gives_chinese_statuses_without_bidi_characters():
    report = validation_report_json("2020-03-17", hostile_outcomes())
    data = json.loads(report)
    east = data["counties"][0]
    assert east["outcome"] == "accepted" and east["status_label"] == "逾期报送"
    (finding,) = east["findings"]
    assert finding["explained"] and finding["label"] == "已说明"
    assert finding["reason"].startswith("990102") and "已说明：“" in finding["reason"]
    assert not any(c in report.decode("utf-8") for c in BIDI_CONTROLS)
    assert "\\n" not in report.decode("utf-8")


def test_csv_text_is_plain_and_never_a_formula():
    frame = pd.DataFrame({"difficulties": [FORMULA, f"缺{BIDI}口罩\n和\x07测温枪", "\t=1+1", None]})
    back = pd.read_csv(io.BytesIO(table_csv(frame)), keep_default_na=False)["difficulties"]
    assert list(back) == ["'" + FORMULA, "缺abcd口罩 和\ufffd测温枪", " =1+1", ""]


def test_a_published_csv_opens_in_chinese_excel_and_reads_the_same_in_pandas():
    content = table_csv(pd.DataFrame({"county_name": ["浈江区"], "resumption_rate": [0.5]}))
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8, not GBK
    back = pd.read_csv(io.BytesIO(content))
    assert list(back.columns) == ["county_name", "resumption_rate"]
    assert back.loc[0, "county_name"] == "浈江区"
