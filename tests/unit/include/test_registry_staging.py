"""The registry is parsed once per content: later readers load the staged parquet."""

from __future__ import annotations

import pandas as pd
import pytest

from include import submissions
from include.config import Settings
from tests.e2e.tiny_city import REGISTRY, Landing
from transforms.ingest import readers


@pytest.fixture
def settings(tmp_path) -> Settings:
    Landing(tmp_path / "landing")
    return Settings(
        landing=str(tmp_path / "landing"),
        publish=str(tmp_path / "published"),
        warehouse_url=f"sqlite:///{tmp_path / 'warehouse.sqlite'}",
        state=str(tmp_path / "state"),
    )


def test_the_second_read_loads_the_staged_parse(settings, monkeypatch):
    first = submissions.load_registry(settings)
    monkeypatch.setattr(readers, "read_registry", _must_not_parse)

    again = submissions.load_registry(settings)

    pd.testing.assert_frame_equal(again, first)
    assert len(again) == len(REGISTRY)
    assert again.dtypes.to_dict() == first.dtypes.to_dict()


def test_a_frame_kept_for_later_reads_is_not_changed_by_a_reader(settings):
    submissions.load_registry(settings)  # parses and stages
    staged = submissions.load_registry(settings)
    staged["county_code"] = "999999"
    staged.loc[0, "enterprise_name"] = "changed"

    again = submissions.load_registry(settings)

    assert set(again["county_code"]) == {row[2] for row in REGISTRY}
    assert "changed" not in set(again["enterprise_name"])


def test_a_changed_registry_is_parsed_again(settings, tmp_path):
    submissions.load_registry(settings)
    path = tmp_path / "landing" / "registry" / "enterprises.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")

    assert len(submissions.load_registry(settings)) == len(REGISTRY) - 1
    assert len(list((tmp_path / "state" / "registry").glob("*.parquet"))) == 2


def test_a_read_that_must_write_nothing_stages_nothing(settings, tmp_path):
    submissions.load_registry(settings, staged=False)

    assert not (tmp_path / "state").exists()


def _must_not_parse(*_args, **_kwargs):
    raise AssertionError("the registry was parsed again")
