"""The Chinese wording of the reports: column headers, statuses, dates and quarters.

Published tables keep their fixed English column names (CSV, Parquet, warehouse); the
reports people read show these labels, and the HTML shows both, so an analyst can go
from a figure on the page to the column behind it.
"""

from __future__ import annotations

from datetime import date

from transforms.merge.daily import ACCEPTED, MISSING, PARTIAL, REJECTED

# A county whose file was accepted but arrived after the deadline.
LATE = "late"

STATUS_LABELS = {
    ACCEPTED: "已报送",
    LATE: "逾期报送",
    REJECTED: "被退回",
    MISSING: "未报送",
    PARTIAL: "部分区县未计入",
}

CITY_TOTAL_LABEL = "全市合计"

# The signature block at the foot of a county's form (submissions_log columns), in the
# order forms print it.
SIGNATURE_LABELS = {
    "unit_head": "单位负责人",
    "statistics_head": "统计负责人",
    "reviewer": "审核人",
    "filled_by": "填表人",
    "contact_phone": "联系电话",
    "reported_on": "报出日期",
}
SIGNATURE_FIELDS = tuple(SIGNATURE_LABELS)

COLUMN_LABELS = {
    # shared keys
    "report_date": "数据日期",
    "report_quarter": "报告期",
    "county_code": "区划代码",
    "county_name": "县（市、区）",
    "status": "报送状态",
    "revision": "修订版本",
    # county_daily
    "enterprises_in_scope": "在库规上企业数",
    "enterprises_reported": "报送企业数",
    "enterprises_resumed": "已复工企业数",
    "resumed_today": "当日新复工",
    "resumption_rate": "复工率",
    "key_in_scope": "重点企业数",
    "key_resumed": "重点企业已复工",
    "employees_total": "职工总数",
    "employees_on_site": "在岗人数",
    "on_site_rate": "在岗率",
    "capacity_pct": "产能恢复率",
    "mask_shortage": "口罩缺口",
    "thermometer_shortage": "测温枪缺口",
    "difficulties_reported": "反映困难企业数",
    # county_quarterly
    "output_value": "工业总产值",
    "output_value_prior": "上年同期工业总产值",
    "output_yoy_pct": "工业总产值同比增长",
    "value_added": "工业增加值",
    "value_added_prior": "上年同期工业增加值",
    "value_added_yoy_pct": "工业增加值同比增长",
    "output_value_ytd": "工业总产值累计",
    "output_value_ytd_prior": "上年同期工业总产值累计",
    "output_ytd_yoy_pct": "工业总产值累计同比增长",
    "value_added_ytd": "工业增加值累计",
    "value_added_ytd_prior": "上年同期工业增加值累计",
    "value_added_ytd_yoy_pct": "工业增加值累计同比增长",
    # county_quarter_daily_summary
    "first_data_date": "首个数据日期",
    "last_data_date": "末个数据日期",
    "days_expected": "应报天数",
    "days_reported": "已报天数",
    "reporting_completeness": "报送完整率",
    "days_on_time": "按时报送天数",
    "on_time_rate": "按时报送率",
    "resumed_in_quarter": "本季新复工",
    "mask_shortage_peak": "口罩缺口峰值",
    "thermometer_shortage_peak": "测温枪缺口峰值",
    # enterprise difficulties (daily_submission_rows)
    "enterprise_id": "统一社会信用代码",
    "enterprise_name": "企业名称",
    "difficulties": "存在困难",
    # key_enterprise_daily (重点企业台账)
    "grid_officer": "网格员",
    "grid_officer_phone": "联系电话",
    "resumed": "是否复工",
    "resumed_on": "复工日期",
    "last_reported_on": "最近报送日期",
    "days_since_reported": "距最近报送天数",
    # difficulty_kinds_daily
    "kind": "困难类型代码",
    "kind_name": "困难类型",
    "kind_group": "困难大类",
    "items": "项数",
    # industry_daily
    "industry_code": "行业代码",
    "industry_name": "行业名称",
    **SIGNATURE_LABELS,
}


def status_of(outcome: str, on_time: bool | None) -> str:
    """A county's status as reports show it: an accepted file that came late is `late`."""
    return LATE if outcome == ACCEPTED and on_time is False else outcome


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def short_chinese_date(day: date) -> str:
    return f"{day.month}月{day.day}日"


def chinese_quarter(quarter: str) -> str:
    year, number = quarter.split("Q")
    return f"{year}年第{'一二三四'[int(number) - 1]}季度"


def year_to_date_months(quarter: str) -> str:
    """The months a quarter's year-to-date figures cover, as the city writes them: 1—6月."""
    return f"1—{3 * int(quarter.split('Q')[1])}月"


def revision_label(revision: int) -> str:
    return f"第{revision}版"
