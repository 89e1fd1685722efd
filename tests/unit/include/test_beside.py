"""A forked copy computes bytes while the process goes on (`include/publish/beside.py`)."""

from __future__ import annotations

import gc
import os
import signal
import time

import pytest

from include.publish.beside import started


def test_the_bytes_come_from_a_forked_copy_of_the_process():
    with started(lambda: f"written by {os.getpid()}".encode(), "a workbook", forked=True) as p:
        written = p.result()
    assert written.startswith(b"written by ") and written != f"written by {os.getpid()}".encode()
    assert gc.get_freeze_count() == 0  # what was frozen for the copy is collectable again


def test_bytes_beyond_what_a_pipe_holds_arrive_whole():
    big = bytes(range(256)) * 40_000  # 10 MB: the copy writes while the parent waits to read
    with started(lambda: big, "a workbook", forked=True) as pending:
        assert pending.result() == big


def test_a_failing_copy_fails_the_caller_with_what_it_was_writing():
    def fails() -> bytes:
        raise ValueError("a sheet of more rows than Excel holds")

    with (
        pytest.raises(RuntimeError, match=r"(?s)the workbook: .* ended with 1.*than Excel holds"),
        started(fails, "the workbook", forked=True) as pending,
    ):
        pending.result()


def test_a_copy_killed_on_the_way_fails_the_caller():
    def killed() -> bytes:
        os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would
        return b""

    with (
        pytest.raises(RuntimeError, match="the workbook: the process writing it ended with -9"),
        started(killed, "the workbook", forked=True) as pending,
    ):
        pending.result()


def test_a_refused_fork_leaves_nothing_frozen(monkeypatch):
    def refused() -> int:
        raise OSError(12, "Cannot allocate memory")

    monkeypatch.setattr(os, "fork", refused)
    with (
        pytest.raises(OSError, match="Cannot allocate memory"),
        started(lambda: b"", "the workbook", forked=True),
    ):
        pass
    assert gc.get_freeze_count() == 0


def test_leaving_without_the_bytes_stops_the_copy_at_once(tmp_path):
    copy_pid = tmp_path / "pid"

    def never_done() -> bytes:
        copy_pid.write_text(str(os.getpid()))
        time.sleep(60)
        return b""

    began = time.monotonic()
    with pytest.raises(KeyError), started(never_done, "the workbook", forked=True):
        while not copy_pid.exists():
            time.sleep(0.01)
        raise KeyError("the report failed first")
    assert time.monotonic() - began < 10
    with pytest.raises(ChildProcessError):  # reaped: not left running, nor as a zombie
        os.waitpid(int(copy_pid.read_text()), os.WNOHANG)


def test_not_forked_the_bytes_are_computed_here_when_asked():
    with started(lambda: str(os.getpid()).encode(), "a workbook", forked=False) as pending:
        assert pending.result() == str(os.getpid()).encode()
