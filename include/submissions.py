"""What daily and quarterly submissions share: find, check, stage, quarantine, report, notice
resubmissions. A `SubmissionKind` says what differs; each pipeline module defines one.

Between tasks only small JSON travels (XCom): accepted rows go through parquet
files under the state folder, and everything published comes from the warehouse.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import Table, select

from include import approval, warehouse
from include.config import CityConfig, Settings
from include.context import RunContext
from include.ingest import landing as storage
from include.tables import held_submissions, publications, submissions_log, validation_findings
from transforms import schema
from transforms.check.outcomes import CountyOutcome, PeriodOutcomes
from transforms.check.validation import (
    apply_explanations,
    registry_seen_by,
    run_expectation_suite,
    run_expectation_suite_on_each,
)
from transforms.findings import Finding
from transforms.ingest import readers
from transforms.ingest.readers import Signature
from transforms.merge.daily import ACCEPTED, MISSING, REJECTED
from transforms.publish.labels import SIGNATURE_FIELDS
from transforms.publish.rendering import outcome_entries
from transforms.schema import DATE, REGISTRY_COLUMNS, SOURCE_ROW, ReadLimits

EXPECTATIONS = Path(__file__).resolve().parent.parent / "expectations"
REGISTRY_PARTS = ("registry", "enterprises.csv")


@dataclass(frozen=True)
class SubmissionKind:
    name: str  # landing folder and log kind: "daily" or "quarterly"
    suite_file: str  # under expectations/
    rows_table: Table  # staged accepted rows
    period_column: str  # column of rows_table holding the period
    read: Callable[[bytes, str, ReadLimits], readers.ReadResult]
    # [(file name, content)], limits -> each file as read, or the UnreadableFile it raises
    read_all: Callable[
        [Sequence[tuple[str, bytes]], ReadLimits], list[readers.ReadResult | readers.UnreadableFile]
    ]
    # ({county code: its file's frame}, period, registry, {county code: its earlier rows})
    # -> each county's findings GX cannot produce, all files judged at once
    context_findings: Callable[..., dict[str, list[Finding]]]
    # (settings, period, county codes) -> each county's rows of the period before that its
    # rules compare with, read once for a chunk
    earlier_rows: Callable[[Settings, str, Sequence[str]], Mapping[str, pd.DataFrame]]
    # (city, period) -> the deadline a file must arrive by to be on time
    deadline: Callable[[CityConfig, str], datetime]
    # period text -> the value stored in rows_table's period column
    period_value: Callable[[str], object] = str


def discover(run: RunContext, kind: SubmissionKind, period: str) -> list[list[dict]]:
    """The period's landing entries, grouped by county (one work item per configured county),
    in chunks of at most `check_chunk_counties` counties (`even_chunks`): one check task per
    chunk. `files` are safe to read; `refused` are entries never opened (see
    `storage.scan_landing`)."""
    city, settings = run.city, run.settings
    landed = storage.scan_landing(settings.landing, kind.name, period)
    items = [
        {
            "period": period,
            "county_code": county.code,
            "county_name": county.name,
            "files": [f.to_dict() for f in landed.files if f.name.startswith(county.code)],
            "refused": [e.to_dict() for e in landed.refused if e.name.startswith(county.code)],
        }
        for county in city.counties
    ]
    return even_chunks(items, settings.check_chunk_counties)


def even_chunks(items: list, most: int) -> list[list]:
    """`items` in order, in as few chunks of at most `most` as there can be, their sizes one
    apart at most: 120 counties at 100 are two checks of 60 that two workers finish together,
    not one of 100 beside one of 20."""
    count = -(-len(items) // most)
    if not count:
        return []
    bounds = [-(-len(items) * n // count) for n in range(count + 1)]
    return [items[first:last] for first, last in itertools.pairwise(bounds)]


@dataclass(frozen=True)
class _Received:
    """A county's entries as read: the outcome so far, its single file as read (None when it
    has none it can be judged by) and why not (refused entries, two files, an unreadable one).
    """

    outcome: CountyOutcome
    period: str
    parsed: readers.ReadResult | None = None
    findings: tuple[Finding, ...] = ()
    # (file name, content) of the single file to read, until it is read
    unread: tuple[str, bytes] | None = None


def check_counties(run: RunContext, kind: SubmissionKind, items: list[dict]) -> list[CountyOutcome]:
    """Read and validate a chunk of counties' submissions, with one GX validation and one run
    of the context rules over all their rows, and stage the rows of each county accepted.
    The registry and the suite are read once for the chunk."""
    received = _read_together(kind, [_received(run, kind, item) for item in items], run.settings)
    frames = {r.outcome.county_code: r.parsed.frame for r in received if r.parsed is not None}
    suite_findings = run_expectation_suite_on_each(frames, load_suite(kind)) if frames else {}
    context_findings = {}
    if frames:
        period = items[0]["period"]
        context_findings = kind.context_findings(
            frames,
            period,
            registry_seen_by(load_registry(run.settings), frames),
            kind.earlier_rows(run.settings, period, list(frames)),
        )
    return [
        _decided(
            run,
            kind,
            county,
            suite_findings.get(county.outcome.county_code, [])
            + context_findings.get(county.outcome.county_code, []),
        )
        for county in received
    ]


def _decided(
    run: RunContext, kind: SubmissionKind, county: _Received, checked: list[Finding]
) -> CountyOutcome:
    """The county's outcome with every finding (`checked`: the suite's and the context
    rules' about its file), its accepted rows staged."""
    if county.outcome.file_name is None:
        return county.outcome  # nothing landed: missing
    findings = list(county.findings)
    if county.parsed is not None:
        findings += judged(county.parsed, county.outcome.file_name, checked)
    outcome = county.outcome.decided(county.parsed, findings)
    if outcome.outcome != ACCEPTED:
        return outcome
    staged = _stage_rows(
        kind, run.settings, county.period, outcome.county_code, county.parsed.frame
    )
    return replace(outcome, rows_path=staged)


def _received(run: RunContext, kind: SubmissionKind, item: dict) -> _Received:
    """A county's landed entries, fingerprinted, timed against the deadline and read."""
    city, settings = run.city, run.settings
    files = [storage.LandedFile(**f) for f in item["files"]]
    refused = [storage.RefusedEntry(**e) for e in item["refused"]]
    outcome = CountyOutcome(item["county_code"], item["county_name"])
    if not files and not refused:
        return _Received(outcome, item["period"])
    contents = _read_files(files, settings)
    outcome = replace(
        outcome,
        file_name=", ".join([*(f.name for f in files), *(e.name for e in refused)]),
        content_sha256=_fingerprint(contents, refused),
    )
    findings = [refused_finding(e) for e in refused]
    if not files:
        return _Received(outcome, item["period"], findings=tuple(findings))
    arrived = max(datetime.fromisoformat(f.arrived_at) for f in files)
    outcome = replace(
        outcome,
        arrived_at=arrived.isoformat(),
        on_time=arrived <= kind.deadline(city, item["period"]),
    )
    if len(files) > 1:
        findings.append(ambiguous_finding([f.name for f in files]))
        return _Received(outcome, item["period"], findings=tuple(findings))
    return _Received(
        outcome, item["period"], findings=tuple(findings), unread=(files[0].name, contents[0])
    )


def _read_together(
    kind: SubmissionKind, received: list[_Received], settings: Settings
) -> list[_Received]:
    """The counties' single files read in one call: the reader parses their cells together."""
    files = [county.unread for county in received if county.unread is not None]
    results = iter(kind.read_all(files, settings.submission_limits))
    return [
        county if county.unread is None else _with_read(county, next(results))
        for county in received
    ]


def _with_read(county: _Received, result: readers.ReadResult | readers.UnreadableFile) -> _Received:
    if isinstance(result, readers.UnreadableFile):
        findings = (*county.findings, _unreadable_finding(result))
        return replace(county, unread=None, findings=findings)
    return replace(county, unread=None, parsed=result)


def _unreadable_finding(problem: readers.UnreadableFile) -> Finding:
    return Finding("unreadable_file", "error", problem.problem, file_name=problem.file_name)


def ambiguous_finding(names: list[str]) -> Finding:
    return Finding(
        "ambiguous_submission",
        "error",
        f"同一县（市、区）本期有{len(names)}个文件（{'、'.join(names)}），无法确定以哪个为准",
    )


def refused_finding(entry: storage.RefusedEntry) -> Finding:
    return Finding(entry.rule, "error", entry.problem, file_name=entry.name)


def _read_files(files: list[storage.LandedFile], settings: Settings) -> list[bytes]:
    return [storage.read_landed(f.uri, settings.max_file_bytes) for f in files]


def _fingerprint(contents: list[bytes], refused: list[storage.RefusedEntry]) -> str:
    """What tells one landing of a county's entries from another: the bytes of its files,
    and the names of the entries that are never read."""
    names = "".join(f"\0{e.name}" for e in refused).encode()
    return storage.sha256_hex(b"".join(contents) + names)


def read_submission(
    kind: SubmissionKind, file_name: str, content: bytes, settings: Settings
) -> tuple[readers.ReadResult | None, list[Finding]]:
    """(the file as read, []), or (None, [why it cannot be read])."""
    try:
        return kind.read(content, file_name, settings.submission_limits), []
    except readers.UnreadableFile as problem:
        return None, [_unreadable_finding(problem)]


def judged(parsed: readers.ReadResult, file_name: str, checked: list[Finding]) -> list[Finding]:
    """Every finding about a file read: the reader's, then `checked` (the suite's, the rules
    that need the registry, the period and the county's earlier rows), with the warnings the
    county explained marked so."""
    findings = apply_explanations([*parsed.findings, *checked], parsed.frame)
    return [_with_file(f, file_name) for f in findings]


def check_submission(
    kind: SubmissionKind,
    file_name: str,
    content: bytes,
    county_code: str,
    period: str,
    settings: Settings,
    registry: pd.DataFrame,
) -> tuple[readers.ReadResult | None, list[Finding]]:
    """(the file as read, or None, and its findings) for one file, as the check task judges a
    landed one: `make check` runs it on a file before it is sent."""
    parsed, unreadable = read_submission(kind, file_name, content, settings)
    if parsed is None:
        return None, unreadable
    suite_findings = run_expectation_suite(parsed.frame, load_suite(kind))
    earlier = kind.earlier_rows(settings, period, [county_code])
    context_findings = kind.context_findings({county_code: parsed.frame}, period, registry, earlier)
    return parsed, judged(parsed, file_name, suite_findings + context_findings[county_code])


def _with_file(finding: Finding, file_name: str) -> Finding:
    if finding.file_name:
        return finding
    return Finding(**{**finding.__dict__, "file_name": file_name})


def load_suite(kind: SubmissionKind) -> dict:
    return json.loads((EXPECTATIONS / kind.suite_file).read_text(encoding="utf-8"))


def load_registry(settings: Settings, staged: bool = True) -> pd.DataFrame:
    """The registry as a canonical frame. Parsing a national registry takes seconds, and
    every county's check and every merge needs it: the first reader of a registry's
    content stages it as parquet under <state>/registry/, keyed by that content and by the
    reader's own code, and every later one (any task, any worker sharing the state
    folder) loads the parquet. `staged=False` reads without writing anything."""
    registry = storage.landing_path(settings.landing, *REGISTRY_PARTS)
    content = storage.read_landed(str(registry), settings.registry_limits.max_bytes)
    if not staged:
        return _parsed_registry(content, settings)
    key = storage.sha256_hex(content + _reader_code_digest())[:24]
    path = Path(settings.state) / "registry" / f"{key}.parquet"
    if path.is_file():
        # A shallow copy under copy-on-write: a caller's changes never reach the kept frame.
        return _staged_registry(str(path)).copy(deep=False)
    frame = _parsed_registry(content, settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{storage.run_token()}.tmp")
    frame.to_parquet(temporary, index=False)
    temporary.replace(path)
    return frame


@lru_cache(maxsize=1)
def _staged_registry(path: str) -> pd.DataFrame:
    """A staged registry, loaded once per process: its file name is its content's key, so the
    same path always holds the same frame. A process that runs many steps (`make backfill`'s
    dag.test, the bench) loaded a country's registry for each chunk of 50 counties, 0.4 s
    each time."""
    # Parquet keeps dates in milliseconds; the canonical frame has them in seconds.
    return warehouse.in_one_chunk(
        pd.read_parquet(path).astype({c.name: c.dtype for c in REGISTRY_COLUMNS if c.dtype == DATE})
    )


@cache
def _reader_code_digest() -> bytes:
    """What a staged parse was made by: the reader's and the schema's source."""
    sources = (Path(readers.__file__), Path(schema.__file__))
    return hashlib.sha256(b"".join(path.read_bytes() for path in sources)).digest()


def _parsed_registry(content: bytes, settings: Settings) -> pd.DataFrame:
    return readers.read_registry(content, "/".join(REGISTRY_PARTS), settings.registry_limits).frame


def _stage_rows(
    kind: SubmissionKind, settings: Settings, period: str, county_code: str, frame: pd.DataFrame
) -> str:
    path = Path(settings.state) / "staging" / kind.name / period / f"{county_code}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    # Two runs of one date (a backfill, a republish) check the same county at once.
    temporary = path.with_name(f".{path.name}.{storage.run_token()}.tmp")
    frame.drop(columns=[SOURCE_ROW]).to_parquet(temporary, index=False)
    temporary.replace(path)
    return str(path)


def stage(
    run: RunContext, kind: SubmissionKind, period: str, outcomes: list[CountyOutcome]
) -> list[str]:
    """In one transaction, replace the period's staged rows, submissions log and findings,
    and copy rejected files with their reasons into the quarantine folder, under the period's
    lock: two runs of the period replace the folder one after the other, never both at once.

    An approved period is locked: its staged rows, log, findings and quarantine stay as
    approved, and the submissions that differ from them are kept as held instead
    (`approval.hold`). Return the counties newly held (empty when the period is not locked)."""
    city, settings = run.city, run.settings
    engine = run.engine
    partition = {"kind": kind.name, "period": period}
    log_rows = _log_rows(kind, period, outcomes)
    with warehouse.locked(engine, rows_lock(kind.name, period)) as connection:
        if approval.approval_of(connection, kind.name, period):
            return approval.hold(
                connection, kind.name, period, log_rows, _processed(connection, kind, period)
            )
        rows = _staged_rows([o.rows_path for o in outcomes if o.outcome == ACCEPTED])
        warehouse.replace_partition(
            connection, kind.rows_table, {kind.period_column: kind.period_value(period)}, rows
        )
        warehouse.replace_partition(connection, submissions_log, partition, log_rows)
        warehouse.replace_partition(
            connection,
            validation_findings,
            partition,
            _finding_rows(kind, period, outcomes, _stray_files(kind, settings, city, period)),
        )
        warehouse.replace_partition(connection, held_submissions, partition, pd.DataFrame())
        _quarantine(kind, settings, period, outcomes)
    return []


def _staged_rows(paths: list[str]) -> pd.DataFrame:
    """The staged files' rows, in the files' order, read as one parquet dataset: a file at a
    time, a country's 2,900 files took 11–13 s, together 2.3–3 s (the same frame)."""
    if not paths:
        return pd.DataFrame()
    return warehouse.in_one_chunk(pq.read_table(paths).to_pandas())


def _processed(connection, kind: SubmissionKind, period: str) -> dict[str, str | None]:
    """county → the content sha256 the period's staged rows were made from."""
    log = submissions_log.c
    return dict(
        connection.execute(
            select(log.county_code, log.content_sha256).where(
                log.kind == kind.name, log.period == period
            )
        ).all()
    )


def rows_lock(kind: str, period: str) -> str:
    """The warehouse lock that the runs writing one period's rows take turns on (stage, merge):
    a backfill, the nightly run and a republish of a date never interleave their writes."""
    return f"rows:{kind}/{period}"


def _stray_files(kind, settings: Settings, city: CityConfig, period: str) -> list[Finding]:
    """Entries of the period that belong to no configured county (retired codes, bad names)."""
    landed = storage.scan_landing(settings.landing, kind.name, period)
    stray = [
        stray_file_finding(f.name, city) for f in landed.files if not _of_a_county(f.name, city)
    ]
    stray += [refused_finding(e) for e in landed.refused if not _of_a_county(e.name, city)]
    return stray


def _of_a_county(name: str, city: CityConfig) -> bool:
    return name.startswith(city.county_codes)


def stray_file_finding(name: str, city: CityConfig) -> Finding:
    prefix = name[:6]
    if prefix in city.retired_codes:
        why = f"{prefix}是已撤销的区划代码，不是{city.name}的县（市、区）"
    elif prefix.isdigit():
        why = f"{prefix}不是{city.name}的县（市、区）区划代码"
    else:
        why = "文件名不是以六位县（市、区）区划代码开头"
    return Finding("file_name_not_a_county", "error", f"文件未处理：{why}", file_name=name)


def _log_rows(kind: SubmissionKind, period: str, outcomes: list[CountyOutcome]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {
                "kind": kind.name,
                "period": period,
                "county_code": o.county_code,
                "file_name": o.file_name,
                "content_sha256": o.content_sha256,
                "arrived_at": o.arrived_at,
                "on_time": o.on_time,
                "outcome": o.outcome,
                "error_count": o.error_count,
                "warning_count": o.warning_count,
                "reasons": "\n".join(f.describe() for f in o.findings) or None,
                **{field: getattr(o.signature, field, None) for field in SIGNATURE_FIELDS},
            }
            for o in outcomes
        ]
    )


def _finding_rows(
    kind, period: str, outcomes: list[CountyOutcome], stray: list[Finding]
) -> pd.DataFrame:
    entries = [(o.county_code, f) for o in outcomes for f in o.findings]
    entries += [(None, f) for f in stray]
    return pd.DataFrame.from_records(
        [
            {
                "kind": kind.name,
                "period": period,
                "county_code": county,
                "file_name": f.file_name,
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "row_count": f.row_count,
                "rows": ", ".join(map(str, f.rows)) or None,
                "rule_values": ", ".join(f.values) or None,
                "explanations": json.dumps(list(f.explanations), ensure_ascii=False)
                if f.explanations
                else None,
            }
            for county, f in entries
        ]
    )


def _quarantine(kind, settings: Settings, period: str, outcomes: list[CountyOutcome]) -> None:
    folder = Path(settings.state) / "quarantine" / kind.name / period
    if folder.exists():
        shutil.rmtree(folder)
    # Only files safe to read are copied: a refused entry (a link, a name with control
    # characters) is named in reasons.txt and never opened.
    landed = storage.scan_landing(settings.landing, kind.name, period).files
    for o in outcomes:
        if o.outcome != REJECTED:
            continue
        target = folder / o.county_code
        target.mkdir(parents=True)
        for file in landed:
            if file.name.startswith(o.county_code):
                (target / file.name).write_bytes(storage.read_landed(file.uri))
        reasons = "\n".join(f.describe() for f in o.findings) + "\n"
        (target / "reasons.txt").write_text(reasons, encoding="utf-8")


def statuses(connection, kind: SubmissionKind, period: str) -> dict[str, str]:
    """county code -> accepted/rejected/missing, as staged for the period."""
    log = warehouse.read_partition(
        connection, submissions_log, {"kind": kind.name, "period": period}
    )
    return dict(zip(log["county_code"], log["outcome"], strict=True))


def period_outcomes(run: RunContext, kind: SubmissionKind, period: str) -> PeriodOutcomes:
    """The period's outcomes as staged: each configured county's (missing when it has no log
    row) with its findings, and the findings about files that belong to no county."""
    partition = {"kind": kind.name, "period": period}
    with run.engine.connect() as connection:
        log = warehouse.read_partition(connection, submissions_log, partition)
        findings = warehouse.read_partition(connection, validation_findings, partition)
    logged = {row["county_code"]: row for row in log.to_dict("records")}
    counties = []
    for county in run.city.counties:
        row = {k: _present(v) for k, v in logged.get(county.code, {}).items()}
        on_time = row.get("on_time")
        counties.append(
            CountyOutcome(
                county_code=county.code,
                county_name=county.name,
                outcome=row.get("outcome", MISSING),
                file_name=row.get("file_name"),
                content_sha256=row.get("content_sha256"),
                arrived_at=_iso(row.get("arrived_at")),
                on_time=None if on_time is None else bool(on_time),
                findings=tuple(
                    _finding_of(f)
                    for f in findings[findings["county_code"] == county.code].to_dict("records")
                ),
                signature=_signature_of(row),
            )
        )
    stray = findings[findings["county_code"].isna()].to_dict("records")
    return PeriodOutcomes(tuple(counties), tuple(_finding_of(f) for f in stray))


def report_outcomes(kind: SubmissionKind, period: str, run: RunContext | None = None) -> list[dict]:
    """The period's outcomes as the validation report publishes them (`outcome_entries`): per
    county, in the configured order, status, file, arrival and every finding, then an entry
    for the files that belong to no county. Read outside a task (by an analyst, a test) it
    takes its context from the environment."""
    run = run or RunContext.from_env()
    return outcome_entries(period_outcomes(run, kind, period))


def _signature_of(row: dict) -> Signature | None:
    """The signature block as the check gave it: None when the form had none."""
    signature = {field: row.get(field) for field in SIGNATURE_FIELDS}
    return Signature(**signature) if any(v is not None for v in signature.values()) else None


def _present(value):
    """None for every flavour of missing value a warehouse read can give."""
    return None if value is None or pd.isna(value) else value


def _finding_of(record: dict) -> Finding:
    record = {k: _present(v) for k, v in record.items()}
    return Finding(
        rule=record["rule"],
        severity=record["severity"],
        message=record["message"],
        rows=tuple(int(r) for r in (record["rows"] or "").split(", ") if r),
        values=tuple(v for v in (record["rule_values"] or "").split(", ") if v),
        row_count=int(record["row_count"] or 0),
        file_name=record["file_name"],
        explanations=tuple(json.loads(record["explanations"] or "[]")),
    )


def _iso(value) -> str | None:
    if value is None:
        return None
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def publish_period_folder(
    run: RunContext, folder: str, period: str, files: dict[str, bytes], revision: int
) -> str:
    """Make <publish>/<folder>/<period>/ hold exactly `files` (atomically) and record in
    `publications` (kind = `folder`) when this content first appeared.

    Both happen under the period's lock in the warehouse, so that runs publishing one period
    at once (a backfill, the nightly run, a republish, on any worker) take turns and the row
    always describes the folder; a row a crashed run did not get to write is written by the
    next run, even when the folder already holds the files."""
    settings = run.settings
    relative = f"{folder}/{period}"
    digest = storage.sha256_hex(b"".join(files[name] for name in sorted(files)))
    engine = run.engine
    with warehouse.locked(engine, f"publish:{relative}") as connection:
        changed = storage.publish_folder(settings.publish, relative, files)
        recorded = (
            connection.execute(
                select(publications.c.content_sha256)
                .where(publications.c.kind == folder)
                .where(publications.c.period == period)
            )
            .scalars()
            .all()
        )
        if changed or recorded != [digest]:
            # The publication time is bookkeeping for the index page, never an input of the data.
            warehouse.replace_partition(
                connection,
                publications,
                {"kind": folder, "period": period},
                pd.DataFrame(
                    [
                        {
                            "kind": folder,
                            "period": period,
                            "revision": revision,
                            "content_sha256": digest,
                            "published_at": datetime.now(UTC),
                        }
                    ]
                ),
            )
    return str(Path(settings.publish) / relative)


def changed_periods(
    run: RunContext, kind: SubmissionKind, first: str, before: str
) -> dict[str, str]:
    """Processed periods in [first, before) whose landed files now differ from what was
    processed (a late file, a resubmission, a file taken back), each with a short token of
    the new content, so that the same change is acted on once."""
    city, settings = run.city, run.settings
    with run.engine.connect() as connection:
        processed = connection.execute(
            select(
                submissions_log.c.period,
                submissions_log.c.county_code,
                submissions_log.c.content_sha256,
            )
            .where(submissions_log.c.kind == kind.name)
            .where(submissions_log.c.period >= first)
            .where(submissions_log.c.period < before)
        ).all()
    seen: dict[str, dict[str, str | None]] = {}
    for period, county, sha in processed:
        seen.setdefault(period, {})[county] = sha
    changed = {}
    for period in sorted(seen):
        landed = landed_fingerprints(kind, settings, city, period)
        if landed != seen[period]:
            changed[period] = storage.sha256_hex(json.dumps(landed, sort_keys=True).encode())[:12]
    return changed


def landed_fingerprints(kind, settings: Settings, city: CityConfig, period: str) -> dict:
    """county code -> the fingerprint the check logs for its entries as landed now (None
    when there are none)."""
    landed = storage.scan_landing(settings.landing, kind.name, period)
    fingerprints = {}
    for code in city.county_codes:
        files = [f for f in landed.files if f.name.startswith(code)]
        refused = [e for e in landed.refused if e.name.startswith(code)]
        fingerprints[code] = (
            _fingerprint(_read_files(files, settings), refused) if files or refused else None
        )
    return fingerprints
