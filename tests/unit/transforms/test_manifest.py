"""manifest.json: hashes, sizes and rows of every file, and the sources behind them."""

from __future__ import annotations

import hashlib
import json

from transforms.publish.manifest import manifest_json

FILES = {"b.csv": b"x,y\n1,2\n", "a.html": b"<p>", "t.xlsx": b"PK.."}
SOURCE = {
    "county_code": "990102",
    "county_name": "东区",
    "file_name": "990102.csv",
    "content_sha256": "ab" * 32,
    "arrived_at": "2020-03-17T10:00:00+00:00",
    "on_time": True,
    "outcome": "accepted",
    "error_count": 0,
    "warning_count": 1,
    "findings": [{"rule": "not copied"}],
}


def manifest_bytes(**changes) -> bytes:
    arguments = {
        "kind": "daily",
        "period": "2020-03-17",
        "city": {"code": "990100", "name": "示例市"},
        "revision": 2,
        "pipeline_version": "0.1.0",
        "files": FILES,
        "rows": {"b.csv": 1, "t.xlsx": {"日报表": 4, "企业反映困难": 2}},
        "registry_sha256": "cd" * 32,
        "sources": [SOURCE],
    } | changes
    return manifest_json(**arguments)


def manifest(**changes) -> dict:
    return json.loads(manifest_bytes(**changes))


def test_every_file_with_its_hash_size_and_rows_in_name_order():
    files = manifest()["files"]
    assert [f["path"] for f in files] == ["a.html", "b.csv", "t.xlsx"]
    for entry in files:
        content = FILES[entry["path"]]
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()
        assert entry["bytes"] == len(content)
    assert [f["rows"] for f in files] == [None, 1, 6]
    assert files[2]["sheet_rows"] == {"日报表": 4, "企业反映困难": 2}


def test_sources_revision_version_and_registry_are_recorded():
    recorded = manifest()
    assert recorded["revision"] == 2 and recorded["pipeline_version"] == "0.1.0"
    assert recorded["registry"]["sha256"] == "cd" * 32
    expected = {k: v for k, v in SOURCE.items() if k != "findings"}
    assert recorded["sources"] == [expected]


def test_a_multi_period_source_keeps_its_period():
    recorded = manifest(sources=[SOURCE | {"period": "2020-03-16"}])
    assert recorded["sources"][0]["period"] == "2020-03-16"


def test_same_files_in_any_order_give_the_same_bytes():
    assert manifest_bytes() == manifest_bytes(files=dict(reversed(FILES.items())))
