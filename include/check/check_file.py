"""`make check FILE=path [DATE=YYYY-MM-DD | QUARTER=YYYYQn]`: a county checks its file before
sending it, as DHIS2's dry-run import and the NBS platform's online 审核 let it.

The file goes through exactly what the mapped check task runs on a landed file
(`submissions.judged`: the reader, the GX suite, the registry rules, against the
registry and yesterday's file in the configured landing zone), and the Chinese pre-check
receipt is printed. Nothing is written: not the warehouse, the state folder or the
publish folder.

The county comes from the file name, as in the landing zone; the period from DATE or
QUARTER, else from the file's own first 填报日期 (daily) or 报告期 (quarterly) value.
Exit status: 0 the file would be accepted, 1 it would be rejected, 2 a usage error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from include import submissions
from include.config import CityConfig, Settings, load_city_config
from include.daily_pipeline import DAILY
from include.ingest import landing as storage
from include.quarterly_pipeline import QUARTERLY
from transforms.check.outcomes import CountyOutcome
from transforms.ingest import readers
from transforms.merge.daily import ACCEPTED
from transforms.periods import parse_quarter
from transforms.publish.receipts import ReceiptContext, receipt_text

ACCEPTED_EXIT, REJECTED_EXIT = 0, 1  # argparse exits 2 on a usage error
STRAY_FILE_VERDICT = "报送预检结果：文件会被退回，不计入任何县（市、区）。"


def check_file(
    path: Path, kind: submissions.SubmissionKind, period: str, city: CityConfig, settings: Settings
) -> tuple[bool, str]:
    """(would it be accepted, the receipt text) for the file at `path` sent for `period`."""
    content = _content(path, settings)
    name = storage.shown_name(path.name)
    county = next((c for c in city.counties if name.startswith(c.code)), None)
    if name != path.name:
        entry = storage.RefusedEntry(name, *storage.UNSAFE_NAME)
        parsed, findings = None, [submissions.refused_finding(entry)]
    elif county is None:
        parsed, findings = None, [submissions.stray_file_finding(name, city)]
    else:
        registry = submissions.load_registry(settings, staged=False)
        parsed, findings = submissions.check_submission(
            kind, name, content, county.code, period, settings, registry
        )
    if county is None:
        # The landing zone gives such a file to no county, so there is no county's receipt.
        reasons = "".join(f"  {f.describe()}\n" for f in findings)
        return False, f"{STRAY_FILE_VERDICT}\n\n{reasons}"
    outcome = CountyOutcome(
        county.code, county.name, file_name=name, content_sha256=storage.sha256_hex(content)
    ).decided(parsed, findings)
    context = ReceiptContext(
        city_name=city.name,
        kind=kind.name,
        period=period,
        timezone=city.timezone,
        deadline=kind.deadline(city, period),
        pre_check=True,
    )
    return outcome.outcome == ACCEPTED, receipt_text(outcome, context)


def period_in_file(path: Path, settings: Settings) -> tuple[submissions.SubmissionKind, str] | None:
    """The kind and period the file gives itself: its first 填报日期, else its first 报告期."""
    content = _content(path, settings)
    for kind in (DAILY, QUARTERLY):
        try:
            frame = kind.read(content, path.name, settings.submission_limits).frame
        except readers.UnreadableFile:
            continue
        values = frame[kind.period_column].dropna()
        if len(values):
            value = values.iloc[0]
            return kind, value.date().isoformat() if isinstance(value, datetime) else str(value)
    return None


def _content(path: Path, settings: Settings) -> bytes:
    """As much of the file as the check task reads of a landed one: enough to see it is over
    the size limit, never all of a huge file."""
    with path.open("rb") as handle:
        return handle.read(settings.max_file_bytes + 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m include.check.check_file",
        description="检查一个报送文件能否被接收（不写入任何数据）。",
    )
    parser.add_argument("file", type=Path, help="要检查的文件")
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--date", type=date.fromisoformat, help="日报的数据日期 YYYY-MM-DD")
    period.add_argument("--quarter", help="季报的报告期 YYYYQn")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"找不到文件 {storage.shown_name(str(args.file))}")
    city, settings = load_city_config(), Settings.from_env()
    if args.date:
        kind, period_text = DAILY, args.date.isoformat()
    elif args.quarter:
        try:
            year, number = parse_quarter(args.quarter)
        except ValueError:
            parser.error(f"报告期 {args.quarter} 不是 YYYYQn 的形式（如 2020Q1）")
        kind, period_text = QUARTERLY, f"{year}Q{number}"
    else:
        found = period_in_file(args.file, settings)
        if found is None:
            parser.error(
                "无法从文件中读出填报日期（日报）或报告期（季报），"
                "请用 DATE=YYYY-MM-DD 或 QUARTER=YYYYQn 指定后再检查"
            )
        kind, period_text = found
    accepted, receipt = check_file(args.file, kind, period_text, city, settings)
    sys.stdout.write(receipt)
    return ACCEPTED_EXIT if accepted else REJECTED_EXIT


if __name__ == "__main__":
    raise SystemExit(main())
