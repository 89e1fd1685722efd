"""Bytes computed in a forked copy of this process while this one goes on.

A province's or a country's official workbook is most of its publication's time, and
xlsxwriter is pure Python, so one process writes it on one core while the other core sits
idle. Forked, the copy starts at once with everything the workbook is made from (nothing is
pickled: the frames are shared until either side writes to them), writes the workbook while
this process renders the report pages, the tables and the receipts, and hands the bytes
back through a pipe.
"""

from __future__ import annotations

import gc
import os
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The first byte through the pipe: what follows is the bytes, or the copy's traceback.
WRITTEN, FAILED = b"\x00", b"\x01"


class Pending:
    """The bytes a forked copy is computing."""

    def __init__(self, pid: int, source: int, what: str):
        self._pid: int | None = pid
        self._source: int | None = source
        self._what = what

    def result(self) -> bytes:
        """Wait for the bytes; raises if the copy failed (with its traceback) or was killed."""
        with os.fdopen(self._source, "rb") as source:
            self._source = None
            outcome, data = source.read(1), source.read()
        code = self._reaped()
        if code == 0 and outcome == WRITTEN:
            return data
        failure = data.decode("utf-8", "replace") if outcome == FAILED else ""
        raise RuntimeError(
            f"{self._what}: the process writing it ended with {code}\n{failure}".rstrip()
        )

    def abandon(self) -> None:
        """Stop the copy if its bytes were never asked for (the publication failed first)."""
        if self._source is not None:
            os.close(self._source)
            self._source = None
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            self._reaped()

    def _reaped(self) -> int:
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        return os.waitstatus_to_exitcode(status)


class Here:
    """Bytes computed in this process, when `result()` asks for them."""

    def __init__(self, work: Callable[[], bytes]):
        self._work = work

    def result(self) -> bytes:
        return self._work()


@contextmanager
def started(work: Callable[[], bytes], what: str, forked: bool) -> Iterator[Pending | Here]:
    """Inside the block this process goes on; `result()` gives `work`'s bytes. `forked`: they
    are computed meanwhile by a forked copy of this process, which leaving the block without
    them stops; else here, when asked for."""
    if not forked:
        yield Here(work)
        return
    # Frozen, the objects both processes hold are left out of either's collections, which
    # would otherwise write to every one of them and so copy every page of the heap. What
    # was frozen before (a worker's preloaded modules) stays so; what this froze is thawed
    # however the block ends, a fork refused for want of memory too.
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    try:
        source, sink = os.pipe()
        pid = os.fork()
        if pid == 0:
            _run_copy(work, source, sink)
        os.close(sink)
        pending = Pending(pid, source, what)
        try:
            yield pending
        finally:
            pending.abandon()
    finally:
        if not frozen_before:
            gc.unfreeze()


def _run_copy(work: Callable[[], bytes], source: int, sink: int) -> None:
    """The copy's whole life: it never returns into the caller's code, and leaves with
    `os._exit`, so that nothing of the parent (a task's handlers, buffered output, atexit
    hooks) runs twice. It writes only to the pipe, its failure too: a lock that another
    thread of the parent held at the fork (its log's, its standard error's) stays held here."""
    status = 1
    try:
        # Signals are for the task process: its handlers would act as if they were it.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.close(source)
        with os.fdopen(sink, "wb") as out:
            try:
                data = work()
            except BaseException:
                out.write(FAILED + traceback.format_exc().encode("utf-8"))
            else:
                out.write(WRITTEN)
                out.write(data)
                status = 0
    finally:
        os._exit(status)
