"""`make bench`: one date of a synthetic city at each scale through the daily pipeline's steps,
called directly (no Airflow), against a bare-pandas floor timed in the same run.

    python -m bench.bench_daily [--scales city,province,national] [--seed 2020] [--keep]

BENCH_SCALES picks the scales as --scales does. For each scale the parent writes the synthetic
city (bench.synthetic) into a temporary folder, then runs the floor, the pipeline and the floor
again, each in a process of its own so that peak RSS figures do not mix and the floor is timed
under the same conditions as the pipeline (the lower of its two times is reported), and last
the libraries' floor (bench.floor): Great Expectations validating every row of the date in one
validation and xlsxwriter writing the workbook's enterprise cells, each called bare and timed
alone, so that a ratio target can be read against what those two libraries cost by themselves
(issue 10's targets, 5× the pandas floor at city scale and 3× above it, are printed beside). The
pipeline runs the functions the DAG's tasks call, in the DAG's order, with CITYSTATS_*
pointing at the temporary folders and a fresh SQLite warehouse migrated by
`include.warehouse.migrate`. Imports (the Task SDK, Great Expectations: a task process has them
loaded) and the migration are not timed; everything a step does once called is.

The check runs as the DAG's check tasks do, one chunk of CITYSTATS_CHECK_CHUNK_COUNTIES
counties at a time (a national date is 29 chunks of 100). Issue 10 estimated a national date
at about 31 hours when each county was checked alone (38.6 s a county). When a scale has
`sample_chunks` and the sample's mean check time says that checking the remaining chunks
would take more than BENCH_FULL_CHECK_SECONDS (default 600), only the sample is timed and the
check step is extrapolated, and the line says it is an estimate; the other counties are then
read and staged without their checks (untimed), so that stage, merge and publish are still
timed on the whole date.

The scales in BENCH_DAG_TEST_SCALES (default: province) then run the date once more through
Airflow, as `make backfill` does (`include.operator_cli backfill`: dag.test, one process, the
task code importing what it needs), on a warehouse of their own, against issue 10's 20 s for
a province date.

The pipeline's peak memory is its process's peak RSS or, while publish's forked copy writes a
big workbook (`include/publish/beside.py`), the largest sum of the two processes' PSS
sampled every 0.25 s (their RSS would count the pages they share twice), whichever is higher.

For the largest scale run, the slowest step is run again under cProfile (the check step on
one chunk) and its top functions by cumulative time are printed. Last, each DAG file's parse
time: in a fresh process with `airflow.sdk` imported (untimed), the time to execute the
file, the lowest of three processes, against the 0.3 s a file may take.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
STEPS = ("discover", "check", "stage", "merge", "publish")
DEFAULT_FULL_CHECK_SECONDS = 600.0
PROFILE_TOP = 8
PROFILE_TOP_OWN = 5  # where the time is spent, below the chain of callers
FIGURE_TOLERANCE = 1e-9
DAG_PARSE_TARGET_SECONDS = 0.3
# Issue 10's target for a province date through dag.test; BENCH_DAG_TEST_SCALES picks the
# scales run that way too (a national date takes minutes more).
DAG_TEST_TARGET_SECONDS = {"province": 20.0}
DEFAULT_DAG_TEST_SCALES = "province"
DAG_PARSE_RUNS = 3
# Issue 10's targets for a date's steps called directly: this many times the pandas floor.
RATIO_TARGETS = {"city": 5, "province": 3, "national": 3}
_DAG_PARSE_PROBE = """
import importlib.util, sys, time
import airflow.sdk
spec = importlib.util.spec_from_file_location("parsed_dag", sys.argv[1])
started = time.perf_counter()
spec.loader.exec_module(importlib.util.module_from_spec(spec))
print(time.perf_counter() - started)
"""


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class _PeakWithCopies:
    """The largest sum of this process's and its children's PSS, sampled by a thread."""

    def __init__(self):
        self.peak_mb = 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> _PeakWithCopies:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stopped.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stopped.wait(0.25):
            pids = [os.getpid(), *_children(os.getpid())]
            self.peak_mb = max(self.peak_mb, sum(_pss_kb(pid) for pid in pids) / 1024)


def _children(pid: int) -> list[int]:
    found = []
    for thread in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (thread / "children").read_text().split()]
    return found


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:  # the copy ended between listing and reading
        return 0
    return next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))


# --- the measured processes -------------------------------------------------------------------


def run_floor(root: Path, report_date: str, city_code: str) -> dict:
    from datetime import date

    from bench.floor import floor_county_daily

    started = time.perf_counter()
    table = floor_county_daily(root / "landing", date.fromisoformat(report_date), city_code)
    seconds = time.perf_counter() - started
    table.to_csv(root / "floor.csv")
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def run_libraries(root: Path, report_date: str) -> dict:
    """The libraries' floor: one GX validation of the date's rows, then xlsxwriter writing the
    workbook's enterprise cells, each timed alone. Untimed: importing GX and setting up its
    context and suite (once a process), reading the files (the pandas floor's time) and
    taking the sheets' values."""
    from datetime import date

    from bench import floor
    from include.daily_pipeline import DAILY
    from include.submissions import load_suite

    _import_what_a_task_process_has()
    day = date.fromisoformat(report_date)
    registry, rows = floor.read_date(root / "landing", day)
    validate = floor.bare_validation(load_suite(DAILY))
    started = time.perf_counter()
    validate(rows)
    validated = time.perf_counter()
    difficulties, ledger = floor.enterprise_sheet_rows(registry, rows, day)
    started_writing = time.perf_counter()
    cells = floor.write_enterprise_sheets(difficulties, ledger, io.BytesIO())
    return {
        "gx": validated - started,
        "xlsxwriter": time.perf_counter() - started_writing,
        "cells": cells,
    }


def run_pipeline(root: Path, sample: int | None, full_check_seconds: float, profile: bool) -> dict:
    """The date through discover → check (each county) → stage → merge → publish."""
    _import_what_a_task_process_has()
    from include import daily_pipeline
    from include.context import RunContext
    from include.warehouse import migrate

    run = RunContext.from_env()
    migrate(run.settings.warehouse_url)
    report_date = _report_date(root)
    seconds: dict[str, float] = {}

    with _PeakWithCopies() as with_copies:
        started = time.perf_counter()
        chunks = daily_pipeline.discover_daily_submissions(run, report_date)
        seconds["discover"] = time.perf_counter() - started
        order = _sample_order(len(chunks), sample)
        outcomes: dict[int, list[dict]] = {}
        check_seconds = 0.0
        for done, index in enumerate(order, start=1):
            started = time.perf_counter()
            outcomes[index] = daily_pipeline.check_daily_counties(run, chunks[index])
            check_seconds += time.perf_counter() - started
            remaining = len(chunks) - done
            too_slow = check_seconds / done * remaining > full_check_seconds
            if sample is not None and done == sample and too_slow:
                break
        counties = sum(len(chunk) for chunk in chunks)
        checked = sum(len(outcomes[index]) for index in outcomes)
        per_county = check_seconds / checked
        estimate = checked < counties
        seconds["check"] = per_county * counties if estimate else check_seconds
        _require_accepted([o for chunk in outcomes.values() for o in chunk])
        if estimate:
            template = next(iter(outcomes.values()))[0]
            for index in range(len(chunks)):
                if index not in outcomes:
                    outcomes[index] = [_staged_unchecked(item, template) for item in chunks[index]]
        ordered = [outcomes[index] for index in range(len(chunks))]

        started = time.perf_counter()
        daily_pipeline.stage_daily_submissions(run, report_date, ordered)
        seconds["stage"] = time.perf_counter() - started
        started = time.perf_counter()
        daily_pipeline.merge_daily(run, report_date)
        seconds["merge"] = time.perf_counter() - started
        started = time.perf_counter()
        daily_pipeline.publish_daily(run, report_date)
        seconds["publish"] = time.perf_counter() - started
    peak = max(_peak_rss_mb(), with_copies.peak_mb)

    daily_pipeline.county_daily_table(report_date, run).to_csv(root / "pipeline.csv", index=False)
    result = {
        "steps": seconds,
        "seconds": sum(seconds.values()),
        "counties": counties,
        "chunks": len(chunks),
        "checked": checked,
        "per_county_check": per_county,
        "estimate": estimate,
        "peak_rss_mb": peak,
        "city_code": run.city.code,
    }
    if profile:
        result["profile"] = _profile_slowest(run, seconds, report_date, chunks, ordered)
    return result


def _import_what_a_task_process_has() -> None:
    """Import, untimed, what the steps import lazily on their first call: a worker's task
    process has the SDK loaded already, and an import is not the data's cost."""
    import logging

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import airflow.sdk  # noqa: F401
    import great_expectations  # noqa: F401


def _report_date(root: Path) -> str:
    (folder,) = (root / "landing" / "daily").iterdir()
    return folder.name


def _sample_order(count: int, sample: int | None) -> list[int]:
    """Every chunk; with a sample, `sample` evenly spread chunks first, then the rest."""
    if sample is None or sample >= count:
        return list(range(count))
    first = sorted({round(n * (count - 1) / max(sample - 1, 1)) for n in range(sample)})
    return first + [n for n in range(count) if n not in set(first)]


def _require_accepted(outcomes) -> None:
    refused = [o for o in outcomes if o["outcome"] != "accepted"]
    if refused:
        shown = json.dumps(refused[0], ensure_ascii=False, indent=1)[:3000]
        raise SystemExit(f"{len(refused)} synthetic counties were not accepted; first:\n{shown}")


def _staged_unchecked(item: dict, template: dict) -> dict:
    """An accepted county's outcome without its checks: the file read by the real reader and
    staged where the check stages it. Only for counties whose check is extrapolated."""
    from include import daily_pipeline, submissions
    from include.config import Settings
    from include.ingest import landing as storage

    settings = Settings.from_env()
    (landed,) = item["files"]
    content = storage.read_landed(landed["uri"], settings.max_file_bytes)
    parsed = daily_pipeline.DAILY.read(content, landed["name"], settings.submission_limits)
    return {
        **template,
        "county_code": item["county_code"],
        "county_name": item["county_name"],
        "file_name": landed["name"],
        "content_sha256": storage.sha256_hex(content),
        "arrived_at": landed["arrived_at"],
        "findings": [],
        "error_count": 0,
        "warning_count": 0,
        "rows_path": submissions._stage_rows(
            daily_pipeline.DAILY, settings, item["period"], item["county_code"], parsed.frame
        ),
    }


def _profile_slowest(run, seconds: dict, report_date: str, chunks: list, outcomes: list) -> dict:
    """The slowest step again under cProfile: its top functions by cumulative time."""
    from include import daily_pipeline
    from include.publish import publication

    step = max(STEPS, key=seconds.get)
    calls = {
        "discover": lambda: daily_pipeline.discover_daily_submissions(run, report_date),
        "check": lambda: daily_pipeline.check_daily_counties(run, chunks[0]),
        "stage": lambda: daily_pipeline.stage_daily_submissions(run, report_date, outcomes),
        "merge": lambda: daily_pipeline.merge_daily(run, report_date),
        "publish": lambda: daily_pipeline.publish_daily(run, report_date),
    }
    profiler = cProfile.Profile()
    # cProfile sees this process only: the forked copy's workbook would show as one wait.
    with mock.patch.object(publication, "WORKBOOK_BESIDE_CELLS", math.inf):
        profiler.runcall(calls[step])
    stats = pstats.Stats(profiler, stream=io.StringIO())
    entries = [
        {
            "function": _function_label(function),
            "calls": primitive if primitive == total else f"{total}/{primitive}",
            "cumulative": cumulative,
            "own": own,
        }
        for function, (primitive, total, own, cumulative, _) in stats.stats.items()
        if not _is_wrapper(function)
    ]
    return {
        "step": step,
        "scope": {
            "check": f"one chunk of {len(chunks)}",
            "publish": "the whole step, its workbook written in process",
        }.get(step, "the whole step"),
        "top": sorted(entries, key=lambda e: e["cumulative"], reverse=True)[:PROFILE_TOP],
        "own": sorted(entries, key=lambda e: e["own"], reverse=True)[:PROFILE_TOP_OWN],
    }


def _is_wrapper(function: tuple) -> bool:
    file, _, name = function
    return (
        file.startswith(str(REPO / "bench"))
        or name in ("<lambda>", "<listcomp>")
        or (file == "~" and "disable" in name)
    )


def _function_label(function: tuple) -> str:
    file, line, name = function
    if file == "~":
        return name
    for root in (*(p + "/" for p in sys.path if p.endswith("site-packages")), str(REPO) + "/"):
        if file.startswith(root):
            file = file[len(root) :]
            break
    return f"{file}:{line}({name})"


# --- the parent: generate, run, compare, print ------------------------------------------------


def _child_environment(root: Path) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CITYSTATS_")}
    environment.update(
        CITYSTATS_CITY_CONFIG=str(root / "city.toml"),
        CITYSTATS_DATA=str(root / "data"),
        CITYSTATS_LANDING=str(root / "landing"),
        CITYSTATS_PUBLISH=str(root / "published"),
        CITYSTATS_STATE=str(root / "state"),
        CITYSTATS_WAREHOUSE_URL=f"sqlite:///{root / 'warehouse.sqlite'}",
        AIRFLOW_HOME=str(root / "airflow-home"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        GX_ANALYTICS_ENABLED="False",
    )
    return environment


def _child(root: Path, *args: str) -> dict:
    out = root / f"result-{args[0]}.json"
    command = [sys.executable, "-m", "bench.bench_daily", "_child", *args, "--root", str(root)]
    finished = subprocess.run(
        [*command, "--out", str(out)], env=_child_environment(root), cwd=REPO, check=False
    )
    if finished.returncode != 0:
        raise SystemExit(f"the {args[0]} run failed (exit {finished.returncode})")
    return json.loads(out.read_text())


def _figures_match(root: Path) -> str:
    import numpy as np
    import pandas as pd

    from bench.floor import FIGURES

    floor = pd.read_csv(root / "floor.csv", dtype={"county_code": str}).set_index("county_code")
    ours = pd.read_csv(root / "pipeline.csv", dtype={"county_code": str}).set_index("county_code")
    ours = ours.loc[floor.index, FIGURES].astype(float)
    differing = [
        column
        for column in FIGURES
        if not np.allclose(ours[column], floor[column].astype(float), rtol=FIGURE_TOLERANCE)
    ]
    return "same figures" if not differing else "figures differ: " + ", ".join(differing)


def dag_test(root: Path, report_date: str) -> dict:
    """The date once more, through Airflow: `include.operator_cli backfill` (what `make
    backfill` runs: dag.test in one process, tasks in order) on a warehouse, state and publish
    folder of its own. Untimed: migrating Airflow's and the warehouse's databases."""
    environment = _child_environment(root)
    environment.update(
        CITYSTATS_PUBLISH=str(root / "dag-test" / "published"),
        CITYSTATS_STATE=str(root / "dag-test" / "state"),
        CITYSTATS_WAREHOUSE_URL=f"sqlite:///{root / 'dag-test' / 'warehouse.sqlite'}",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
    )
    (root / "dag-test").mkdir()
    migrations = [
        [str(Path(sys.executable).with_name("airflow")), "db", "migrate"],
        [sys.executable, "-m", "include.warehouse", "migrate"],
    ]
    for command in migrations:
        subprocess.run(command, env=environment, cwd=REPO, capture_output=True, check=True)
    started = time.perf_counter()
    finished = subprocess.run(
        [
            *("/usr/bin/time", "-f", "peak_rss_kb=%M"),
            *(sys.executable, "-m", "include.operator_cli", "backfill"),
            *("--from-date", report_date, "--to-date", report_date),
        ],
        env=environment,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    process = time.perf_counter() - started
    line = next((x for x in finished.stdout.splitlines() if x.endswith(" s")), "")
    if finished.returncode != 0 or " success in " not in line:
        raise SystemExit(f"dag.test of {report_date} failed:\n{finished.stdout}{finished.stderr}")
    rss = next(x for x in finished.stderr.splitlines() if x.startswith("peak_rss_kb="))
    return {
        "seconds": float(line.split(" success in ")[1].removesuffix(" s")),
        "process": process,
        "peak_rss_mb": int(rss.removeprefix("peak_rss_kb=")) / 1024,
    }


def dag_test_report(results: list[dict]) -> str:
    lines = ["through dag.test (include.operator_cli backfill of the date, one process):"]
    for r in results:
        if "dag_test" not in r:
            continue
        d, name = r["dag_test"], r["scale"].name
        target = DAG_TEST_TARGET_SECONDS.get(name)
        lines.append(
            f"  {name:<9} {d['seconds']:>8.1f} s"
            + (f"  (target {target:.0f} s)" if target else "")
            + f"   whole process {d['process']:.1f} s, peak RSS {d['peak_rss_mb']:,.0f} MB"
        )
    return "\n".join(lines) if len(lines) > 1 else ""


def bench_scale(
    scale, workdir: Path, seed: int, profile: bool, full_check_seconds: float, through_dag: bool
) -> dict:
    from bench.synthetic import CITY_CODE, generate

    root = workdir / scale.name
    root.mkdir(parents=True)
    started = time.perf_counter()
    city = generate(scale, root, seed)
    generated = time.perf_counter() - started
    print(
        f"[{scale.name}] generated {len(city.county_codes):,} counties, "
        f"{city.enterprises:,} enterprises in {generated:.1f} s; running floor, pipeline, floor, "
        "libraries",
        file=sys.stderr,
        flush=True,
    )
    date_text = city.report_date.isoformat()
    floors = [_child(root, "floor", "--report-date", date_text, "--city-code", CITY_CODE)]
    pipeline_args = ["pipeline", "--full-check-seconds", str(full_check_seconds)]
    if scale.sample_chunks:
        pipeline_args += ["--sample", str(scale.sample_chunks)]
    pipeline = _child(root, *pipeline_args, *(["--profile"] if profile else []))
    floors.append(_child(root, "floor", "--report-date", date_text, "--city-code", CITY_CODE))
    libraries = _child(root, "libraries", "--report-date", date_text)
    through = {"dag_test": dag_test(root, date_text)} if through_dag else {}
    return {
        **through,
        "scale": scale,
        "enterprises": city.enterprises,
        "generated": generated,
        "pipeline": pipeline,
        "floor": min(f["seconds"] for f in floors),
        "floor_rss_mb": max(f["peak_rss_mb"] for f in floors),
        "libraries": libraries,
        "figures": _figures_match(root),
    }


def report(results: list[dict]) -> str:
    lines = [
        f"{'scale':<9} {'counties':>8} {'enterprises':>11}  {'per date s':>12}  "
        f"{'floor s':>7}  {'ratio':>8}  {'peak RSS MB':>11}  {'floor RSS MB':>12}  figures",
    ]
    for r in results:
        p, mark = r["pipeline"], ("~" if r["pipeline"]["estimate"] else "")
        per_date = f"{mark}{p['seconds']:,.2f}"
        ratio = f"{mark}{p['seconds'] / r['floor']:,.0f}×"
        lines.append(
            f"{r['scale'].name:<9} {p['counties']:>8,} {r['enterprises']:>11,}  {per_date:>12}  "
            f"{r['floor']:>7.2f}  {ratio:>8}  {p['peak_rss_mb']:>11,.0f}  "
            f"{r['floor_rss_mb']:>12,.0f}  {r['figures']}"
        )
    lines.append("")
    lines.append("steps, seconds (check: all counties; per county in brackets):")
    for r in results:
        p, mark = r["pipeline"], ("~" if r["pipeline"]["estimate"] else "")
        steps = "  ".join(
            f"{step} {mark if step == 'check' else ''}{p['steps'][step]:,.2f}"
            + (f" ({p['per_county_check']:.3f}/county)" if step == "check" else "")
            for step in STEPS
        )
        lines.append(f"{r['scale'].name:<9} {steps}")
    for r in results:
        p = r["pipeline"]
        if p["estimate"]:
            lines.append(
                f"~ {r['scale'].name} is an estimate: check timed on {p['checked']:,} of "
                f"{p['counties']:,} counties and extrapolated ({p['seconds'] / 3600:,.1f} h a "
                "date; issue 10 estimated ~31 h a national date the same way); discover, stage, "
                "merge and publish timed on every county."
            )
    lines.append("")
    lines.extend(libraries_report(results))
    profiled = [r for r in results if "profile" in r["pipeline"]]
    for r in profiled:
        profile = r["pipeline"]["profile"]
        lines.append("")
        lines.append(
            f"slowest step at {r['scale'].name}: {profile['step']} (cProfile of "
            f"{profile['scope']}), top {PROFILE_TOP} by cumulative time:"
        )
        lines.append(f"  {'cumulative s':>12} {'own s':>8} {'calls':>10}  function")
        for entry in profile["top"]:
            lines.append(_profile_line(entry))
        lines.append(f"  top {PROFILE_TOP_OWN} by own time:")
        for entry in profile["own"]:
            lines.append(_profile_line(entry))
    return "\n".join(lines)


def libraries_report(results: list[dict]) -> list[str]:
    """The libraries' floor beside the pandas floor, the pipeline and the ratio target."""
    lines = [
        "the libraries called bare on the same date (GX: every row in one validation; "
        "xlsxwriter: the workbook's enterprise cells), added to the pandas floor:",
        f"{'scale':<9} {'GX s':>6}  {'xlsxwriter s':>12}  {'cells':>9}  "
        f"{'floor+libraries s':>17}  {'per date ÷ that':>15}  {'ratio target':>12}  "
        f"{'target per date s':>17}",
    ]
    for r in results:
        libraries, name = r["libraries"], r["scale"].name
        with_libraries = r["floor"] + libraries["gx"] + libraries["xlsxwriter"]
        target = RATIO_TARGETS.get(name)
        mark = "~" if r["pipeline"]["estimate"] else ""
        lines.append(
            f"{name:<9} {libraries['gx']:>6.2f}  {libraries['xlsxwriter']:>12.2f}  "
            f"{libraries['cells']:>9,}  {with_libraries:>17.2f}  "
            f"{mark + format(r['pipeline']['seconds'] / with_libraries, '.1f') + '×':>15}  "
            + (f"{f'{target}×':>12}  {target * r['floor']:>17.2f}" if target else "")
        )
    return lines


def _profile_line(entry: dict) -> str:
    return (
        f"  {entry['cumulative']:>12.3f} {entry['own']:>8.3f} {entry['calls']!s:>10}  "
        f"{entry['function']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_daily", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    child = sub.add_parser("_child", help=argparse.SUPPRESS)
    child.add_argument("kind", choices=("floor", "pipeline", "libraries"))
    child.add_argument("--root", type=Path, required=True)
    child.add_argument("--out", type=Path, required=True)
    child.add_argument("--report-date")
    child.add_argument("--city-code")
    child.add_argument("--sample", type=int)
    child.add_argument("--full-check-seconds", type=float, default=DEFAULT_FULL_CHECK_SECONDS)
    child.add_argument("--profile", action="store_true")
    parser.add_argument("--scales", default=os.environ.get("BENCH_SCALES") or None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    if args.command == "_child":
        if args.kind == "floor":
            result = run_floor(args.root, args.report_date, args.city_code)
        elif args.kind == "libraries":
            result = run_libraries(args.root, args.report_date)
        else:
            result = run_pipeline(args.root, args.sample, args.full_check_seconds, args.profile)
        args.out.write_text(json.dumps(result))
        return 0

    from bench.synthetic import DEFAULT_SEED, SCALES

    names = (args.scales or ",".join(SCALES)).split(",")
    unknown = [name for name in names if name not in SCALES]
    if unknown:
        parser.error(f"unknown scales {unknown}; known: {', '.join(SCALES)}")
    full_check = float(os.environ.get("BENCH_FULL_CHECK_SECONDS") or DEFAULT_FULL_CHECK_SECONDS)
    seed = DEFAULT_SEED if args.seed is None else args.seed
    dag_test_scales = os.environ.get("BENCH_DAG_TEST_SCALES") or DEFAULT_DAG_TEST_SCALES
    workdir = Path(tempfile.mkdtemp(prefix="citystats-bench-"))
    results = []
    try:
        for name in names:
            largest = name == max(names, key=lambda n: SCALES[n].counties)
            through_dag = name in dag_test_scales.split(",")
            results.append(
                bench_scale(SCALES[name], workdir, seed, largest, full_check, through_dag)
            )
            print(report(results[-1:]).splitlines()[1], file=sys.stderr, flush=True)
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"citystats bench: one date per scale, seed {seed}, {os.cpu_count()} cores; "
        "per date = the steps called directly (no Airflow), floor = bare pandas, same run"
    )
    print(report(results))
    if through := dag_test_report(results):
        print(through)
    print(dag_parse_report(workdir))
    return 0


def dag_parse_report(workdir: Path) -> str:
    """One line per DAG file: its parse time after `airflow.sdk` is imported, and the target."""
    # the city configured by default (Shaoguan): what a deployment's dag-processor parses with
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CITYSTATS_")}
    environment.update(
        AIRFLOW_HOME=str(workdir / "dag-parse"), AIRFLOW__CORE__LOAD_EXAMPLES="False"
    )
    lines = [f"DAG files, parse seconds after airflow.sdk (lowest of {DAG_PARSE_RUNS} processes):"]
    for dag_file in sorted((REPO / "dags").glob("*.py")):
        runs = [
            float(
                subprocess.run(
                    [sys.executable, "-c", _DAG_PARSE_PROBE, str(dag_file)],
                    env=environment,
                    cwd=REPO,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout.split()[-1]
            )
            for _ in range(DAG_PARSE_RUNS)
        ]
        lines.append(
            f"  {dag_file.name:<28} {min(runs):.2f}  (target {DAG_PARSE_TARGET_SECONDS:.2f})"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
