"""The receipt each county gets: status, every reason, the file as received, the signature
block found, and how to resubmit, as text and as a self-contained page."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.html_checks import PageParts, external_references
from transforms.check.outcomes import CountyOutcome
from transforms.findings import Finding
from transforms.ingest.readers import Signature
from transforms.publish.receipts import (
    ReceiptContext,
    daily_resubmit_by,
    receipt_html,
    receipt_text,
)
from transforms.publish.report_html import FileLink

TZ = ZoneInfo("Asia/Shanghai")
DAILY = ReceiptContext(
    city_name="示例市",
    kind="daily",
    period="2020-03-17",
    timezone="Asia/Shanghai",
    deadline=datetime(2020, 3, 17, 20, 0, tzinfo=TZ),
    resubmit_by=daily_resubmit_by("2020-03-17", 14, time(22, 0), TZ),
)
QUARTERLY = ReceiptContext(
    "示例市", "quarterly", "2020Q1", "Asia/Shanghai", datetime(2020, 4, 16, tzinfo=TZ)
)
SIGNATURE = {
    "unit_head": "王局长",
    "statistics_head": "李科长",
    "reviewer": None,
    "filled_by": "张小红",
    "contact_phone": "0751-8888123",
    "reported_on": "2020年3月17日",
}
OVER_TOTAL = Finding.about_rows(
    "employees_on_site_not_above_total",
    "error",
    "在岗人数大于职工总数",
    [14, 61],
    ["在岗人数 260，职工总数 242", "在岗人数 30，职工总数 20"],
    file_name="990103.xlsx",
)
NOT_A_DATE = Finding.about_rows(
    "unparseable_resumed_on", "error", "复工日期不是日期", [9], ["三月"], file_name="990103.xlsx"
)


def outcome(status="accepted", on_time=True, findings=(), signature=None, file_name="990103.xlsx"):
    received = status != "missing"
    return CountyOutcome(
        county_code="990103",
        county_name="西区",
        outcome=status,
        file_name=file_name if received else None,
        content_sha256="ab" * 32 if received else None,
        arrived_at="2020-03-17T10:05:00+00:00" if received else None,  # 18:05 in the city
        on_time=on_time if received else None,
        findings=tuple(findings),
        signature=None if signature is None else Signature(**signature),
    )


def facts(text: str) -> dict[str, str]:
    return dict(line.split("：", 1) for line in text.splitlines()[2:10])


def test_an_accepted_file_shows_what_arrived_when_and_who_signed_it():
    text = receipt_text(outcome(signature=SIGNATURE), DAILY)
    assert text.splitlines()[0] == "示例市复工复产日报报送回执"
    assert facts(text) == {
        "县（市、区）": "西区（990103）",
        "数据日期": "2020年3月17日",
        "状态": "已报送",
        "报送文件": "990103.xlsx",
        "内容校验值（SHA-256）": "ab" * 32,
        "送达时间": "2020-03-17 18:05",
        "报送截止时间": "2020-03-17 20:00",
        "是否按时": "按时",
    }
    assert "时间均为 Asia/Shanghai 时间。" in text
    assert "结论：文件已通过校验，数据已计入本期报表。" in text
    assert "全部校验规则通过，没有错误或警告。" in text
    for line in ("单位负责人：王局长", "统计负责人：李科长", "审核人：未填写", "填表人：张小红"):
        assert f"  {line}\n" in text
    assert "联系电话：0751-8888123" in text and "报出日期：2020年3月17日" in text
    assert "如发现数据有误，将改正后的文件放入报送目录下的 daily/2020-03-17/ 文件夹" in text


def test_a_rejected_file_lists_every_reason_and_how_to_resubmit():
    text = receipt_text(outcome("rejected", findings=[OVER_TOTAL, NOT_A_DATE]), DAILY)
    assert facts(text)["状态"] == "被退回"
    assert "数据未计入本期报表。请按下列原因改正后重新报送。" in text
    assert f"  ［错误］{OVER_TOTAL.describe()}\n" in text
    assert f"  ［错误］{NOT_A_DATE.describe()}\n" in text
    assert "990103.xlsx：第14、61行：在岗人数大于职工总数" in text
    steps = text.split("更正与重新报送：\n")[1]
    assert "替换原文件 990103.xlsx；该文件夹中本县（市、区）只能有一个文件" in steps
    assert "文件名以本县（市、区）区划代码 990103 开头" in steps
    assert "须在 2020-03-31 22:00 前放入" in steps  # the last nightly run looking back at 3-17
    assert "make check FILE=文件路径 DATE=2020-03-17" in steps
    assert "文件中未找到签章栏。请在表格数据下方填写单位负责人、统计负责人" in text


def test_a_late_file_counts_and_says_it_came_late():
    text = receipt_text(outcome(on_time=False), DAILY)
    assert facts(text)["状态"] == "逾期报送" and facts(text)["是否按时"] == "逾期"
    assert "送达时间晚于截止时间，记为逾期报送" in text


def test_a_missing_county_is_told_how_to_send_its_file():
    text = receipt_text(outcome("missing"), DAILY)
    shown = facts(text)
    assert shown["状态"] == "未报送" and shown["报送文件"] == "未收到"
    assert shown["送达时间"] == shown["是否按时"] == shown["内容校验值（SHA-256）"] == "—"
    assert "未收到文件，没有校验结果。" in text
    steps = text.split("补报方法：\n")[1]
    assert "将报表文件放入报送目录下的 daily/2020-03-17/ 文件夹" in steps
    assert "替换原文件" not in steps


def test_warnings_and_explained_warnings_keep_their_labels():
    warning = Finding.about_rows("capacity_pct_over_100", "warning", "产能恢复率超过100%", [5])
    explained = warning.explained_by(["新线投产"])
    text = receipt_text(outcome(findings=[warning, explained]), DAILY)
    assert "［警告］" in text and "［已说明］" in text and "以上警告不影响接收。" in text
    page = receipt_html(outcome(findings=[warning, explained]), DAILY, []).decode()
    assert '<span class="tag tag-warning">警告</span>' in page
    assert '<span class="tag tag-explained">已说明</span>' in page


def test_an_unreadable_file_has_no_signature_to_find():
    unreadable = Finding("unreadable_file", "error", "文件无法读取，请另存为 .xlsx 后重新报送")
    text = receipt_text(outcome("rejected", findings=[unreadable]), DAILY)
    assert "文件未能读取，无法识别签章栏。" in text


def test_a_quarterly_receipt_asks_the_office_to_rerun_the_quarter():
    text = receipt_text(outcome("rejected", findings=[OVER_TOTAL]), QUARTERLY)
    assert text.splitlines()[0] == "示例市规上工业产值季报报送回执"
    assert facts(text)["报告期"] == "2020年第一季度"
    assert facts(text)["报送截止时间"] == "2020-04-16 00:00"
    assert "quarterly/2020Q1/ 文件夹" in text and "请通知市统计局重新处理本期" in text
    assert "make check FILE=文件路径 QUARTER=2020Q1" in text


@pytest.mark.parametrize(
    ("status", "findings", "label", "verdict"),
    [
        ("accepted", [], "可以接收", "按时放入报送目录后，数据将计入本期报表"),
        ("rejected", [OVER_TOTAL], "会被退回", "请按下列原因改正后再报送"),
    ],
)
def test_a_check_before_sending_says_what_would_happen(status, findings, label, verdict):
    context = ReceiptContext(**{**DAILY.__dict__, "pre_check": True})
    text = receipt_text(outcome(status, findings=findings), context)
    assert text.splitlines()[0] == "示例市复工复产日报报送预检结果"
    assert f"校验结论：{label}" in text and verdict in text
    assert "送达时间" not in text and "是否按时" not in text
    assert "报送截止时间为 2020-03-17 20:00" in text
    assert ("再次运行 make check" in text) == (status == "rejected")


def test_county_text_is_plain_in_the_text_and_inert_in_the_page():
    hostile = {**SIGNATURE, "filled_by": "张\u202e三\n单位负责人：假", "reviewer": "<b>赵</b>"}
    case = outcome(signature=hostile, file_name="990103<img src=x>.csv")
    text = receipt_text(case, DAILY)
    assert "\u202e" not in text and "  填表人：张三 单位负责人：假\n" in text
    page = receipt_html(case, DAILY, [FileLink("990103.txt", "回执（文本）")]).decode()
    parts = PageParts(page)
    assert "img" not in parts.tags and "b" not in parts.tags and "\u202e" not in page
    assert "990103<img src=x>.csv" in "".join(parts.text) and "<b>赵</b>" in "".join(parts.text)
    assert external_references(page) == [] and "<script" not in page
    assert parts.urls == ["990103.txt"]


def test_the_page_says_what_the_text_says():
    case = outcome("rejected", findings=[OVER_TOTAL], signature=SIGNATURE)
    page_text = " ".join(PageParts(receipt_html(case, DAILY, []).decode()).text)
    for line in receipt_text(case, DAILY).splitlines():
        said = re.sub(r"^\s*(\d+\. |［错误］)?", "", line).split("：", 1)[-1]
        assert said in page_text, line


def test_the_same_outcome_gives_the_same_bytes():
    case = outcome("rejected", findings=[OVER_TOTAL], signature=SIGNATURE)
    assert receipt_html(case, DAILY, []) == receipt_html(case, DAILY, [])
    assert receipt_text(case, DAILY) == receipt_text(case, DAILY)


def test_a_replaced_file_is_picked_up_until_the_last_run_looking_back():
    assert daily_resubmit_by("2020-03-17", 14, time(22, 0), TZ) == datetime(
        2020, 3, 31, 22, 0, tzinfo=TZ
    )
    assert daily_resubmit_by("2020-03-17", 0, time(22, 0), TZ).day == 17
