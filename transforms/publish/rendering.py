"""Published files rendered from tables: bytes out, nothing written here.

Text that came from a county (enterprise names, difficulties, file names, explanations,
values quoted in reasons) is made inert here for every format: `plain_text` for all of
them, then what the format needs on top (markdown escapes here, the spreadsheet formula
prefix here and in the Excel writer; Jinja escapes the HTML).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pandas as pd

from transforms.merge.daily import REJECTED
from transforms.publish.labels import STATUS_LABELS, status_of

if TYPE_CHECKING:
    # findings.py renders its own text with this module: the outcomes import it back
    from transforms.check.outcomes import PeriodOutcomes

# A county's text starting with one of these would run as a formula in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Bidi embeddings, overrides, isolates and marks reorder the text around them where it is
# shown ("Trojan Source"): a reason or a name could read as something it is not.
_BIDI_CONTROLS = re.compile(r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Almost every text is already plain: one search finds the few the three passes would change.
_NOT_PLAIN = re.compile(
    r"[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\x00-\x1f\x7f-\x9f\u2028\u2029]"
)
# Markdown syntax that inline text could use to become a link, an image, raw HTML, an
# entity, emphasis, code or a table cell; "." ":" "@" too, because linkifiers turn bare
# domains, URLs and mail addresses into links. An underscore inside a word never marks
# emphasis, so rule and column ids stay as they are. Line-start syntax cannot occur:
# county text never starts a line of the report.
_MARKDOWN_SYNTAX = re.compile(r"([\\`*{}\[\]()<>#!|~&:@.]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z]))")

ON_TIME_LABELS = {True: "按时", False: "逾期", None: ""}


def plain_text(text: str) -> str:
    """`text` as one line that shows what it holds: bidi controls dropped, line breaks and
    tabs shown as a space, any other control character as U+FFFD."""
    if not _NOT_PLAIN.search(text):
        return text
    text = _BIDI_CONTROLS.sub("", text)
    return _CONTROLS.sub("\ufffd", _LINE_BREAKS.sub(" ", text))


def plain_texts(texts: pd.Series) -> pd.Series:
    """`plain_text` of each text of a column, at once."""
    texts = texts.astype("str").str.replace(_BIDI_CONTROLS, "", regex=True)
    texts = texts.str.replace(_LINE_BREAKS, " ", regex=True)
    return texts.str.replace(_CONTROLS, "\ufffd", regex=True)


def markdown_text(text: object) -> str:
    """Text for a markdown line or table cell that renders as exactly its characters."""
    return _MARKDOWN_SYNTAX.sub(r"\\\1", plain_text("" if text is None else str(text)))


def neutralise_formula(text: object) -> object:
    """Prefix a quote to text a spreadsheet would run as a formula; other values pass through."""
    if isinstance(text, str) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def spreadsheet_text(text: object) -> object:
    """County text for a CSV or spreadsheet cell: plain, and never a formula."""
    return neutralise_formula(plain_text(text)) if isinstance(text, str) else text


def table_csv(frame: pd.DataFrame) -> bytes:
    """A published table as UTF-8 CSV with a byte-order mark (Excel on Chinese Windows reads
    a CSV without one as GBK and garbles every name; pandas, DuckDB and R skip it): ISO
    dates, full-precision rates, empty for null."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif out[column].dtype == "str" or out[column].dtype == object:
            out[column] = out[column].map(spreadsheet_text)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


# The validation report's entry for the files of a period that belong to no county.
NO_COUNTY_CODE = "------"
NO_COUNTY_NAME = "不属于任何县（市、区）的文件"


def outcome_entries(outcomes: PeriodOutcomes) -> list[dict]:
    """The outcomes as the validation report publishes them: one entry per county (ids in
    English, reasons in Chinese), then one for the files that belong to no county."""
    entries = [
        {
            "county_code": o.county_code,
            "county_name": o.county_name,
            "outcome": o.outcome,
            "file_name": o.file_name,
            "content_sha256": o.content_sha256,
            "arrived_at": o.arrived_at,
            "on_time": o.on_time,
            "error_count": o.error_count,
            "warning_count": o.warning_count,
            "signature": None if o.signature is None else o.signature.to_dict(),
            "findings": [f.to_dict() for f in o.findings],
        }
        for o in outcomes.counties
    ]
    if outcomes.stray:
        entries.append(
            {
                "county_code": NO_COUNTY_CODE,
                "county_name": NO_COUNTY_NAME,
                "outcome": REJECTED,
                "error_count": len(outcomes.stray),
                "warning_count": 0,
                "findings": [f.to_dict() for f in outcomes.stray],
            }
        )
    return entries


def validation_report_json(period: str, outcomes: PeriodOutcomes) -> bytes:
    """Every county's outcome as the pipeline holds it (`outcome_entries`), with the Chinese
    status beside each id."""
    counties = [
        {**o, "status_label": STATUS_LABELS[status_of(o["outcome"], o.get("on_time"))]}
        for o in outcome_entries(outcomes)
    ]
    return (
        json.dumps(
            {"period": period, "counties": _plain_strings(counties)}, ensure_ascii=False, indent=2
        )
        + "\n"
    ).encode("utf-8")


def _plain_strings(value):
    if isinstance(value, str):
        return plain_text(value)
    if isinstance(value, dict):
        return {k: _plain_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_strings(v) for v in value]
    return value


def validation_report_markdown(title: str, period_outcomes: PeriodOutcomes) -> bytes:
    """Every rejection and warning, per county: rule, rows, values, what to do."""
    outcomes = outcome_entries(period_outcomes)
    lines = [f"# {markdown_text(title)}", ""]
    lines += ["| 县（市、区） | 报送状态 | 文件 | 送达时间（UTC） | 是否按时 | 错误 | 警告 |"]
    lines += ["|---|---|---|---|---|---|---|"]
    for o in outcomes:
        cells = [
            _county(o),
            STATUS_LABELS[status_of(o["outcome"], o.get("on_time"))],
            o.get("file_name") or "",
            o.get("arrived_at") or "",
            ON_TIME_LABELS[o.get("on_time")],
            o.get("error_count", 0),
            o.get("warning_count", 0),
        ]
        lines.append("| " + " | ".join(markdown_text(c) for c in cells) + " |")
    for o in outcomes:
        if not o.get("findings"):
            continue
        county = markdown_text(_county(o))
        status = STATUS_LABELS[status_of(o["outcome"], o.get("on_time"))]
        lines += ["", f"## {county}：{status}", ""]
        for finding in o["findings"]:
            lines.append(f"- **{finding['label']}** {markdown_text(finding['reason'])}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _county(entry: dict) -> str:
    """Code and name of a county; only the name of the entry for files of no county."""
    code, name = entry["county_code"], entry["county_name"]
    return name if code == NO_COUNTY_CODE else f"{code} {name}"
