"""The HTML pages: self-contained, escaped, and showing what the tables hold."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from tests.html_checks import PageParts, external_references
from tests.unit.transforms.report_inputs import (
    BRIEFING,
    CITY_NAME,
    DAY,
    EAST,
    EAST_SIGNATURE,
    FORMULA,
    HOSTILE_EXPLANATION,
    MARKUP,
    NORTH,
    WEST,
    completeness_log,
    daily_history,
    daily_table,
    difficulties,
    ledger,
    outcomes,
    quarterly_table,
)
from transforms.merge.difficulties import difficulty_items, kind_items_per_county, kinds_by_county
from transforms.merge.industries import output_by_industry
from transforms.publish import report_html
from transforms.publish.briefing import daily_rankings, quarterly_rankings
from transforms.publish.report_html import (
    FileLink,
    IndexEntry,
    daily_report_html,
    data_quality_html,
    index_html,
    quarterly_report_html,
)

SUITE = json.loads(
    (Path(__file__).resolve().parents[3] / "expectations/daily_submission.json").read_text("utf-8")
)
LINKS = [FileLink("county_daily.csv", "县区日表 CSV"), FileLink("../../index.html", "发布目录")]
RECEIPTS = {
    code: [FileLink(f"receipts/{code}.html", "回执"), FileLink(f"receipts/{code}.txt", "文本")]
    for code in (EAST, WEST, NORTH)
}


INDUSTRIES = pd.DataFrame(
    {
        "industry_code": ["31", "44"],
        "industry_name": ["黑色金属冶炼和压延加工业", "电力、热力生产和供应业"],
        "enterprises_in_scope": [30, 10],
        "enterprises_resumed": [21, 9],
        "resumption_rate": [0.7, 0.9],
    }
)


def daily_items() -> pd.DataFrame:
    return difficulty_items(difficulties().assign(report_date=pd.Timestamp(DAY)))


def daily_page() -> str:
    history = daily_history()
    return daily_report_html(
        CITY_NAME,
        DAY,
        daily_table(),
        history,
        outcomes(),
        completeness_log(history, outcomes()),
        difficulties(),
        LINKS,
        RECEIPTS,
        BRIEFING,
        daily_rankings(daily_table(), None, {EAST: "late", WEST: "rejected", NORTH: "missing"}),
        ledger(),
        kinds_by_county(daily_items(), [(EAST, "东区"), (WEST, "西区"), (NORTH, "北区")]),
        kind_items_per_county(daily_items()),
        INDUSTRIES,
    ).decode("utf-8")


def test_daily_report_is_self_contained_and_script_free():
    page = daily_page()
    assert external_references(page) == []
    assert "<script" not in page and "<link" not in page and "<img" not in page
    # city chart, one per county, two shortage bars, industries, difficulty kinds
    assert page.count("<svg") >= 1 + 3 + 2 + 2


def test_external_references_finds_what_a_browser_would_fetch():
    assert external_references('<img src="https://cdn.example/x.png">') != []
    assert external_references("<style>body { background: url(x.png) }</style>") != []
    assert external_references('<a href="../../index.html">') == []


def test_county_text_is_escaped_not_run():
    page = daily_page()
    assert "alert(1)" in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;缺口罩" in page
    parts = PageParts(page)
    assert "http://x" not in " ".join(parts.urls)
    assert FORMULA in "".join(parts.text) and MARKUP in "".join(parts.text)


BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"


def test_an_explained_warning_reads_as_explained_with_the_countys_text():
    page = daily_page()
    text = " ".join(PageParts(page).text)
    assert '<span class="tag tag-explained">已说明</span>' in page
    assert "990102.csv：第5行：产能恢复率超过100%（120），已说明：“新线投产" in text
    assert "请核实" not in text.split("990102.csv：")[1].split("［")[0]


def test_no_control_or_bidi_character_of_a_county_reaches_a_page():
    assert "\u202e" in HOSTILE_EXPLANATION and "\x07" in HOSTILE_EXPLANATION
    for page in (
        daily_page(),
        data_quality_html("数据质量", "2020年3月17日", SUITE, outcomes(), LINKS[0]).decode(),
    ):
        assert not any(c in page for c in BIDI_CONTROLS)
        assert "\x07" not in page and "新线投产\ufffd [详情](http://x.example)" in page
        assert "http://x.example" not in " ".join(PageParts(page).urls)


def test_daily_report_headline_table_chart_and_grid():
    page = daily_page()
    text = " ".join(PageParts(page).text)
    assert "示例市企业复工复产情况日报表" in text and "2020年3月17日" in text
    assert "42.9%" in text  # city resumption rate 30 / 70
    assert "全市合计" in text and "部分区县未计入" in text
    # the fixed column names are there for analysts (with a break opportunity after "_")
    assert "resumption_rate" in "".join(PageParts(page).text)
    rows = re.findall(r"<tr[^>]*>\s*<td class=\"name\">([^<]+)</td>", page)
    assert rows[:4] == ["东区", "西区", "北区", "全市合计"]
    assert re.search(r'<polyline class="series" points="[\d., ]+" [^>]*stroke="#1f5fa8"', page)
    grid = re.findall(r'<td class="cell-(\w+)" title="([^"]+)"', page)
    assert ("late", "东区 2020年3月17日：逾期报送") in grid
    assert ("rejected", "西区 2020年3月17日：被退回") in grid
    assert ("missing", "北区 2020年3月17日：未报送") in grid
    assert "employees_on_site_not_above_total" in text
    assert "不属于任何县（市、区）的文件" in text and "990199_retired.csv" in text


def test_daily_report_is_the_same_bytes_for_the_same_data():
    assert daily_page() == daily_page()


def quarterly_page() -> str:
    return quarterly_report_html(
        CITY_NAME,
        "2020Q2",
        quarterly_table(),
        outcomes(),
        completeness_log(daily_history(), outcomes()).assign(period="2020Q2"),
        LINKS,
        RECEIPTS,
        BRIEFING,
        quarterly_rankings(quarterly_table(), {EAST: "late", WEST: "accepted", NORTH: "rejected"}),
        output_by_industry(
            pd.DataFrame(
                {
                    "industry_code": ["31", "44"],
                    "output_value": [1_100_000.0, 900_000.0],
                    "output_value_prior": [1_000_000.0, 1_000_000.0],
                    "value_added": [300_000.0, 200_000.0],
                    "value_added_prior": [250_000.0, 250_000.0],
                }
            )
        ),
    ).decode("utf-8")


def test_quarterly_report_shows_yi_yuan_and_growth():
    page = quarterly_page()
    text = " ".join(PageParts(page).text)
    assert external_references(page) == []
    assert "示例市规上工业产值统计表" in text and "2020年第二季度" in text
    assert "0.04 亿元" in text  # 422 万元
    assert "+7.9%" in text  # (422 / 391 − 1) × 100
    assert "1—6月累计" in text
    assert page.count('class="chart bars"') == 4 + 1  # four growth charts, industries' 拉动


def test_data_quality_page_marks_each_rule_per_county():
    page = data_quality_html("数据质量", "2020年3月17日", SUITE, outcomes(), LINKS[0]).decode()
    row = re.search(r"employees_on_site_not_above_total<span.*?</tr>", page, re.S).group(0)
    marks = re.findall(r'class="mark result-(\w+)">([^<]*)<', row)
    assert marks == [("passed", "✓"), ("error", "1"), ("not_run", "—")]
    row = re.search(r"capacity_pct_over_100<span.*?</tr>", page, re.S).group(0)
    marks = re.findall(r'class="mark result-(\w+)">([^<]*)<', row)
    assert marks == [("explained", "1"), ("passed", "✓"), ("not_run", "—")]
    assert external_references(page) == []


def test_index_lists_each_publication_newest_first_in_city_time():
    entries = [
        IndexEntry(
            "daily",
            day,
            revision,
            datetime(2020, 3, 17, 14, 5, tzinfo=UTC),
            [FileLink(f"daily/{day}/report.html", "报告")],
        )
        for day, revision in (("2020-03-16", 1), ("2020-03-17", 2))
    ]
    page = index_html(CITY_NAME, "Asia/Shanghai", entries, []).decode("utf-8")
    assert page.index("2020-03-17") < page.index("2020-03-16")
    assert "第2版" in page and "2020-03-17 22:05" in page
    files = [url for url in PageParts(page).urls if not url.startswith("#")]
    latest, *listed = files
    assert latest == "daily/2020-03-17/report.html"
    assert listed == ["daily/2020-03-17/report.html", "daily/2020-03-16/report.html"]


@pytest.mark.parametrize("kind", ["count", "rate", "yi_yuan", "growth", "percent_points"])
def test_missing_values_show_as_a_dash(kind):
    from transforms.publish.report_html import show

    assert show(None, kind) == "—"


def test_completeness_names_whom_to_call_and_links_each_receipt():
    for page in (daily_page(), quarterly_page()):
        section = page.split("<h2>报送完整性</h2>")[1].split("<h2>")[0]
        contacts = section.split('<table class="contacts">')[1]
        rows = re.findall(r"<tr><td class=\"name\">(.*?)</tr>", contacts, re.S)
        assert [re.match(r"[^<]+", row).group(0) for row in rows] == ["东区", "西区", "北区"]
        east = " ".join(PageParts(rows[0]).text)
        for field in ("filled_by", "contact_phone", "reported_on", "statistics_head"):
            assert EAST_SIGNATURE[field] in east, field
        assert "—" in east  # 审核人 left blank on the form
        urls = PageParts(section).urls
        for code in (EAST, WEST, NORTH):
            assert f"receipts/{code}.html" in urls and f"receipts/{code}.txt" in urls
        findings = page.split("<h2>校验发现")[1].split("<h2>")[0]
        assert f'<a href="receipts/{WEST}.html">回执</a></h3>' in findings


def test_the_briefing_opens_the_daily_report_and_the_ranking_says_who_is_left_out():
    page = daily_page()
    assert page.index("<h2>简报</h2>") < page.index('<div class="cards">')
    assert BRIEFING.text in page
    ranking = page[page.index("复工率排名") :]
    assert '<td class="name">东区</td><td class="num">75.0%</td>' in ranking
    assert "未参与排名（未报送或被退回）：西区、北区。" in ranking


def test_the_quarterly_report_ranks_counties_with_their_contribution():
    page = quarterly_page()
    assert page.index("<h2>简报</h2>") < page.index('<div class="cards">')
    assert "拉动全市增加值增长（百分点）" in page and "未参与排名（未报送或被退回）：北区。" in page


def test_the_ledger_lists_the_key_enterprises_with_their_grid_officers():
    page = daily_page()
    table = page[page.index("重点企业复工复产台账") :]
    assert '<tr class="resumed-unknown"><td>西区</td><td>西区化工厂</td><td>—</td>' in table
    assert "<td>王网格</td><td>13800000001</td><td>已复工</td><td>2020-03-02</td>" in table
    assert "<script>" not in table and "&lt;script&gt;" in table


def test_the_difficulties_are_counted_by_kind_and_county_beside_their_texts():
    page = daily_page()
    kinds = page[page.index("企业反映困难的类型") : page.index("企业原文）")]
    assert "<th>东区</th><th>西区</th><th>北区</th><th>全市</th>" in kinds
    # 东区's two texts, split at "," and "/": the formula into three items of 其他, the markup
    # into "<script>alert(1)<" (其他) and "script>缺口罩" (口罩)
    row = '<td class="name">{}</td><td class="num">{n}</td><td class="num">0</td>'
    row += '<td class="num">0</td><td class="num">{n}</td></tr>'
    assert row.format("其他", n=4) + "\n<tr>" + row.format("口罩", n=1) in kinds
    trend = page[page.index("<title>企业反映困难的类型走势（项）</title>") :]
    assert ">口罩</text>" in trend[: trend.index("</svg>")]


def test_the_reports_break_the_figures_down_by_industry():
    daily = daily_page()
    assert (
        '<td>31</td><td class="name">黑色金属冶炼和压延加工业</td><td class="num">30</td>' in daily
    )
    industries = daily[daily.index("分行业复工情况") :]
    assert '<td class="num">70.0%</td>' in industries
    chart = industries[industries.index("<svg") : industries.index("</svg>")]
    assert "<title>分行业复工率</title>" in chart
    assert ">电力、热力生产和供应业</text>" in chart and ">90.0%</text>" in chart
    quarterly = quarterly_page()[quarterly_page().index("分行业总产值与增加值") :]
    # 31: 110 亿 against 100 亿, +10.0 %, 拉动 10 / 200 = +5.0 points
    assert (
        '<td class="num">110.00</td><td class="num">+10.0%</td><td class="num">+5.0</td>'
        in quarterly
    )
    assert "<title>分行业对工业增加值增长的拉动（百分点）</title>" in quarterly


def test_a_page_lists_the_first_enterprises_of_a_long_table_and_says_where_the_rest_are(
    monkeypatch,
):
    shown_in_full = daily_page()
    assert "本页列出前" not in shown_in_full

    monkeypatch.setattr(report_html, "PAGE_ENTERPRISE_ROWS", 1)
    page = daily_page()
    difficulties_table = page[page.index("企业原文）") : page.index("重点企业复工复产台账")]
    assert "东区钢铁有限公司" in difficulties_table and "东区陶瓷厂" not in difficulties_table
    assert "本页列出前 1 家；全部 2 家见下方“文件”中的 CSV 和 Excel 报表。" in difficulties_table
    ledger_table = page[page.index("重点企业复工复产台账") : page.index("<h2>报送完整性</h2>")]
    assert "在库重点企业 2 家" in ledger_table
    assert ledger_table.count("<tr class=") == 1
    assert "本页列出前 1 家；全部 2 家" in ledger_table


def test_templates_compiled_ahead_are_not_compiled_again(monkeypatch):
    report_html._ENVIRONMENT.cache.clear()  # whatever earlier tests rendered
    report_html.compile_templates()  # as a worker does before it forks

    def compiled_again(*_, **__):
        raise AssertionError("a template was compiled again")

    monkeypatch.setattr(report_html._ENVIRONMENT, "compile", compiled_again)
    for name in report_html._ENVIRONMENT.list_templates():
        report_html._ENVIRONMENT.get_template(name)
