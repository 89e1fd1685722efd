"""Checks of a canonical submission frame: the GX suite, then the rules that need context.

GX sees only the frame. The rules below it need what GX cannot see (the registry,
the file name, the folder's date or quarter, yesterday's rows); they report in the
same `Finding` shape so the validation report reads as one list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pandas as pd

from transforms.findings import QUOTED_EXAMPLES, Finding
from transforms.frames import is_in
from transforms.merge.daily import in_scope_on
from transforms.schema import DAILY_COLUMNS, EXPLANATION, QUARTERLY_COLUMNS, SOURCE_ROW

# A day-over-day change in employees_total this large (relative and absolute)
# is published as a warning so that typing slips are caught early.
JUMP_RATIO = 0.5
JUMP_MIN_PERSONS = 50


def run_expectation_suite(frame: pd.DataFrame, suite: dict) -> list[Finding]:
    """Validate one frame against a GX suite (its JSON as a dict)."""
    return run_expectation_suite_on_each({"": frame}, suite)[""]


# The columns the batched frame adds: which frame a row came from, and its place in the batch.
BATCH_KEY = "_frame"
BATCH_ROW = "_batch_row"


def run_expectation_suite_on_each(
    frames: Mapping[str, pd.DataFrame], suite: dict
) -> dict[str, list[Finding]]:
    """Validate several frames (the counties' files of a date) against a GX suite in one
    validation, as if each were validated alone: each key gets the findings about its
    own rows, quoting its own source rows. One GX validation costs about half a second
    whatever its row count, so a date's counties are validated together."""
    import great_expectations as gx

    keys = list(frames)
    batch = pd.concat([frames[k] for k in keys], ignore_index=True)
    owner = np.repeat(np.arange(len(keys)), [len(frames[k]) for k in keys])
    batch[BATCH_KEY] = owner
    batch.index.name = BATCH_ROW
    context = _ephemeral_context()
    per_frame_suite = _per_frame(suite)
    if per_frame_suite["name"] in {s.name for s in context.suites.all()}:
        context.suites.delete(per_frame_suite["name"])
    gx_suite = context.suites.add(gx.ExpectationSuite(**per_frame_suite))
    result = (
        _batch_definition(context)
        .get_batch(batch_parameters={"dataframe": batch})
        .validate(gx_suite, result_format={"result_format": "COMPLETE"})
    )
    source_rows = batch[SOURCE_ROW].to_numpy()
    findings: dict[str, list[Finding]] = {k: [] for k in keys}
    for failed in (r for r in result.results if not r.success):
        for position, finding in _findings_from(failed, owner, source_rows):
            findings[keys[position]].append(finding)
    return findings


def _per_frame(suite: dict) -> dict:
    """The suite with each uniqueness rule made unique within a frame, not across the batch
    (two counties may both report an enterprise: another rule says which one is wrong)."""
    expectations = []
    for expectation in suite["expectations"]:
        if expectation["type"] == "expect_column_values_to_be_unique":
            kwargs = dict(expectation["kwargs"])
            column = kwargs.pop("column")
            expectation = {
                **expectation,
                "type": "expect_compound_columns_to_be_unique",
                "kwargs": {
                    **kwargs,
                    "column_list": [BATCH_KEY, column],
                    "ignore_row_if": "any_value_is_missing",
                },
            }
        expectations.append(expectation)
    return {**suite, "expectations": expectations}


@cache
def _ephemeral_context():
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _batch_definition(context):
    source = context.data_sources.add_or_update_pandas("submission")
    asset = next(iter(source.assets), None) or source.add_dataframe_asset("frame")
    return next(iter(asset.batch_definitions), None) or (
        asset.add_batch_definition_whole_dataframe("whole")
    )


def _findings_from(result, owner: np.ndarray, source_rows: np.ndarray):
    """(frame position, finding) for each frame a failed expectation is about."""
    config = result.expectation_config
    meta = config.meta or {}
    rule = meta.get("rule", config.type)
    severity = "warning" if str(config.severity).lower().endswith("warning") else "error"
    column = _rule_column(config.kwargs)
    if result.exception_info.get("raised_exception"):
        # GX's exception text is for the operators; the county is told the rule did not run.
        logging.getLogger(__name__).warning(
            "expectation %s could not run: %s",
            rule,
            result.exception_info.get("exception_message"),
        )
        not_run = Finding(
            rule=rule,
            severity="error",
            message=f"{meta.get('message', config.type)}：本条规则未能执行，请与市统计局联系",
            column=column,
        )
        return [(position, not_run) for position in np.unique(owner)]
    indexed = result.result.get("unexpected_index_list") or []
    # A missing value needs no quoting: the stem says it is missing.
    quoted = config.type != "expect_column_values_to_not_be_null"
    by_frame: dict[int, list[dict]] = {}
    for entry in indexed:
        by_frame.setdefault(int(owner[entry[BATCH_ROW]]), []).append(entry)
    return [
        (
            position,
            Finding.about_rows(
                rule,
                severity,
                meta.get("message", config.type),
                [source_rows[entry[BATCH_ROW]] for entry in entries],
                [_shown_value(entry, config.kwargs, column) for entry in entries] if quoted else [],
                column=column,
            ),
        )
        for position, entries in sorted(by_frame.items())
    ]


def _rule_column(kwargs: dict) -> str | None:
    """The column a rule is reported under: its column, B of a pair, or the compound's own."""
    listed = [c for c in kwargs.get("column_list", ()) if c != BATCH_KEY]
    return kwargs.get("column") or kwargs.get("column_B") or next(iter(listed), None)


def _shown_value(entry: dict, kwargs: dict, column: str | None) -> str:
    """A failing row's value; for a rule on two columns both, each named in Chinese, B
    first as the stems say it ("在岗人数大于职工总数": B is above A)."""
    if "column_A" in kwargs:
        a, b = kwargs["column_A"], kwargs["column_B"]
        return f"{header(b)} {_plain(entry.get(b))}，{header(a)} {_plain(entry.get(a))}"
    return _plain(entry.get(column))


EMPTY_VALUE = "空"


def _plain(value: object) -> str:
    """A value as the county typed it: no `.0` after a whole number."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return EMPTY_VALUE
    if isinstance(value, pd.Timestamp):
        return EMPTY_VALUE if pd.isna(value) else value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_HEADERS = {c.name: c.chinese for c in (*DAILY_COLUMNS, *QUARTERLY_COLUMNS)}


def header(column: str) -> str:
    """A column as the county's form heads it, without the unit: 产能恢复率, 工业总产值."""
    return re.sub(r"[(（][^()（）]*[)）]$", "", _HEADERS.get(column, column))


def apply_explanations(findings: Sequence[Finding], frame: pd.DataFrame) -> list[Finding]:
    """Warnings the county has explained in the rows' 说明 column, marked explained with its
    text (NBS review rules let a county explain a 核实性 check instead of changing the
    data). Only a warning whose rows are all quoted and all explained is explained: an
    error is never, and a warning about the file as a whole has no row to explain it in."""
    explainable = [f.severity == "warning" and f.rows for f in findings]
    if EXPLANATION.name not in frame.columns or not any(explainable):
        return list(findings)
    written = frame[EXPLANATION.name]
    text = written.astype("str").where(written.notna(), "").str.strip()
    by_row = dict(zip(frame[SOURCE_ROW].astype(int), text, strict=True))
    explained = []
    for finding in findings:
        given = [by_row.get(row, "") for row in finding.rows]
        if (
            finding.severity == "warning"
            and finding.rows
            and finding.row_count == len(finding.rows)
            and all(given)
        ):
            finding = finding.explained_by(given)
        explained.append(finding)
    return explained


def registry_seen_by(registry: pd.DataFrame, frames: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """The registry rows that the rules of these counties' files look at: each county's own
    enterprises and the ones its file names, in registry order. A chunk's rules then work in
    time that follows its rows, not the registry's: a national registry is indexed again for
    each chunk of counties, not for each of 2,900 counties."""
    named = pd.concat([frame["enterprise_id"] for frame in frames.values()]).dropna().unique()
    seen = is_in(registry["county_code"], list(frames)) | is_in(registry["enterprise_id"], named)
    return registry.loc[seen]


@dataclass(frozen=True)
class _Batch:
    """Several counties' files (keyed by county code) as one frame of rows, each row knowing
    the file it came from, so that a rule runs once over all of them and each file is told
    about its own rows, as if it had been judged alone."""

    keys: list[str]
    rows: pd.DataFrame
    owner: np.ndarray  # for each row, the position in `keys` of its file

    @classmethod
    def of(cls, frames: Mapping[str, pd.DataFrame]) -> _Batch:
        keys = list(frames)
        rows = pd.concat([frames[k] for k in keys], ignore_index=True)
        owner = np.repeat(np.arange(len(keys)), [len(frames[k]) for k in keys])
        return cls(keys, rows, owner)

    @property
    def county_of_row(self) -> np.ndarray:
        return np.array(self.keys, dtype=object)[self.owner]

    def by_file(self, selected) -> Iterator[tuple[int, np.ndarray]]:
        """(file position, the positions of its selected rows) for each file with some, in
        file order: a file's rows lie together in the batch."""
        hits = np.flatnonzero(np.asarray(selected, dtype=bool))
        if not len(hits):
            return
        starts = np.flatnonzero(np.diff(self.owner[hits])) + 1
        for group in np.split(hits, starts):
            yield int(self.owner[group[0]]), group

    def file_enterprise_keys(
        self, other_file: np.ndarray, other_ids: pd.Series
    ) -> tuple[np.ndarray, np.ndarray]:
        """(file, enterprise) pairs as integers, for other rows (`other_file`: each one's file
        position; `other_ids`: its identifiers) and for the batch's rows, comparable with
        each other; a missing identifier matches a missing one, as `Series.map` matches it."""
        ids, _ = pd.factorize(
            pd.concat([other_ids, self.rows["enterprise_id"]], ignore_index=True),
            use_na_sentinel=False,
        )
        width = int(ids.max(initial=0)) + 1
        others = len(other_ids)
        return other_file * width + ids[:others], self.owner * width + ids[others:]

    def findings(self, *rules: Iterable[tuple[int, Finding]]) -> dict[str, list[Finding]]:
        """Each file's findings, rule by rule in the order given."""
        found: dict[str, list[Finding]] = {key: [] for key in self.keys}
        for rule in rules:
            for position, finding in rule:
                found[self.keys[position]].append(finding)
        return found


# GB 32100-2015 as python-stdnum's stdnum.cn.uscc computes it, for a whole column at once: one
# stdnum call per enterprise was a seventh of a province date's check.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
_USCC_VALUE = np.full(128, 0, dtype=np.int64)
_USCC_VALUE[[ord(c) for c in USCC_ALPHABET]] = np.arange(len(USCC_ALPHABET))


def uscc_valid(codes: pd.Series) -> np.ndarray:
    """`stdnum.cn.uscc.is_valid` of each code, all of which are 18 characters of
    `USCC_ALPHABET`: the first eight are digits and the last is the check character."""
    characters = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    values = _USCC_VALUE[characters]
    check = (31 - values[:, :17] @ _USCC_WEIGHTS) % 31
    digits_first = (characters[:, :8] <= ord("9")).all(axis=1)
    return digits_first & (values[:, 17] == check)


def _identity_findings(batch: _Batch, registry: pd.DataFrame) -> Iterator[tuple[int, Finding]]:
    """Rules on the enterprise identifiers, shared by daily and quarterly files."""
    rows = batch.rows
    source_rows = rows[SOURCE_ROW].to_numpy()
    enterprise_ids = rows["enterprise_id"].to_numpy()
    ids = rows["enterprise_id"].astype("str")
    well_formed = ids.str.fullmatch(f"[{USCC_ALPHABET}]{{18}}").fillna(False).to_numpy(dtype=bool)
    valid = np.ones(len(rows), dtype=bool)
    valid[well_formed] = uscc_valid(ids[well_formed])
    for position, at in batch.by_file(well_formed & ~valid):
        yield (
            position,
            Finding.about_rows(
                "enterprise_id_check_character",
                "error",
                "统一社会信用代码第18位校验码与按GB 32100-2015计算的不符",
                source_rows[at],
                enterprise_ids[at],
                column="enterprise_id",
            ),
        )
    owner = rows["enterprise_id"].map(registry.set_index("enterprise_id")["county_code"])
    registered_to = owner.to_numpy()
    elsewhere = (owner.notna() & (owner != batch.county_of_row)).to_numpy(dtype=bool)
    for position, at in batch.by_file(elsewhere):
        county_code = batch.keys[position]
        yield (
            position,
            Finding.about_rows(
                "enterprise_registered_to_other_county",
                "error",
                f"统一社会信用代码在名录库中登记在其他区县，不属于{county_code}",
                source_rows[at],
                [
                    f"{i}：名录库中属{c}"
                    for i, c in zip(enterprise_ids[at], registered_to[at], strict=True)
                ],
                column="enterprise_id",
            ),
        )
    unknown = owner.isna() & rows["enterprise_id"].notna()
    for position, at in batch.by_file(unknown.to_numpy(dtype=bool)):
        yield (
            position,
            Finding.about_rows(
                "enterprise_not_in_registry",
                "warning",
                "统一社会信用代码不在名录库中",
                source_rows[at],
                enterprise_ids[at],
                column="enterprise_id",
            ),
        )


def _column_equals_findings(
    batch: _Batch, column: str, expected: str | None, rule: str, what: str
) -> Iterator[tuple[int, Finding]]:
    """Every value of `column` must equal `expected` (the folder's period), or with None each
    file's own county code; `what` says in Chinese where the expected value comes from."""
    values = batch.rows[column]
    shown = values.dt.strftime("%Y-%m-%d") if hasattr(values, "dt") else values.astype("str")
    wanted = batch.county_of_row if expected is None else expected
    wrong = (values.notna() & (shown != wanted)).to_numpy(dtype=bool)
    source_rows = batch.rows[SOURCE_ROW].to_numpy()
    for position, at in batch.by_file(wrong):
        yield (
            position,
            Finding.about_rows(
                rule,
                "error",
                f"{header(column)}应为{what}{expected or batch.keys[position]}",
                source_rows[at],
                shown.to_numpy()[at],
                column=column,
            ),
        )


def _missing_in_scope_findings(
    batch: _Batch, registry: pd.DataFrame, on: date
) -> Iterator[tuple[int, Finding]]:
    """Warn about in-scope enterprises of a file's county that the file does not report."""
    scope = in_scope_on(registry, on)
    scope = scope[scope["county_code"].isin(batch.keys).to_numpy(dtype=bool)]
    in_scope, reported = batch.file_enterprise_keys(
        pd.Index(batch.keys).get_indexer(scope["county_code"]), scope["enterprise_id"]
    )
    absent = scope[~np.isin(in_scope, reported)]
    groups = absent.groupby("county_code", sort=False).indices
    for position, county_code in enumerate(batch.keys):
        if county_code not in groups:
            continue
        missing = absent.iloc[groups[county_code]]
        yield (
            position,
            Finding(
                rule="in_scope_enterprise_missing",
                severity="warning",
                message=f"名录库中本县（市、区）有{len(missing)}家在库企业未在文件中填报",
                column="enterprise_id",
                values=tuple(
                    f"{i} {n}"
                    for i, n in zip(
                        missing["enterprise_id"].iloc[:QUOTED_EXAMPLES],
                        missing["enterprise_name"].iloc[:QUOTED_EXAMPLES],
                        strict=True,
                    )
                ),
                row_count=len(missing),
            ),
        )


def daily_context_findings(
    frame: pd.DataFrame,
    *,
    folder_date: date,
    county_code: str,
    registry: pd.DataFrame,
    previous_rows: pd.DataFrame | None,
) -> list[Finding]:
    """The daily rules GX cannot see, for one county's file."""
    return daily_context_findings_on_each(
        {county_code: frame},
        folder_date=folder_date,
        registry=registry,
        previous_rows={} if previous_rows is None else {county_code: previous_rows},
    )[county_code]


def daily_context_findings_on_each(
    frames: Mapping[str, pd.DataFrame],
    *,
    folder_date: date,
    registry: pd.DataFrame,
    previous_rows: Mapping[str, pd.DataFrame],
) -> dict[str, list[Finding]]:
    """The daily rules GX cannot see (folder date, file county, registry, yesterday's values)
    over several counties' files at once (keyed by county code, with each county's rows of
    the day before where it has them): each file gets what judging it alone gives."""
    if not frames:
        return {}
    batch = _Batch.of(frames)
    return batch.findings(
        *_folder_and_registry_findings(
            batch,
            ("report_date", folder_date.isoformat(), "文件所在文件夹的日期"),
            registry,
            folder_date,
        ),
        _employee_jump_findings(batch, previous_rows),
    )


def _folder_and_registry_findings(
    batch: _Batch, period: tuple[str, str, str], registry: pd.DataFrame, in_scope_on_day: date
) -> list[Iterable[tuple[int, Finding]]]:
    """The rules both kinds of file share: the period column against the folder's period
    (`period`: column, the folder's value, where it comes from in Chinese), the county code
    against the file's, the identifiers against the registry, and the county's enterprises
    in scope on `in_scope_on_day` that the file leaves out."""
    column, expected, what = period
    return [
        _column_equals_findings(batch, column, expected, f"{column}_matches_folder", what),
        _column_equals_findings(
            batch, "county_code", None, "county_code_matches_file_name", "文件名开头的区县代码"
        ),
        _identity_findings(batch, registry),
        _missing_in_scope_findings(batch, registry, in_scope_on_day),
    ]


def _employee_jump_findings(
    batch: _Batch, previous_rows: Mapping[str, pd.DataFrame]
) -> Iterator[tuple[int, Finding]]:
    """Warn where employees_total moved by more than half (and 50 persons) since the last day:
    an enterprise's row against its county's first row for it the day before."""
    earlier = [p for p, key in enumerate(batch.keys) if len(previous_rows.get(key, ()))]
    if not earlier:
        return
    before = pd.concat([previous_rows[batch.keys[p]] for p in earlier], ignore_index=True)
    before_owner = np.repeat(earlier, [len(previous_rows[batch.keys[p]]) for p in earlier])
    before_keys, row_keys = batch.file_enterprise_keys(before_owner, before["enterprise_id"])
    before_key = pd.Index(before_keys)
    first = ~before_key.duplicated()
    at = before_key[first].get_indexer(row_keys)
    previous = pd.Series(
        before["employees_total"].astype("Float64").array[first].take(at, allow_fill=True)
    )
    current = batch.rows["employees_total"].astype("Float64")
    change = (current - previous).abs()
    jumped = ((change > JUMP_MIN_PERSONS) & (change > JUMP_RATIO * previous)).fillna(False)
    source_rows = batch.rows[SOURCE_ROW].to_numpy()
    for position, rows in batch.by_file(jumped.to_numpy(dtype=bool)):
        yield (
            position,
            Finding.about_rows(
                "employees_total_day_over_day_jump",
                "warning",
                "职工总数与上一日相比变化超过一半",
                source_rows[rows],
                [f"{int(p)}→{int(c)}" for p, c in zip(previous[rows], current[rows], strict=True)],
                column="employees_total",
            ),
        )


def quarterly_context_findings(
    frame: pd.DataFrame,
    *,
    folder_quarter: str,
    quarter_end: date,
    county_code: str,
    registry: pd.DataFrame,
) -> list[Finding]:
    """The quarterly rules GX cannot see, for one county's file."""
    return quarterly_context_findings_on_each(
        {county_code: frame},
        folder_quarter=folder_quarter,
        quarter_end=quarter_end,
        registry=registry,
    )[county_code]


def quarterly_context_findings_on_each(
    frames: Mapping[str, pd.DataFrame],
    *,
    folder_quarter: str,
    quarter_end: date,
    registry: pd.DataFrame,
) -> dict[str, list[Finding]]:
    """The quarterly rules GX cannot see (folder quarter, file county, registry: enterprises
    in scope at quarter end, and implausible year-on-year changes) over several counties'
    files at once, each getting what judging it alone gives."""
    if not frames:
        return {}
    batch = _Batch.of(frames)
    return batch.findings(
        *_folder_and_registry_findings(
            batch, ("report_quarter", folder_quarter, "文件所在文件夹的季度"), registry, quarter_end
        ),
        _year_on_year_outlier_findings(batch, "output_value", "output_value_prior"),
        _year_on_year_outlier_findings(batch, "value_added", "value_added_prior"),
    )


# A same-scope year-on-year change outside these bounds (and this large in 万元) is
# implausible enough to ask the county to confirm: halving, or more than doubling.
YOY_LOWEST_RATIO = 0.5
YOY_HIGHEST_RATIO = 2.0
YOY_MIN_CHANGE_WAN_YUAN = 100.0


def _year_on_year_outlier_findings(
    batch: _Batch, current: str, prior: str
) -> Iterator[tuple[int, Finding]]:
    """Warn where an enterprise's value fell by half or more than doubled against its
    same-scope prior value (or has a value where the prior was 0)."""
    now = batch.rows[current].astype("Float64")
    before = batch.rows[prior].astype("Float64")
    ratio = now / before.where(before != 0)
    large = (now - before).abs() >= YOY_MIN_CHANGE_WAN_YUAN
    implausible = (ratio < YOY_LOWEST_RATIO) | (ratio > YOY_HIGHEST_RATIO) | (before == 0)
    flagged = (large & implausible).fillna(False).to_numpy(dtype=bool)
    source_rows = batch.rows[SOURCE_ROW].to_numpy()
    for position, rows in batch.by_file(flagged):
        yield (
            position,
            Finding.about_rows(
                f"{current}_year_on_year_outlier",
                "warning",
                f"{header(current)}与上年同期相比下降一半以上、增长一倍以上或上年同期为0",
                source_rows[rows],
                [f"{_plain(b)}→{_plain(n)}" for b, n in zip(before[rows], now[rows], strict=True)],
                column=current,
            ),
        )
