"""Two runs publishing one period at once (a backfill, the nightly run and a republish can
overlap, on any worker) take turns under the period's lock in the warehouse.

Two publisher processes are released together by a barrier, again and again, carrying the
same files or different ones, while a third process reads the published folder as a careful
reader does (open the folder once, list and read inside it) as fast as it can. After every
trial the folder is whole and is one of the two versions, its `publications` row describes
it, and no half-written folder is left under .versions/; the reader never sees a folder
missing, torn between two versions or short of a file. The publishers keep a version they
swapped out for one second only (not ten minutes), so that old versions are removed while
the reader reads. Without the lock (`locked` made a no-op) this fails.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue
import stat
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.pool import NullPool

from include.context import RunContext
from include.ingest.landing import VERSIONS_FOLDER
from include.tables import publications
from tests.conftest import migrated_warehouse

TRIALS = 100
FOLDER, PERIOD = "daily", "2020-03-17"
WAIT = 60  # seconds any one step may take before the test gives up on a stuck process
RETIRED_KEPT = 1.0  # seconds; a stalled reader was seen to take 0.08 s on 2 busy cores
# seconds between trials: the trials outlast RETIRED_KEPT three times on any machine, so early
# versions are removed while the reader reads (a fast machine ran 100 trials in under 1 s)
TRIAL_PACE = 3 * RETIRED_KEPT / TRIALS


def content(trial: int, side: str) -> dict[str, bytes]:
    """What `side` publishes in `trial`: every file starts with the same tag line, and side
    "b" has a file side "a" lacks, so a reader can tell a torn or short folder from a whole
    one."""
    tag = f"{trial} {side}\n".encode()
    files = {
        "report.html": tag + b"<p>report</p>\n" * 200,
        "county_daily.csv": tag + b"county_code,employees\n440101,120\n",
        "validation_report.md": tag + b"# report\n",
        "receipts/440101.txt": tag + b"receipt\n",
        "manifest.json": tag + b"{}\n",
    }
    if side == "b":
        files["difficulties.csv"] = tag + b"enterprise_id,difficulties\n"
    return files


def sides(mode: str) -> tuple[str, str]:
    return ("same", "same") if mode == "same" else ("a", "b")


def content_sha256(files: dict[str, bytes]) -> str:
    """As `publish_period_folder` records it."""
    return hashlib.sha256(b"".join(files[name] for name in sorted(files))).hexdigest()


def read_tree(folder_fd: int, prefix: str = "") -> dict[str, bytes]:
    """Every file under an open folder, read through the descriptor: one version, whatever
    the published link points to meanwhile."""
    files = {}
    for name in os.listdir(folder_fd):
        child = os.open(name, os.O_RDONLY, dir_fd=folder_fd)
        try:
            if stat.S_ISDIR(os.fstat(child).st_mode):
                files.update(read_tree(child, f"{prefix}{name}/"))
            else:
                with os.fdopen(os.dup(child), "rb") as handle:
                    files[prefix + name] = handle.read()
        finally:
            os.close(child)
    return files


def read_folder(folder: Path) -> dict[str, bytes]:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        return read_tree(descriptor)
    finally:
        os.close(descriptor)


def identify(view: dict[str, bytes]) -> tuple[int, str] | None:
    """(trial, side) of a whole version; None for a torn, short or empty folder."""
    tags = {data.split(b"\n", 1)[0] for data in view.values()}
    if len(tags) != 1:
        return None
    trial, side = tags.pop().decode().split()
    return (int(trial), side) if view == content(int(trial), side) else None


def publisher(side: str, publish: str, url: str, trials: int, start, done, results):
    os.environ["CITYSTATS_PUBLISH"], os.environ["CITYSTATS_WAREHOUSE_URL"] = publish, url
    from include import submissions
    from include.ingest import landing as storage

    storage.RETIRED_VERSIONS_KEPT_SECONDS = RETIRED_KEPT
    for trial in range(trials):
        start.wait(WAIT)
        try:
            files = content(trial, side)
            submissions.publish_period_folder(
                RunContext.from_env(), FOLDER, PERIOD, files, revision=trial + 1
            )
            results.put((trial, side, None))
        except Exception as error:  # reported to the test, which fails on it
            results.put((trial, side, repr(error)))
        done.wait(WAIT)


def reader(publish: str, stop, report):
    folder = Path(publish) / FOLDER / PERIOD
    views, seen, problems = 0, set(), []
    while not stop.is_set():
        try:
            view = read_folder(folder)
        except OSError as error:  # the folder or one of its files vanished while being read
            problems.append(repr(error))
            continue
        views += 1
        version = identify(view)
        if version is None:
            problems.append(sorted((name, data.split(b"\n", 1)[0]) for name, data in view.items()))
        else:
            seen.add(version)
    report.put((views, len(seen), problems[:5], len(problems)))


def run_trials(publish: Path, url: str, mode: str, trials: int) -> dict:
    """Publish the period `trials` times from two processes at once, with a reader running
    throughout; return what the reader saw. CITYSTATS_PUBLISH and _WAREHOUSE_URL are set."""
    from include import submissions

    submissions.publish_period_folder(
        RunContext.from_env(), FOLDER, PERIOD, content(-1, "a"), revision=1
    )
    folder, versions = publish / FOLDER / PERIOD, publish / VERSIONS_FOLDER / FOLDER / PERIOD
    engine = create_engine(url, poolclass=NullPool)
    spawn = multiprocessing.get_context("spawn")
    start, done = spawn.Barrier(3), spawn.Barrier(3)
    results, report, stop = spawn.Queue(), spawn.Queue(), spawn.Event()
    processes = [
        spawn.Process(
            target=publisher, args=(side, str(publish), url, trials, start, done, results)
        )
        for side in sides(mode)
    ]
    processes.append(spawn.Process(target=reader, args=(str(publish), stop, report)))
    for process in processes:
        process.start()
    try:
        for trial in range(trials):
            start.wait(WAIT)
            done.wait(WAIT)
            outcomes = [results.get(timeout=WAIT) for _ in range(2)]
            assert [error for *_, error in outcomes] == [None, None], (trial, outcomes)
            final = read_folder(folder)
            assert identify(final) in {(trial, side) for side in sides(mode)}, trial
            with engine.connect() as connection:
                recorded = connection.execute(
                    select(publications.c.content_sha256).where(publications.c.period == PERIOD)
                ).scalars()
                assert list(recorded) == [content_sha256(final)], trial
            left = sorted(entry.name for entry in versions.iterdir())
            assert folder.resolve().name in left, (trial, left)
            assert not [name for name in left if name.startswith(".")], (trial, left)
            time.sleep(TRIAL_PACE)
        published = {
            content_sha256(content(t, side)) for t in range(trials) for side in sides(mode)
        }
        assert len(left) < len(published)  # versions were removed while the reader read
        stop.set()
        views, versions_seen, problems, torn = report.get(timeout=WAIT)
        for process in processes:
            process.join(WAIT)
            assert process.exitcode == 0
    finally:
        engine.dispose()
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join(5)
    return {"views": views, "versions_seen": versions_seen, "torn": torn, "problems": problems}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return migrated_warehouse(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    return request.getfixturevalue("postgres_warehouse")


@pytest.mark.parametrize("mode", ["same", "different"])
def test_two_publishes_of_one_period_at_once_take_turns(warehouse_url, mode, tmp_path, monkeypatch):
    publish = tmp_path / "published"
    monkeypatch.setenv("CITYSTATS_PUBLISH", str(publish))
    monkeypatch.setenv("CITYSTATS_WAREHOUSE_URL", warehouse_url)
    began = time.monotonic()
    seen = run_trials(publish, warehouse_url, mode, TRIALS)
    assert seen["torn"] == 0, seen["problems"]
    assert seen["views"] >= TRIALS  # the reader was reading throughout
    assert seen["versions_seen"] >= 2
    assert time.monotonic() - began < 240


def test_the_lock_is_the_warehouses_and_holds_across_processes(warehouse_url):
    from include import warehouse

    engine = warehouse.engine_for(warehouse_url)
    spawn = multiprocessing.get_context("spawn")
    entered = spawn.Queue()
    with warehouse.locked(engine, f"publish:{FOLDER}/{PERIOD}"):
        other = spawn.Process(target=take_lock, args=(warehouse_url, entered))
        other.start()
        assert entered.get(timeout=WAIT) == "asking"
        with pytest.raises(queue.Empty):
            entered.get(timeout=2)  # it waits while this process holds the lock
    assert entered.get(timeout=WAIT) == "in"
    other.join(WAIT)
    assert other.exitcode == 0


def take_lock(url: str, entered) -> None:
    from include import warehouse

    engine = warehouse.engine_for(url)
    entered.put("asking")
    with warehouse.locked(engine, f"publish:{FOLDER}/{PERIOD}"):
        entered.put("in")


# Two whole runs of one date at once (a backfill and a republish of it): every step of the
# daily DAG, from two processes released together at each step, round after round.
ROUNDS = 6
DAY = "2020-03-17"


def land_tiny_date(root: Path) -> None:
    from tests.e2e.tiny_city import E1, EAST, N1, NORTH, W1, WEST, Landing

    landing = Landing(root / "landing")
    landing.daily_csv(DAY, EAST, [(E1, True, "2020-03-10", 100, 90, 80, 5, 0, "口罩不足")])
    landing.daily_csv(DAY, WEST, [(W1, True, "2020-03-16", 200, 100, 50, 0, 1, None)])
    # More staff on site than in total: rejected, so both runs quarantine it.
    landing.daily_csv(DAY, NORTH, [(N1, True, "2020-03-01", 30, 40, 50, 0, 0, None)])


def whole_run(environment: dict, rounds: int, step_barrier, results) -> None:
    os.environ.update(environment)
    from include import daily_pipeline

    def check() -> list:
        run = RunContext.from_env()
        chunks = daily_pipeline.discover_daily_submissions(run, DAY)
        return [daily_pipeline.check_daily_counties(run, chunk) for chunk in chunks]

    for trial in range(rounds):
        try:
            step_barrier.wait(WAIT)
            checked = check()
            step_barrier.wait(WAIT)
            daily_pipeline.stage_daily_submissions(RunContext.from_env(), DAY, checked)
            step_barrier.wait(WAIT)
            daily_pipeline.merge_daily(RunContext.from_env(), DAY)
            step_barrier.wait(WAIT)
            daily_pipeline.publish_daily(RunContext.from_env(), DAY)
            results.put((trial, None))
        except Exception as error:  # reported to the test, which fails on it
            results.put((trial, repr(error)))
            step_barrier.abort()
            return


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_two_whole_runs_of_one_date_at_once_publish_one_consistent_version(warehouse_url, tmp_path):
    from tests.e2e.tiny_city import CITY, CITY_TOML, EAST, NORTH, WEST

    (tmp_path / "city.toml").write_text(CITY_TOML, encoding="utf-8")
    land_tiny_date(tmp_path)
    environment = {
        "CITYSTATS_CITY_CONFIG": str(tmp_path / "city.toml"),
        "CITYSTATS_LANDING": str(tmp_path / "landing"),
        "CITYSTATS_PUBLISH": str(tmp_path / "published"),
        "CITYSTATS_STATE": str(tmp_path / "state"),
        "CITYSTATS_WAREHOUSE_URL": warehouse_url,
    }
    spawn = multiprocessing.get_context("spawn")
    step_barrier, results = spawn.Barrier(2), spawn.Queue()
    runs = [
        spawn.Process(target=whole_run, args=(environment, ROUNDS, step_barrier, results))
        for _ in range(2)
    ]
    for process in runs:
        process.start()
    try:
        outcomes = [results.get(timeout=WAIT * 4) for _ in range(2 * ROUNDS)]
        for process in runs:
            process.join(WAIT)
    finally:
        for process in runs:
            if process.is_alive():
                process.terminate()
                process.join(5)
    assert [error for _, error in outcomes] == [None] * (2 * ROUNDS), outcomes

    from include.tables import county_daily, submissions_log, validation_findings

    engine = create_engine(warehouse_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(county_daily.c.county_code, county_daily.c.revision))
            logged = connection.execute(select(submissions_log.c.county_code)).scalars().all()
            findings = connection.execute(select(validation_findings.c.rule)).scalars().all()
            recorded = connection.execute(select(publications.c.period)).scalars().all()
            rows = sorted(rows)
    finally:
        engine.dispose()
    assert rows == sorted([(CITY, 1), (EAST, 1), (WEST, 1), (NORTH, 1)])  # no spurious revision
    assert sorted(logged) == sorted([EAST, WEST, NORTH])  # one row per county, none twice
    assert findings.count("employees_on_site_not_above_total") == 1
    assert recorded == [DAY]
    # One version, whole, as its manifest lists it; no half-written folder or temporary.
    folder = tmp_path / "published" / "daily" / DAY
    published = tree(folder)
    manifest = json.loads(published["manifest.json"])
    assert {f["path"] for f in manifest["files"]} == set(published) - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(published[entry["path"]]).hexdigest() == entry["sha256"]
    versions = tmp_path / "published" / VERSIONS_FOLDER / "daily" / DAY
    assert [p.name for p in versions.iterdir()] == [folder.resolve().name]
    quarantine = tmp_path / "state" / "quarantine" / "daily" / DAY
    assert sorted(tree(quarantine)) == [f"{NORTH}/{NORTH}.csv", f"{NORTH}/reasons.txt"]
    staged = tmp_path / "state" / "staging" / "daily" / DAY
    assert sorted(p.name for p in staged.iterdir()) == [f"{EAST}.parquet", f"{WEST}.parquet"]
