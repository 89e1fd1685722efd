from __future__ import annotations

import os

import pytest

from include.ingest.landing import (
    RETIRED_VERSIONS_KEPT_SECONDS,
    VERSIONS_FOLDER,
    list_landed_files,
    publish_folder,
    read_landed,
    scan_landing,
    shown_name,
)


def test_publishing_swaps_the_whole_folder_and_keeps_a_replaced_version_for_a_while(tmp_path):
    assert publish_folder(tmp_path, "daily/2020-03-17", {"a.csv": b"1", "b.md": b"x"})
    folder = tmp_path / "daily" / "2020-03-17"
    first = folder.resolve()
    versions = tmp_path / VERSIONS_FOLDER / "daily" / "2020-03-17"
    (versions / ".writing-0123456789abcdef-4242-cafe").mkdir()  # a crashed run's
    (versions / ".writing-0123456789abcdef-4242-cafe" / "a.csv").write_bytes(b"half")

    assert publish_folder(tmp_path, "daily/2020-03-17", {"a.csv": b"2"})
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == {"a.csv": b"2"}
    # A reader still inside the version it replaced can finish reading it; a crashed
    # run's half-written folder is gone.
    assert sorted(versions.iterdir()) == sorted([first, folder.resolve()])
    assert {p.name: p.read_bytes() for p in first.iterdir()} == {"a.csv": b"1", "b.md": b"x"}

    second = folder.resolve()
    retired = versions.stat().st_mtime - RETIRED_VERSIONS_KEPT_SECONDS - 1
    os.utime(first, (retired, retired))  # swapped out longer ago than versions are kept
    assert publish_folder(tmp_path, "daily/2020-03-17", {"a.csv": b"3"})
    assert sorted(versions.iterdir()) == sorted([second, folder.resolve()])


def test_a_torn_folder_under_a_versions_name_is_never_published(tmp_path):
    files = {"a.csv": b"1", "b.md": b"x"}
    assert publish_folder(tmp_path, "daily/2020-03-17", files)
    version = (tmp_path / "daily" / "2020-03-17").resolve()
    assert publish_folder(tmp_path, "daily/2020-03-17", {"a.csv": b"2"})
    (version / "b.md").unlink()  # damaged by hand

    assert publish_folder(tmp_path, "daily/2020-03-17", files)
    folder = tmp_path / "daily" / "2020-03-17"
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files


def test_publishing_the_same_files_again_changes_nothing(tmp_path):
    files = {"county_daily.csv": b"report_date\n2020-03-17\n"}
    assert publish_folder(tmp_path, "daily/2020-03-17", files)
    target = (tmp_path / "daily" / "2020-03-17").resolve()
    assert not publish_folder(tmp_path, "daily/2020-03-17", files)
    assert (tmp_path / "daily" / "2020-03-17").resolve() == target


def landing_with(tmp_path):
    """A landing zone with one daily folder, and a folder outside it holding a secret."""
    landing = tmp_path / "landing"
    folder = landing / "daily" / "2020-03-17"
    folder.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(b"report_date\nSECRET\n")
    return landing, folder, outside


def refused_of(landing) -> dict[str, str]:
    scan = scan_landing(str(landing), "daily", "2020-03-17")
    return {e.name: e.rule for e in scan.refused}


def test_a_link_is_refused_wherever_it_points(tmp_path):
    landing, folder, outside = landing_with(tmp_path)
    (folder / "990102.csv").symlink_to(outside / "secret.csv")
    (folder / "990103.csv").write_bytes(b"report_date\n")
    (folder / "990104.csv").symlink_to(folder / "990103.csv")  # even to a file inside
    (folder / "990105").symlink_to(outside, target_is_directory=True)

    scan = scan_landing(str(landing), "daily", "2020-03-17")
    assert [f.name for f in scan.files] == ["990103.csv"]
    assert refused_of(landing) == {
        "990102.csv": "landing_entry_is_symlink",
        "990104.csv": "landing_entry_is_symlink",
        "990105": "landing_entry_is_symlink",
    }
    assert all("符号链接" in e.problem for e in scan.refused)
    assert list_landed_files(str(landing), "daily", "2020-03-17") == list(scan.files)


def test_a_period_folder_linked_to_somewhere_else_is_outside_the_landing_zone(tmp_path):
    landing, folder, outside = landing_with(tmp_path)
    folder.rmdir()
    folder.symlink_to(outside, target_is_directory=True)

    scan = scan_landing(str(landing), "daily", "2020-03-17")
    assert scan.files == ()
    assert [(e.name, e.rule) for e in scan.refused] == [
        ("secret.csv", "landing_entry_outside_landing_zone")
    ]
    assert "收件目录之外" in scan.refused[0].problem


def test_a_pipe_is_not_a_file_and_a_plain_sub_folder_is_no_submission(tmp_path):
    landing, folder, _ = landing_with(tmp_path)
    os.mkfifo(folder / "990102.csv")  # opening it to read would block the task for ever
    (folder / "990103").mkdir()
    assert refused_of(landing) == {"990102.csv": "landing_entry_not_a_file"}
    assert scan_landing(str(landing), "daily", "2020-03-17").files == ()


def test_names_with_control_characters_are_refused_and_shown_escaped(tmp_path):
    landing, folder, _ = landing_with(tmp_path)
    for raw in (b"990102\n.csv", b"990103\t\x1b[31m.csv", b"990104\xff.csv", "990105\u202e.csv"):
        name = raw if isinstance(raw, bytes) else raw.encode()
        with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
            handle.write(b"report_date\n")

    scan = scan_landing(str(landing), "daily", "2020-03-17")
    assert scan.files == ()
    assert {e.name for e in scan.refused} == {
        r"990102\n.csv",
        r"990103\t\x1b[31m.csv",
        r"990104\xff.csv",
        r"990105\u202e.csv",
    }
    assert {e.rule for e in scan.refused} == {"file_name_has_control_characters"}
    for entry in scan.refused:
        assert entry.name.isprintable() and entry.name.encode("utf-8")


def test_shown_name_leaves_ordinary_names_alone():
    assert shown_name("990102_日报 （补报）.xlsx") == "990102_日报 （补报）.xlsx"
    assert shown_name("a\r\nb\x7f\u2028") == r"a\r\nb\x7f\u2028"


def test_reading_refuses_a_link_put_in_place_after_the_listing(tmp_path):
    landing, folder, outside = landing_with(tmp_path)
    (folder / "990102.csv").write_bytes(b"report_date\n")
    (landed,) = list_landed_files(str(landing), "daily", "2020-03-17")
    (folder / "990102.csv").unlink()
    (folder / "990102.csv").symlink_to(outside / "secret.csv")
    for address in (landed.uri, str(folder / "990102.csv")):
        with pytest.raises(OSError, match="symbolic link"):
            read_landed(address)
