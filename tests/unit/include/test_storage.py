from __future__ import annotations

from include.storage import VERSIONS_FOLDER, publish_folder


def test_publishing_swaps_the_whole_folder_and_leaves_no_old_version(tmp_path):
    assert publish_folder(tmp_path, "daily/2020-03-17", {"a.csv": b"1", "b.md": b"x"})
    versions = tmp_path / VERSIONS_FOLDER / "daily" / "2020-03-17"
    (versions / "half-written-by-a-crash").mkdir()

    assert publish_folder(tmp_path, "daily/2020-03-17", {"a.csv": b"2"})
    folder = tmp_path / "daily" / "2020-03-17"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {"a.csv": b"2"}
    assert [v.resolve() for v in versions.iterdir()] == [folder.resolve()]


def test_publishing_the_same_files_again_changes_nothing(tmp_path):
    files = {"county_daily.csv": b"report_date\n2020-03-17\n"}
    assert publish_folder(tmp_path, "daily/2020-03-17", files)
    target = (tmp_path / "daily" / "2020-03-17").resolve()
    assert not publish_folder(tmp_path, "daily/2020-03-17", files)
    assert (tmp_path / "daily" / "2020-03-17").resolve() == target
