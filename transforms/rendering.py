"""Published files rendered from tables: bytes out, nothing written here."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

# A county's text starting with one of these would run as a formula in a spreadsheet.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: object) -> object:
    """Prefix a quote to text a spreadsheet would run as a formula; other values pass through."""
    if isinstance(text, str) and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def table_csv(frame: pd.DataFrame) -> bytes:
    """A published table as UTF-8 CSV: ISO dates, full-precision rates, empty for null."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
        elif out[column].dtype == "str" or out[column].dtype == object:
            out[column] = out[column].map(neutralise_formula)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def validation_report_json(period: str, outcomes: Sequence[dict]) -> bytes:
    return (
        json.dumps({"period": period, "counties": list(outcomes)}, ensure_ascii=False, indent=2)
        + "\n"
    ).encode("utf-8")


def validation_report_markdown(title: str, outcomes: Sequence[dict]) -> bytes:
    """Every rejection and warning, per county: rule, rows, values."""
    lines = [f"# {title}", ""]
    lines += ["| county | status | file | arrived (UTC) | on time | errors | warnings |"]
    lines += ["|---|---|---|---|---|---|---|"]
    for o in outcomes:
        on_time = {True: "yes", False: "late", None: ""}[o.get("on_time")]
        lines.append(
            f"| {o['county_code']} {o['county_name']} | {o['outcome']} | {o.get('file_name') or ''}"
            f" | {o.get('arrived_at') or ''} | {on_time} | {o.get('error_count', 0)}"
            f" | {o.get('warning_count', 0)} |"
        )
    for o in outcomes:
        if not o.get("findings"):
            continue
        lines += ["", f"## {o['county_code']} {o['county_name']}: {o['outcome']}", ""]
        for finding in o["findings"]:
            lines.append(f"- **{finding['severity']}** {_escape(finding['reason'])}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
