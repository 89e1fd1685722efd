"""Files in and out: the landing zone (any fsspec URL), the state folder and atomic publication.

The landing zone is read through Airflow's `ObjectStoragePath`, so a bucket URL
works as well as a folder. Counties write into it, so nothing in it is trusted: an entry
that is a symbolic link, is not a regular file, resolves outside the landing zone or has
control characters in its name is listed as refused and never opened (`scan_landing`).

Publication is local and atomic: each version of a period's folder is written in full
beside the published one, then a symlink is swapped in one `rename`, so a reader never
sees a half-written folder and the previous version stays readable until the new one is
complete (and for a while after, for a reader still inside it). Two runs
publishing one period take turns under its lock in the warehouse
(`warehouse.locked`), which is what lets the clean-up remove a half-written
version as a crashed run's.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import shutil
import stat
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

VERSIONS_FOLDER = ".versions"
LOCAL_PROTOCOLS = ("", "file", "local")  # "": a plain path


@dataclass(frozen=True)
class LandedFile:
    name: str
    uri: str
    size: int
    arrived_at: str  # ISO 8601, UTC: the file's modification time in the landing zone

    def to_dict(self) -> dict:
        return asdict(self)


def landing_path(landing: str, *parts: str):
    from airflow.sdk import ObjectStoragePath

    path = ObjectStoragePath(landing if "://" in landing else Path(landing).resolve().as_uri())
    for part in parts:
        path = path / part
    return path


@dataclass(frozen=True)
class RefusedEntry:
    """A landing entry that is never opened, and the rule it breaks."""

    name: str  # as `shown_name` writes it: safe to log, store and publish
    rule: str
    problem: str  # Chinese, for the county

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LandingFolder:
    files: tuple[LandedFile, ...]  # safe to read, sorted by name
    refused: tuple[RefusedEntry, ...]  # sorted by name

    @property
    def names(self) -> tuple[str, ...]:
        """Every entry a county sent, read or refused."""
        return tuple(f.name for f in self.files) + tuple(e.name for e in self.refused)


# (rule, problem) of each kind of refused entry
SYMLINK = ("landing_entry_is_symlink", "是符号链接（快捷方式）而不是文件本身，未被读取")
OUTSIDE = (
    "landing_entry_outside_landing_zone",
    "实际位于收件目录之外（在链接到别处的文件夹里），未被读取",
)
NOT_A_FILE = ("landing_entry_not_a_file", "不是普通文件，未被读取")
UNSAFE_NAME = (
    "file_name_has_control_characters",
    r"文件名含有换行符、制表符等控制字符或无法识别的字节（此处以 \n、\t、\xff 等形式显示），"
    "未被读取",
)

# Characters a name must not carry: controls (newline, tab, escape), format characters
# (bidi overrides, zero-width), lone surrogates (bytes that are not UTF-8, as the OS
# decodes them) and line/paragraph separators. Each would break a log line, a CSV row or
# a report line, or make the name read as something it is not.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_NAMED_ESCAPES = {"\n": r"\n", "\t": r"\t", "\r": r"\r"}


def shown_name(name: str) -> str:
    r"""`name` on one line as it is: each unsafe character written as an escape (`\n`,
    `\x1b`, `\u202e`, and `\xff` for a byte of the name that is not UTF-8)."""
    return "".join(_escaped(char) for char in name)


def _escaped(char: str) -> str:
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    if char in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def scan_landing(landing: str, *parts: str) -> LandingFolder:
    """The entries directly inside landing/<parts...>, split into files safe to read and
    refused entries; hidden entries and plain sub-folders are not submissions."""
    folder = landing_path(landing, *parts)
    if not folder.exists():
        return LandingFolder((), ())
    root = _local_root(landing)
    files, refused = [], []
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        name = shown_name(entry.name)
        if name != entry.name:
            refused.append(RefusedEntry(name, *UNSAFE_NAME))
            continue
        if root is None:
            # Symbolic links and "outside" exist only on a local disk: in an object store
            # every key under the prefix is an object in the bucket.
            if entry.is_file():
                status = entry.stat()
                files.append(_landed(entry, status.st_size, status.st_mtime))
            continue
        problem, status = _local_problem(Path(entry.path), root)
        if problem is not None:
            refused.append(RefusedEntry(name, *problem))
        elif status is not None:
            files.append(_landed(entry, status.st_size, status.st_mtime))
    return LandingFolder(
        tuple(sorted(files, key=lambda f: f.name)), tuple(sorted(refused, key=lambda e: e.name))
    )


def list_landed_files(landing: str, *parts: str) -> list[LandedFile]:
    """Files safe to read directly inside landing/<parts...>, sorted by name; none if the
    folder is absent."""
    return list(scan_landing(landing, *parts).files)


def _local_root(landing: str) -> Path | None:
    """The landing zone's real folder on this machine; None when it is an object store."""
    root = landing_path(landing)
    return Path(root.path).resolve() if root.protocol in LOCAL_PROTOCOLS else None


def _local_problem(path: Path, root: Path) -> tuple[tuple[str, str] | None, os.stat_result | None]:
    """(why the entry is refused, or None; its status when it is a file to read).
    `lstat`, not `stat`: the entry itself is judged, never what a link points to."""
    try:
        status = path.lstat()
    except FileNotFoundError:  # taken back while the folder was being listed
        return None, None
    if stat.S_ISLNK(status.st_mode):
        return SYMLINK, None
    if stat.S_ISDIR(status.st_mode):
        return None, None
    if not stat.S_ISREG(status.st_mode):
        return NOT_A_FILE, None
    if not path.resolve().is_relative_to(root):
        return OUTSIDE, None
    return None, status


def _landed(entry, size: int, mtime: float) -> LandedFile:
    arrived = datetime.fromtimestamp(mtime, tz=UTC).isoformat(timespec="seconds")
    return LandedFile(entry.name, str(entry), int(size), arrived)


def read_landed(uri: str, max_bytes: int | None = None) -> bytes:
    """The file's bytes; with `max_bytes`, at most that many plus one (enough to see it is over).

    A local file is opened without following a link and must be a regular file, so an
    entry swapped for a link or a pipe after `scan_landing` listed it is still not read.
    """
    from airflow.sdk import ObjectStoragePath

    path = ObjectStoragePath(uri)
    if path.protocol not in LOCAL_PROTOCOLS:
        with path.open("rb") as handle:
            return handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    try:
        descriptor = os.open(path.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise OSError(
            error.errno, "a symbolic link: the landing zone is read without following links"
        ) from error
    with open(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(f"{shown_name(path.path)} is not a regular file")
        return handle.read() if max_bytes is None else handle.read(max_bytes + 1)


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def publish_folder(root: str | Path, relative: str, files: dict[str, bytes]) -> bool:
    """Make <root>/<relative> hold exactly `files`; return False when it already did.

    A version is written in full under <root>/.versions/<relative>/, into a folder of the
    run's own (`.writing-<digest>-<pid>-<random>`) renamed to <digest> once complete, so a
    folder named by its digest is always whole; the published name is a symlink moved onto
    it with one atomic rename. A version swapped out is kept `RETIRED_VERSIONS_KEPT_SECONDS`
    for readers still inside it (a reader that wants one version opens the folder once and
    reads inside it), then removed by a later publish, as are folders left half-written by a
    crashed run.

    Runs that may publish the same `relative` at once hold its
    `warehouse.locked` around the call, as `submissions.publish_period_folder`
    does: only then is nobody else writing a version there, which is what lets the clean-up
    take every unfinished folder for a crashed run's.
    """
    root = Path(root).resolve()
    published = root / relative
    if _holds_exactly(published, files):
        return False
    versions = root / VERSIONS_FOLDER / relative
    versions.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    version = versions / digest.hexdigest()[:16]
    replaced = published.resolve() if published.is_symlink() else None
    if not _holds_exactly(version, files):  # a whole version of these files is used again
        _discard(version)  # a folder of that name that does not hold them was tampered with
        _write_version(version, files)
    published.parent.mkdir(parents=True, exist_ok=True)
    swap = published.with_name(f".{published.name}.swap-{run_token()}")
    swap.symlink_to(os.path.relpath(version, published.parent))
    if published.exists() and not published.is_symlink():
        shutil.rmtree(published)  # a plain folder from an older layout
    os.replace(swap, published)
    if replaced is not None and replaced.is_dir():
        os.utime(replaced)  # when it stopped being published
    # Times by the clock of the file system that holds the versions, on whichever host.
    os.utime(versions)
    kept_since = versions.stat().st_mtime - RETIRED_VERSIONS_KEPT_SECONDS
    for stale in versions.iterdir():
        if stale == version:
            continue
        try:
            retired = stale.lstat().st_mtime
        except FileNotFoundError:
            continue
        if stale.name.startswith(".") or retired < kept_since:
            _discard(stale)
    return True


# A version no longer published is kept this long, for readers still inside it.
RETIRED_VERSIONS_KEPT_SECONDS = 600.0
WRITING, DISCARDED = ".writing-", ".discarded-"  # names of folders that are not versions


def run_token() -> str:
    """Unique to one call of one process, on any host."""
    return f"{os.getpid()}-{secrets.token_hex(6)}"


class PublishFolderFull(OSError):
    """The file system of the publish folder ran out of space (or quota) while a version was
    written; the message tells the operator where, how much, and what to do."""


def _write_version(version: Path, files: dict[str, bytes]) -> None:
    writing = version.with_name(f"{WRITING}{version.name}-{run_token()}")
    writing.mkdir()
    try:
        for name, content in files.items():
            target = writing / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    except OSError as error:
        # Removed now, not by the next publish: on a full disk its bytes are what is missing.
        _discard(writing)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _folder_full(version, files, error) from error
        raise
    try:
        os.rename(writing, version)
    except OSError as error:
        # Written meanwhile by a run that held no lock: complete, as its name says.
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not _holds_exactly(version, files):
            raise
        _discard(writing)


def _folder_full(version: Path, files: dict[str, bytes], error: OSError) -> PublishFolderFull:
    needed = sum(len(content) for content in files.values())
    try:
        free = f"{shutil.disk_usage(version.parent).free:,} bytes are free there now"
    except OSError:
        free = "the free space could not be read"
    reason = error.strerror or os.strerror(error.errno)
    return PublishFolderFull(
        error.errno,
        f"{reason} while publishing into {version.parent}: this version needs {needed:,} "
        f"bytes and {free}. Nothing was swapped in: the version published before stays as "
        "it was, and the half-written one was removed. Free space on that file system (or "
        "raise its quota), then clear the failed task to publish again.",
    )


def _discard(folder: Path) -> None:
    """Remove a folder of .versions/, renamed out of its name first so that a removal cut
    off half-way never leaves a torn folder under a version's name. Best effort: what is
    left behind is removed by the next publish of the period."""
    if not folder.name.startswith(DISCARDED):
        doomed = folder.with_name(f"{DISCARDED}{folder.name}-{run_token()}")
        try:
            os.rename(folder, doomed)
        except FileNotFoundError:
            return
        folder = doomed
    shutil.rmtree(folder, ignore_errors=True)


def _holds_exactly(folder: Path, files: dict[str, bytes]) -> bool:
    if not folder.is_dir():
        return False
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    if present != set(files):
        return False
    return all((folder / name).read_bytes() == content for name, content in files.items())


def write_atomically(path: str | Path, content: bytes) -> None:
    """Replace one file in a single rename (for files outside a period folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{run_token()}")
    try:
        temporary.write_bytes(content)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)  # a full disk would otherwise keep the torn copy
        raise
