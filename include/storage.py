"""Files in and out: the landing zone (any fsspec URL), the state folder and atomic publication.

The landing zone is read through Airflow's `ObjectStoragePath`, so a bucket URL
works as well as a folder. Publication is local and atomic: each version of a
period's folder is written in full beside the published one, then a symlink is
swapped in one `rename`, so a reader never sees a half-written folder and the
previous version stays readable until the new one is complete.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

VERSIONS_FOLDER = ".versions"


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


def list_landed_files(landing: str, *parts: str) -> list[LandedFile]:
    """Files directly inside landing/<parts...>, sorted by name; none if the folder is absent."""
    folder = landing_path(landing, *parts)
    if not folder.exists():
        return []
    files = []
    for entry in folder.iterdir():
        if not entry.is_file() or entry.name.startswith("."):
            continue
        status = entry.stat()
        arrived = datetime.fromtimestamp(status.st_mtime, tz=UTC).isoformat(timespec="seconds")
        files.append(LandedFile(entry.name, str(entry), int(status.st_size), arrived))
    return sorted(files, key=lambda f: f.name)


def read_landed(uri: str, max_bytes: int | None = None) -> bytes:
    """The file's bytes; with `max_bytes`, at most that many plus one (enough to see it is over)."""
    from airflow.sdk import ObjectStoragePath

    with ObjectStoragePath(uri).open("rb") as handle:
        return handle.read() if max_bytes is None else handle.read(max_bytes + 1)


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def publish_folder(root: str | Path, relative: str, files: dict[str, bytes]) -> bool:
    """Make <root>/<relative> hold exactly `files`; return False when it already did.

    The new version is written completely under <root>/.versions/ first; the
    published name is a symlink moved onto it with one atomic rename.
    """
    root = Path(root).resolve()
    published = root / relative
    if _holds_exactly(published, files):
        return False
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name] + b"\0")
    version = root / VERSIONS_FOLDER / relative / digest.hexdigest()[:16]
    if version.exists():
        shutil.rmtree(version)
    version.mkdir(parents=True)
    for name, content in files.items():
        target = version / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    published.parent.mkdir(parents=True, exist_ok=True)
    swap = published.with_name(f".{published.name}.swap-{os.getpid()}")
    swap.unlink(missing_ok=True)
    swap.symlink_to(os.path.relpath(version, published.parent))
    if published.exists() and not published.is_symlink():
        shutil.rmtree(published)  # a plain folder from an older layout
    os.replace(swap, published)
    # Older versions, and any left half-written by a crashed publish, are now unreachable.
    for stale in version.parent.iterdir():
        if stale != version:
            shutil.rmtree(stale)
    return True


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
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    temporary.write_bytes(content)
    os.replace(temporary, path)
