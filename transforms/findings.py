"""One shape for everything a check can say about a submission, whoever made the check.

GX expectations, reader problems and context rules (registry, file name, folder
date, yesterday's values) all end up as `Finding`s, so the validation report has
one format whatever found the problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

# How many example rows and values a finding quotes; the count is always complete.
QUOTED_EXAMPLES = 20


@dataclass(frozen=True)
class Finding:
    rule: str  # stable identifier, e.g. "employees_on_site_not_above_total"
    severity: Severity
    message: str  # one sentence in plain words, naming the rule
    column: str | None = None
    rows: tuple[int, ...] = ()  # source rows (1-based, as in the county's file)
    values: tuple[str, ...] = ()
    row_count: int = 0
    file_name: str | None = None
    extra: dict = field(default_factory=dict)

    @classmethod
    def about_rows(
        cls,
        rule: str,
        severity: Severity,
        message: str,
        rows: Sequence[int],
        values: Iterable[object] = (),
        column: str | None = None,
        file_name: str | None = None,
    ) -> Finding:
        rows = tuple(int(r) for r in rows)
        return cls(
            rule=rule,
            severity=severity,
            message=message,
            column=column,
            rows=rows[:QUOTED_EXAMPLES],
            values=tuple(_show(v) for v in list(values)[:QUOTED_EXAMPLES]),
            row_count=len(rows),
            file_name=file_name,
        )

    def describe(self) -> str:
        """The reason text a county reads: rule, rows, values."""
        parts = [f"[{self.rule}] {self.message}"]
        if self.row_count:
            shown = ", ".join(str(r) for r in self.rows)
            unquoted = self.row_count - len(self.rows)
            more = f" and {unquoted} more" if unquoted else ""
            parts.append(f"rows {shown}{more}")
        if self.values:
            parts.append("values " + ", ".join(self.values))
        text = "; ".join(parts)
        return f"{self.file_name}: {text}" if self.file_name else text

    def to_dict(self) -> dict:
        data = asdict(self)
        data["rows"] = list(self.rows)
        data["values"] = list(self.values)
        data["reason"] = self.describe()
        return data


def _show(value: object) -> str:
    text = "" if value is None else str(value)
    return repr(text) if text.strip() != text or not text else text


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
