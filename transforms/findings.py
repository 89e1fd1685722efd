"""One shape for everything a check can say about a submission, whoever made the check.

GX expectations, reader problems and context rules (registry, file name, folder
date, yesterday's values) all end up as `Finding`s, so the validation report has
one format whatever found the problem, and every county reads its reasons as
Chinese sentences composed the same way (`Finding.describe`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

from transforms.publish.rendering import plain_text

Severity = Literal["error", "warning"]

# How many example rows and values a finding quotes; the count is always complete.
QUOTED_EXAMPLES = 20

# What the county does about a finding, unless its rule says otherwise below. A warning
# about rows may be explained in the row's 说明 column (the NBS review rules' 核实性 checks);
# a warning about the file as a whole has no row to explain it in.
FIX_AND_RESEND = "请修改后重新报送"
CHECK_AND_RESEND = "请核实后重新报送"
CONFIRM_OR_EXPLAIN = "请核实；如数据无误，可在该行“说明”列写明原因"
CONFIRM = "请核实"
RULE_ACTIONS = {
    # the reader's problem text already says what to do
    "unreadable_file": "",
    "ambiguous_submission": "请只保留一个文件后重新报送",
    "file_name_not_a_county": "请以本县（市、区）的六位区划代码开头命名文件后重新报送",
    "in_scope_enterprise_missing": "请核实是否漏报；如企业已停产、注销或迁出，请与市统计局联系",
    # the header of the file, not its rows
    "missing_columns": "请按报表格式补齐这些列后重新报送",
    "duplicate_columns": "请删除重复的列后重新报送",
    "missing_optional_columns": "这些列按未填写读取；如需填报，请按报表格式添加",
    "unknown_columns": "这些列不会被读取；如是列名写错，请按报表格式修改",
    # entries of the landing zone that are never opened
    "landing_entry_is_symlink": "请直接报送文件本身",
    "landing_entry_outside_landing_zone": "请把文件本身放入本期报送文件夹后重新报送",
    "landing_entry_not_a_file": "请报送一个表格文件",
    "file_name_has_control_characters": "请用本县（市、区）区划代码重新命名文件后重新报送",
    # one value contradicts another: which one is wrong only the county knows
    "employees_on_site_not_above_total": CHECK_AND_RESEND,
    "resumed_on_not_after_report_date": CHECK_AND_RESEND,
    "value_added_not_above_output": CHECK_AND_RESEND,
    "value_added_prior_not_above_output_prior": CHECK_AND_RESEND,
}
SEVERITY_LABELS = {"error": "错误", "warning": "警告"}
EXPLAINED = "已说明"


@dataclass(frozen=True)
class Finding:
    rule: str  # stable identifier, e.g. "employees_on_site_not_above_total"
    severity: Severity
    message: str  # short Chinese stem, e.g. "在岗人数大于职工总数": no rows, no action
    column: str | None = None
    rows: tuple[int, ...] = ()  # source rows (1-based, as in the county's file)
    values: tuple[str, ...] = ()
    row_count: int = 0
    file_name: str | None = None
    extra: dict = field(default_factory=dict)
    # the county's 说明 of each quoted row, in row order; set only on warnings it explains
    explanations: tuple[str, ...] = ()

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

    @property
    def explained(self) -> bool:
        return bool(self.explanations)

    @property
    def label(self) -> str:
        """错误, 警告, or 已说明 for a warning the county has explained."""
        return EXPLAINED if self.explained else SEVERITY_LABELS[self.severity]

    def explained_by(self, explanations: Sequence[str]) -> Finding:
        """This warning, explained by the county's text for each of its rows."""
        return replace(self, explanations=tuple(explanations))

    @property
    def reason(self) -> str:
        return self.describe()

    def describe(self) -> str:
        """The sentence a county reads: file, rows, what is wrong, the values, what to do
        (or the county's own explanation), and the rule id as a stable code.

        e.g. `440203.csv：第14、61行：在岗人数大于职工总数（在岗人数 260，职工总数 242；…），
        请核实后重新报送。［employees_on_site_not_above_total］`
        """
        where = [self.file_name] if self.file_name else []
        if self.rows:
            where.append(_rows_text(self.rows, self.row_count))
        sentence = self.message.rstrip("。；，")
        if self.values:
            sentence += f"（{_values_text(self.values, max(self.row_count, len(self.rows)))}）"
        follow_up = self._explanation_text() if self.explained else self._action()
        if follow_up:
            sentence += f"，{follow_up}"
        text = "：".join([*where, sentence]) + f"。［{self.rule}］"
        # Values, file names and explanations are the county's own text: no control or
        # bidi character of theirs reaches any file, page or terminal that shows a reason.
        return plain_text(text)

    def _action(self) -> str:
        if self.rule in RULE_ACTIONS:
            return RULE_ACTIONS[self.rule]
        if self.severity == "error":
            return FIX_AND_RESEND
        return CONFIRM_OR_EXPLAIN if self.rows else CONFIRM

    def _explanation_text(self) -> str:
        if len(set(self.explanations)) == 1:
            return f"{EXPLAINED}：“{self.explanations[0]}”"
        quoted = "；".join(
            f"第{row}行“{text}”" for row, text in zip(self.rows, self.explanations, strict=True)
        )
        return f"{EXPLAINED}：{quoted}"

    def to_dict(self) -> dict:
        data = asdict(self)
        data["rows"] = list(self.rows)
        data["values"] = list(self.values)
        data["explanations"] = list(self.explanations)
        data["explained"] = self.explained
        data["label"] = self.label
        data["reason"] = self.reason
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        """The finding `to_dict` gave (its derived texts are dropped and made again)."""
        return cls(
            rule=data["rule"],
            severity=data["severity"],
            message=data["message"],
            column=data.get("column"),
            rows=tuple(data.get("rows", ())),
            values=tuple(data.get("values", ())),
            row_count=data.get("row_count", 0),
            file_name=data.get("file_name"),
            extra=dict(data.get("extra") or {}),
            explanations=tuple(data.get("explanations", ())),
        )


def _rows_text(rows: Sequence[int], row_count: int) -> str:
    shown = "、".join(str(r) for r in rows)
    return f"第{shown}等{row_count}行" if row_count > len(rows) else f"第{shown}行"


def _values_text(values: Sequence[str], count: int) -> str:
    # Values that are themselves lists ("在岗人数 260，职工总数 242") are set apart by "；".
    separator = "；" if any(mark in v for v in values for mark in "，、 ") else "、"
    return separator.join(values) + ("等" if count > len(values) else "")


def _show(value: object) -> str:
    text = "" if value is None else str(value)
    return f"“{text}”" if text.strip() != text or not text else text


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
