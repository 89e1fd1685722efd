"""The steps of `city_daily_report`, one function per task; pure work is delegated to transforms/.

Between tasks only small JSON travels (XCom): staged rows go through parquet
files under the state folder, and everything published comes from the warehouse.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from include import storage, warehouse
from include.config import CityConfig, Settings, load_city_config
from include.periods import data_date, local_deadline
from include.tables import (
    county_daily,
    daily_submission_rows,
    publications,
    submissions_log,
    validation_findings,
)
from transforms import readers, rendering
from transforms.daily import ACCEPTED, COUNTY_DAILY_COLUMNS, MISSING, REJECTED, merge_county_daily
from transforms.findings import Finding, has_errors
from transforms.revisions import assign_revisions
from transforms.schema import SOURCE_ROW
from transforms.validation import daily_context_findings, run_expectation_suite

KIND = "daily"
SUITE_PATH = Path(__file__).resolve().parent.parent / "expectations" / "daily_submission.json"
REGISTRY_PARTS = ("registry", "enterprises.csv")


def report_date_of_run(logical_date: datetime | None, params: dict | None = None) -> str:
    """The data date: the `report_date` param when an operator or a republish sets it,
    else the run's logical date in the city's timezone."""
    override = (params or {}).get("report_date")
    if override:
        return date.fromisoformat(str(override)).isoformat()
    if logical_date is None:
        raise ValueError("a run without a logical date needs the report_date param")
    return data_date(logical_date, load_city_config().tz).isoformat()


def counties_landed_or_cutoff_passed(report_date: str, now: datetime | None = None) -> bool:
    """True once every county's file is in, or the city's cut-off for that date has passed."""
    city = load_city_config()
    cutoff = local_deadline(date.fromisoformat(report_date), city.schedule.missing_cutoff, city.tz)
    if (now or datetime.now(UTC)) >= cutoff:
        return True
    files = storage.list_landed_files(Settings.from_env().landing, KIND, report_date)
    return all(any(f.name.startswith(code) for f in files) for code in city.county_codes)


def discover_daily_submissions(report_date: str) -> list[dict]:
    """The date's files, grouped by county: one work item per configured county."""
    city, settings = load_city_config(), Settings.from_env()
    files = storage.list_landed_files(settings.landing, KIND, report_date)
    return [
        {
            "report_date": report_date,
            "county_code": county.code,
            "county_name": county.name,
            "files": [f.to_dict() for f in files if f.name.startswith(county.code)],
        }
        for county in city.counties
    ]


def stray_file_findings(settings: Settings, city: CityConfig, report_date: str) -> list[dict]:
    """Files of the date that belong to no configured county (retired codes, bad names)."""
    files = storage.list_landed_files(settings.landing, KIND, report_date)
    return [
        _stray_file_finding(f.name, city).to_dict()
        for f in files
        if not f.name.startswith(city.county_codes)
    ]


def _stray_file_finding(name: str, city: CityConfig) -> Finding:
    prefix = name[:6]
    if prefix in city.retired_codes:
        why = f"{prefix} is a retired division code, not a county of {city.name}"
    elif prefix.isdigit():
        why = f"{prefix} is not a county code of {city.name}"
    else:
        why = "the file name does not start with a six-digit county code"
    return Finding("file_name_not_a_county", "error", f"file ignored: {why}", file_name=name)


def check_daily_county(item: dict) -> dict:
    """Read and validate one county's submission; stage its rows if accepted."""
    city, settings = load_city_config(), Settings.from_env()
    report_date = date.fromisoformat(item["report_date"])
    files = [storage.LandedFile(**f) for f in item["files"]]
    outcome = {
        "county_code": item["county_code"],
        "county_name": item["county_name"],
        "outcome": MISSING,
        "file_name": None,
        "content_sha256": None,
        "arrived_at": None,
        "on_time": None,
        "rows_path": None,
        "findings": [],
    }
    if files:
        arrived = max(datetime.fromisoformat(f.arrived_at) for f in files)
        deadline = local_deadline(report_date, city.schedule.daily_deadline, city.tz)
        contents = [storage.read_landed(f.uri, settings.max_file_bytes) for f in files]
        outcome.update(
            file_name=", ".join(f.name for f in files),
            content_sha256=storage.sha256_hex(b"".join(contents)),
            arrived_at=arrived.isoformat(),
            on_time=arrived <= deadline,
        )
        frame, findings = _validated(files, contents, item, report_date, settings)
        outcome["findings"] = [f.to_dict() for f in findings]
        if frame is not None and not has_errors(findings):
            outcome["outcome"] = ACCEPTED
            outcome["rows_path"] = _stage_rows(settings, item, frame)
        else:
            outcome["outcome"] = REJECTED
    outcome["error_count"] = sum(f["severity"] == "error" for f in outcome["findings"])
    outcome["warning_count"] = sum(f["severity"] == "warning" for f in outcome["findings"])
    return outcome


def _validated(files, contents, item, report_date, settings):
    """(frame or None, findings) for a county's files: every problem becomes a finding."""
    if len(files) > 1:
        names = ", ".join(f.name for f in files)
        return None, [
            Finding(
                "ambiguous_submission",
                "error",
                f"{len(files)} files for one county and date ({names}): send exactly one",
            )
        ]
    file_name = files[0].name
    try:
        parsed = readers.read_daily_submission(contents[0], file_name, settings.max_file_bytes)
    except readers.UnreadableFile as problem:
        return None, [Finding("unreadable_file", "error", problem.problem, file_name=file_name)]
    registry = load_registry(settings)
    findings = list(parsed.findings)
    findings += run_expectation_suite(parsed.frame, load_suite())
    findings += daily_context_findings(
        parsed.frame,
        folder_date=report_date,
        county_code=item["county_code"],
        registry=registry,
        previous_rows=_previous_day_rows(settings, item["county_code"], report_date),
    )
    findings = [_with_file(f, file_name) for f in findings]
    return parsed.frame, findings


def _with_file(finding: Finding, file_name: str) -> Finding:
    if finding.file_name:
        return finding
    return Finding(**{**finding.__dict__, "file_name": file_name})


def _previous_day_rows(settings: Settings, county_code: str, report_date: date):
    """The county's rows of the day before, read from the landing zone (not the warehouse),
    so that a backfill in any order checks against the same values as the nightly run."""
    previous = (report_date - timedelta(days=1)).isoformat()
    files = [
        f
        for f in storage.list_landed_files(settings.landing, KIND, previous)
        if f.name.startswith(county_code)
    ]
    if len(files) != 1:
        return None
    try:
        content = storage.read_landed(files[0].uri, settings.max_file_bytes)
        return readers.read_daily_submission(content, files[0].name, settings.max_file_bytes).frame
    except readers.UnreadableFile:
        return None


def load_suite() -> dict:
    return json.loads(SUITE_PATH.read_text(encoding="utf-8"))


def load_registry(settings: Settings) -> pd.DataFrame:
    content = storage.read_landed(str(storage.landing_path(settings.landing, *REGISTRY_PARTS)))
    return readers.read_registry(content, "/".join(REGISTRY_PARTS)).frame


def _staging_folder(settings: Settings, report_date: str) -> Path:
    return Path(settings.state) / "staging" / KIND / report_date


def _stage_rows(settings: Settings, item: dict, frame: pd.DataFrame) -> str:
    path = _staging_folder(settings, item["report_date"]) / f"{item['county_code']}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".parquet.tmp")
    frame.drop(columns=[SOURCE_ROW]).to_parquet(temporary, index=False)
    temporary.replace(path)
    return str(path)


def stage_daily_submissions(
    report_date: str, outcomes: list[dict], stray_files: list[dict]
) -> None:
    """In one transaction, replace the date's staged rows, submissions log and findings;
    then copy rejected files with their reasons into the quarantine folder."""
    settings = Settings.from_env()
    engine = warehouse.engine_for(settings.warehouse_url)
    day = date.fromisoformat(report_date)
    accepted = [pd.read_parquet(o["rows_path"]) for o in outcomes if o["outcome"] == ACCEPTED]
    rows = pd.concat(accepted, ignore_index=True) if accepted else pd.DataFrame()
    with engine.begin() as connection:
        warehouse.replace_partition(connection, daily_submission_rows, {"report_date": day}, rows)
        warehouse.replace_partition(
            connection,
            submissions_log,
            {"kind": KIND, "period": report_date},
            _log_rows(report_date, outcomes),
        )
        warehouse.replace_partition(
            connection,
            validation_findings,
            {"kind": KIND, "period": report_date},
            _finding_rows(report_date, outcomes, stray_files),
        )
    _quarantine(settings, report_date, outcomes)


def _log_rows(period: str, outcomes: list[dict]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {
                "kind": KIND,
                "period": period,
                "county_code": o["county_code"],
                "file_name": o["file_name"],
                "content_sha256": o["content_sha256"],
                "arrived_at": o["arrived_at"],
                "on_time": o["on_time"],
                "outcome": o["outcome"],
                "error_count": o["error_count"],
                "warning_count": o["warning_count"],
                "reasons": "\n".join(f["reason"] for f in o["findings"]) or None,
            }
            for o in outcomes
        ]
    )


def _finding_rows(period: str, outcomes: list[dict], stray_files: list[dict]) -> pd.DataFrame:
    entries = [(o["county_code"], f) for o in outcomes for f in o["findings"]]
    entries += [(None, f) for f in stray_files]
    return pd.DataFrame.from_records(
        [
            {
                "kind": KIND,
                "period": period,
                "county_code": county,
                "file_name": f["file_name"],
                "rule": f["rule"],
                "severity": f["severity"],
                "message": f["message"],
                "row_count": f["row_count"],
                "rows": ", ".join(map(str, f["rows"])) or None,
                "rule_values": ", ".join(f["values"]) or None,
            }
            for county, f in entries
        ]
    )


def _quarantine(settings: Settings, period: str, outcomes: list[dict]) -> None:
    folder = Path(settings.state) / "quarantine" / KIND / period
    if folder.exists():
        shutil.rmtree(folder)
    landed = {f.name: f for f in storage.list_landed_files(settings.landing, KIND, period)}
    for o in outcomes:
        if o["outcome"] != REJECTED:
            continue
        target = folder / o["county_code"]
        target.mkdir(parents=True)
        for name in (o["file_name"] or "").split(", "):
            if name in landed:
                (target / name).write_bytes(storage.read_landed(landed[name].uri))
        reasons = "\n".join(f["reason"] for f in o["findings"]) + "\n"
        (target / "reasons.txt").write_text(reasons, encoding="utf-8")


def merge_daily(report_date: str) -> dict:
    """Recompute `county_daily` for the date and replace its rows in one transaction;
    a row keeps its revision unless its values changed."""
    city, settings = load_city_config(), Settings.from_env()
    engine = warehouse.engine_for(settings.warehouse_url)
    day = date.fromisoformat(report_date)
    registry = load_registry(settings)
    with engine.begin() as connection:
        log = warehouse.read_partition(
            connection, submissions_log, {"kind": KIND, "period": report_date}
        )
        staged = warehouse.read_partition(connection, daily_submission_rows, {"report_date": day})
        merged = merge_county_daily(
            day,
            [(c.code, c.name) for c in city.counties],
            (city.code, city.name),
            registry,
            dict(zip(log["county_code"], log["outcome"], strict=True)),
            staged,
        )
        published = warehouse.read_partition(connection, county_daily, {"report_date": day})
        revised = assign_revisions(merged, published, ["report_date", "county_code"])
        warehouse.replace_partition(connection, county_daily, {"report_date": day}, revised)
    city_row = revised[revised["county_code"] == city.code].iloc[0]
    return {
        "report_date": report_date,
        "status": city_row["status"],
        "revision": int(revised["revision"].max()),
    }


def publish_daily(report_date: str) -> str:
    """Publish the date's folder from the warehouse: county_daily.csv and the validation report."""
    city, settings = load_city_config(), Settings.from_env()
    engine = warehouse.engine_for(settings.warehouse_url)
    day = date.fromisoformat(report_date)
    with engine.connect() as connection:
        table = warehouse.read_partition(connection, county_daily, {"report_date": day})
        log = warehouse.read_partition(
            connection, submissions_log, {"kind": KIND, "period": report_date}
        )
        findings = warehouse.read_partition(
            connection, validation_findings, {"kind": KIND, "period": report_date}
        )
    order = {code: n for n, code in enumerate([*city.county_codes, city.code])}
    table = table.sort_values("county_code", key=lambda s: s.map(order))
    table = table[
        [
            "report_date",
            "county_code",
            "county_name",
            "status",
            "revision",
            *COUNTY_DAILY_COLUMNS[4:],
        ]
    ]
    outcomes = _report_outcomes(city, log, findings)
    files = {
        "county_daily.csv": rendering.table_csv(table),
        "validation_report.json": rendering.validation_report_json(report_date, outcomes),
        "validation_report.md": rendering.validation_report_markdown(
            f"{city.name} daily submissions {report_date}: validation report", outcomes
        ),
    }
    changed = storage.publish_folder(settings.publish, f"{KIND}/{report_date}", files)
    if changed:
        _record_publication(engine, report_date, table, files["county_daily.csv"])
    return str(Path(settings.publish) / KIND / report_date)


def _report_outcomes(city: CityConfig, log: pd.DataFrame, findings: pd.DataFrame) -> list[dict]:
    outcomes = []
    for county in city.counties:
        entry = log[log["county_code"] == county.code]
        row = entry.iloc[0].to_dict() if len(entry) else {}
        county_findings = findings[findings["county_code"] == county.code]
        outcomes.append(
            {
                "county_code": county.code,
                "county_name": county.name,
                "outcome": row.get("outcome", MISSING),
                "file_name": row.get("file_name"),
                "content_sha256": row.get("content_sha256"),
                "arrived_at": _iso(row.get("arrived_at")),
                "on_time": None if pd.isna(row.get("on_time", pd.NA)) else bool(row["on_time"]),
                "error_count": int(row.get("error_count") or 0),
                "warning_count": int(row.get("warning_count") or 0),
                "findings": [_finding_entry(f) for f in county_findings.to_dict("records")],
            }
        )
    stray = findings[findings["county_code"].isna()]
    if len(stray):
        outcomes.append(
            {
                "county_code": "------",
                "county_name": "files that belong to no county",
                "outcome": REJECTED,
                "error_count": len(stray),
                "warning_count": 0,
                "findings": [_finding_entry(f) for f in stray.to_dict("records")],
            }
        )
    return outcomes


def _finding_entry(record: dict) -> dict:
    rows = tuple(int(r) for r in (record["rows"] or "").split(", ") if r)
    values = tuple(v for v in (record["rule_values"] or "").split(", ") if v)
    finding = Finding(
        rule=record["rule"],
        severity=record["severity"],
        message=record["message"],
        rows=rows,
        values=values,
        row_count=int(record["row_count"] or 0),
        file_name=record["file_name"],
    )
    return finding.to_dict()


def _iso(value) -> str | None:
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def _record_publication(engine, period: str, table: pd.DataFrame, content: bytes) -> None:
    # The publication time is bookkeeping for the index page, never an input of the data.
    with engine.begin() as connection:
        warehouse.replace_partition(
            connection,
            publications,
            {"kind": KIND, "period": period},
            pd.DataFrame(
                [
                    {
                        "kind": KIND,
                        "period": period,
                        "revision": int(table["revision"].max()),
                        "content_sha256": storage.sha256_hex(content),
                        "published_at": datetime.now(UTC),
                    }
                ]
            ),
        )


def republish_requests(report_date: str) -> list[dict]:
    """Earlier dates (within the look-back) whose landed files differ from what was processed:
    one trigger request per date, keyed by the new content so it is made only once."""
    city, settings = load_city_config(), Settings.from_env()
    engine = warehouse.engine_for(settings.warehouse_url)
    day = date.fromisoformat(report_date)
    first = day - timedelta(days=city.schedule.resubmission_lookback_days)
    with engine.connect() as connection:
        processed = connection.execute(
            select(
                submissions_log.c.period,
                submissions_log.c.county_code,
                submissions_log.c.content_sha256,
            )
            .where(submissions_log.c.kind == KIND)
            .where(submissions_log.c.period >= first.isoformat())
            .where(submissions_log.c.period < report_date)
        ).all()
    seen: dict[str, dict[str, str | None]] = {}
    for period, county, sha in processed:
        seen.setdefault(period, {})[county] = sha
    requests = []
    for period in sorted(seen):
        landed = _landed_fingerprints(settings, city, period)
        if landed != seen[period]:
            token = storage.sha256_hex(json.dumps(landed, sort_keys=True).encode())[:12]
            requests.append(
                {
                    "trigger_run_id": f"republish__{period}__{token}",
                    "conf": {"report_date": period, "look_back": False},
                }
            )
    return requests


def _landed_fingerprints(settings: Settings, city: CityConfig, period: str) -> dict:
    files = storage.list_landed_files(settings.landing, KIND, period)
    fingerprints = {}
    for code in city.county_codes:
        mine = [f for f in files if f.name.startswith(code)]
        contents = [storage.read_landed(f.uri, settings.max_file_bytes) for f in mine]
        fingerprints[code] = storage.sha256_hex(b"".join(contents)) if mine else None
    return fingerprints
