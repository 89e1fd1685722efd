"""manifest.json of a publication folder: what is in it and where every number came from.

It lists each published file with its sha256, size and row count, the revision, the
pipeline version, the registry the in-scope counts were taken from, and every county
submission behind the figures (file name, sha256, arrival time, outcome). Nothing in it
depends on when it was written, so a rerun over unchanged input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

MANIFEST_NAME = "manifest.json"
SOURCE_FIELDS = (
    "county_code",
    "county_name",
    "file_name",
    "content_sha256",
    "arrived_at",
    "on_time",
    "outcome",
    "error_count",
    "warning_count",
)


def manifest_json(
    *,
    kind: str,
    period: str,
    city: Mapping[str, str],
    revision: int,
    pipeline_version: str,
    files: Mapping[str, bytes],
    rows: Mapping[str, int | Mapping[str, int]],
    registry_sha256: str | None,
    sources: Sequence[Mapping],
    ignored_files: Sequence[str] = (),
) -> bytes:
    """`rows`: data rows of each tabular file (a CSV's lines after the header; for a
    workbook, rows per sheet); files without rows (HTML, JSON) are absent from it.
    `sources`: one entry per submission (per county and period) with SOURCE_FIELDS and,
    for a publication spanning several periods, `period`."""
    entries = []
    for name in sorted(files):
        entry = {
            "path": name,
            "sha256": hashlib.sha256(files[name]).hexdigest(),
            "bytes": len(files[name]),
            "rows": None,
        }
        counted = rows.get(name)
        if isinstance(counted, Mapping):
            entry["rows"] = sum(counted.values())
            entry["sheet_rows"] = dict(counted)
        elif counted is not None:
            entry["rows"] = counted
        entries.append(entry)
    manifest = {
        "kind": kind,
        "period": period,
        "city": dict(city),
        "revision": revision,
        "pipeline_version": pipeline_version,
        "files": entries,
        "registry": {"path": "registry/enterprises.csv", "sha256": registry_sha256},
        "sources": [
            {
                **({"period": s["period"]} if "period" in s else {}),
                **{field: s.get(field) for field in SOURCE_FIELDS},
            }
            for s in sources
        ],
        "ignored_files": list(ignored_files),
    }
    return (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
