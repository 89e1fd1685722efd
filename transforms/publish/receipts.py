"""The receipt (回执) a county gets for each period: what arrived, whether it counts, every
reason, the signature block found in the form, and how to send a corrected file.

One input shape for every caller: a county's `CountyOutcome`, as `submissions.check_counties`
or `submissions.period_outcomes` gives it, and a `ReceiptContext`. The publication writes
each county's receipt into the period folder; `make check` prints the text receipt of a
single file before it is sent. Nothing here reads a clock or a file, so a rerun over the
same outcomes gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from transforms.check.outcomes import CountyOutcome
from transforms.merge.daily import ACCEPTED, MISSING, REJECTED
from transforms.publish.labels import (
    LATE,
    SIGNATURE_LABELS,
    STATUS_LABELS,
    chinese_date,
    chinese_quarter,
    status_of,
)
from transforms.publish.rendering import plain_text
from transforms.publish.report_html import (
    FILE_LEVEL_RULES,
    PUBLICATION_KINDS,
    FileLink,
    HeldCorrection,
    render_page,
)

ACCEPTED_FORMATS = ".csv、.xlsx、.xls"
VERDICTS = {
    ACCEPTED: "文件已通过校验，数据已计入本期报表。",
    LATE: "文件已通过校验，数据已计入本期报表；送达时间晚于截止时间，记为逾期报送。",
    REJECTED: "文件未通过校验，数据未计入本期报表。请按下列原因改正后重新报送。",
    MISSING: "本期处理时未收到报送文件，数据未计入本期报表。",
}
# What a check before sending can say: the file is not in the landing zone yet.
PRE_CHECK_VERDICTS = {
    ACCEPTED: "文件可以接收：按时放入报送目录后，数据将计入本期报表。",
    REJECTED: "文件会被退回：请按下列原因改正后再报送。",
}


@dataclass(frozen=True)
class ReceiptContext:
    city_name: str
    kind: str  # "daily" or "quarterly": the landing folder and the report the file is for
    period: str  # YYYY-MM-DD or YYYYQn
    timezone: str  # the city's: every time on the receipt is city time
    deadline: datetime  # a file that arrives after it is late
    # Daily: when the last nightly run that still looks back at the date starts; a file
    # replaced after it is not picked up. Quarterly: None, the city office reruns the quarter.
    resubmit_by: datetime | None = None
    # True for `make check`: the file was checked before sending, nothing has arrived.
    pre_check: bool = False


def daily_resubmit_by(period: str, lookback_days: int, nightly_run: time, tz: ZoneInfo) -> datetime:
    """The start of the last nightly run whose look-back still covers the data date."""
    last_run_day = date.fromisoformat(period) + timedelta(days=lookback_days)
    return datetime.combine(last_run_day, nightly_run, tzinfo=tz)


def receipt_text(
    outcome: CountyOutcome, context: ReceiptContext, held: HeldCorrection | None = None
) -> str:
    """The receipt as plain UTF-8 text, for mail, a terminal or a printer; `held`: the
    county's correction of the approved period, received but not taken in."""
    receipt = _receipt(outcome, context, held)
    lines = [receipt["title"], "", *(f"{label}：{value}" for label, value in receipt["facts"])]
    lines += [receipt["time_note"]]
    lines += ["", f"结论：{receipt['verdict']}", "", "校验结果："]
    lines += [f"  ［{r['label']}］{r['text']}" for r in receipt["reasons"]]
    lines += [f"  {receipt['reasons_note']}"] if receipt["reasons_note"] else []
    lines += ["", "签章栏（表尾）："]
    lines += [f"  {label}：{value}" for label, value in receipt["signature"]]
    lines += [f"  {receipt['signature_note']}"] if receipt["signature_note"] else []
    lines += ["", f"{receipt['resubmit_heading']}："]
    lines += [f"  {n}. {step}" for n, step in enumerate(receipt["resubmit"], start=1)]
    return "\n".join(lines) + "\n"


def receipt_html(
    outcome: CountyOutcome,
    context: ReceiptContext,
    links: list[FileLink],
    held: HeldCorrection | None = None,
) -> bytes:
    """The receipt as a self-contained page; `links` lead to the text receipt and the report."""
    receipt = _receipt(outcome, context, held)
    return render_page(
        "receipt.html",
        page_title=f"{receipt['title']} {receipt['county']}",
        heading=receipt["title"],
        subheading=f"{receipt['county']} · {receipt['period_text']}",
        receipt=receipt,
        links=links,
    )


def _receipt(
    outcome: CountyOutcome, context: ReceiptContext, held: HeldCorrection | None = None
) -> dict:
    """What both receipts say, in the order they say it; county text made plain."""
    pre_check = context.pre_check
    status = outcome.outcome if pre_check else status_of(outcome.outcome, outcome.on_time)
    county = f"{outcome.county_name}（{outcome.county_code}）"
    period_text = _period_text(context)
    file_name = outcome.file_name
    facts = [
        ("县（市、区）", county),
        ("数据日期" if context.kind == "daily" else "报告期", period_text),
        ("校验结论" if pre_check else "状态", _status_label(status, pre_check)),
        ("报送文件", plain_text(file_name) if file_name else "未收到"),
        ("内容校验值（SHA-256）", outcome.content_sha256 or "—"),
    ]
    if not pre_check:
        facts.append(("送达时间", _city_time(outcome.arrived_at, context.timezone)))
    facts.append(("报送截止时间", _city_time(context.deadline, context.timezone)))
    if not pre_check:
        facts.append(("是否按时", {True: "按时", False: "逾期", None: "—"}[outcome.on_time]))
    if held is not None:
        facts.append(
            (
                "待解锁的更正",
                f"{held.arrived_at} 收到 {plain_text(held.file_name) or '（文件已撤回）'}，"
                f"{held.check_label}。本期已审定锁定，更正暂未采用，以上为审定版本；"
                "确需采用，请联系市统计局解锁后重新发布。",
            )
        )
    signature, signature_note = _signature(outcome)
    title = "报送预检结果" if pre_check else "报送回执"
    return {
        "title": f"{context.city_name}{PUBLICATION_KINDS[context.kind]}{title}",
        "county": county,
        "period_text": period_text,
        "status": status,
        "status_label": _status_label(status, pre_check),
        "status_heading": "校验结论" if pre_check else "状态",
        "facts": facts,
        "time_note": f"时间均为 {context.timezone} 时间。",
        "verdict": (PRE_CHECK_VERDICTS if pre_check else VERDICTS)[status],
        "reasons": [
            {
                "kind": "explained" if f.explained else f.severity,
                "label": f.label,
                "text": plain_text(f.reason),
            }
            for f in outcome.findings
        ],
        "reasons_note": _reasons_note(outcome, status),
        "signature": signature,
        "signature_note": signature_note,
        "resubmit_heading": _resubmit_heading(status, pre_check),
        "resubmit": _resubmit_steps(outcome, context, status),
    }


def _status_label(status: str, pre_check: bool) -> str:
    if pre_check:
        return "可以接收" if status == ACCEPTED else "会被退回"
    return STATUS_LABELS[status]


def _resubmit_heading(status: str, pre_check: bool) -> str:
    if pre_check:
        return "报送方法"
    return "补报方法" if status == MISSING else "更正与重新报送"


def _period_text(context: ReceiptContext) -> str:
    if context.kind == "daily":
        return chinese_date(date.fromisoformat(context.period))
    return chinese_quarter(context.period)


def _city_time(moment: str | datetime | None, timezone: str) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return f"{moment.astimezone(ZoneInfo(timezone)):%Y-%m-%d %H:%M}"


def _reasons_note(outcome: CountyOutcome, status: str) -> str | None:
    if status == MISSING:
        return "未收到文件，没有校验结果。"
    findings = outcome.findings
    if not findings:
        return "全部校验规则通过，没有错误或警告。"
    if status in (ACCEPTED, LATE):
        return "以上警告不影响接收。"
    return None


def _signature(outcome: CountyOutcome) -> tuple[list[tuple[str, str]], str | None]:
    """(label, value) of each signature line, and what to say when there are none."""
    found = outcome.signature
    if found:
        shown = [
            (label, plain_text(getattr(found, field)) if getattr(found, field) else "未填写")
            for field, label in SIGNATURE_LABELS.items()
        ]
        return shown, None
    if outcome.outcome == MISSING:
        return [], "未收到文件。"
    if any(f.rule in FILE_LEVEL_RULES for f in outcome.findings):
        return [], "文件未能读取，无法识别签章栏。"
    wanted = "、".join(SIGNATURE_LABELS.values())
    return [], f"文件中未找到签章栏。请在表格数据下方填写{wanted}。"


def _resubmit_steps(outcome: CountyOutcome, context: ReceiptContext, status: str) -> list[str]:
    code = outcome.county_code
    folder = f"报送目录下的 {context.kind}/{context.period}/ 文件夹"
    named = (
        f"文件名以本县（市、区）区划代码 {code} 开头（如 {code}.xlsx），"
        f"可用 {ACCEPTED_FORMATS} 格式"
    )
    option = "DATE" if context.kind == "daily" else "QUARTER"
    check = f"make check FILE=文件路径 {option}={context.period}"
    deadline = _city_time(context.deadline, context.timezone)
    if context.pre_check:
        steps = [] if status == ACCEPTED else [f"改正后再次运行 {check}，直到显示“可以接收”。"]
        return [
            *steps,
            f"将文件放入{folder}，{named}；该文件夹中本县（市、区）只能有一个文件。",
            f"报送截止时间为 {deadline}；晚于截止时间送达的文件仍会校验，记为逾期报送。",
        ]
    if status == MISSING:
        steps = [f"将报表文件放入{folder}，{named}。"]
    else:
        prefix = "如发现数据有误，" if status in (ACCEPTED, LATE) else ""
        steps = [
            f"{prefix}将改正后的文件放入{folder}，替换原文件 {plain_text(outcome.file_name)}；"
            f"该文件夹中本县（市、区）只能有一个文件，{named}。"
        ]
    if context.resubmit_by is None:
        steps.append("放入后请通知市统计局重新处理本期；重新处理后，本期报表和本回执随之更新。")
    else:
        steps.append(
            f"须在 {_city_time(context.resubmit_by, context.timezone)} 前放入：此前每晚的处理"
            "会发现新放入或更换的文件，重新校验并更新本期报表和本回执；此后请联系市统计局。"
        )
    steps.append(f"送出前可先自行检查：{check}（与正式处理做相同的校验，不写入任何数据）。")
    return steps
