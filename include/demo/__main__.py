"""`python -m include.demo --landing PATH [--seed N]`: write the demo landing zone."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from include.config import load_city_config
from include.demo.anomalies import anomalies_table
from include.demo.generator import DEFAULT_SEED, generate_demo
from include.demo.landing_writer import DEMO_FOLDERS, write_demo_landing


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m include.demo",
        description=(
            "Write the deterministic demo data set into a landing zone, replacing its "
            f"{', '.join(f'{folder}/' for folder in DEMO_FOLDERS)} folders."
        ),
    )
    # Required rather than defaulted to CITYSTATS_LANDING: the command deletes folders.
    parser.add_argument("--landing", type=Path, required=True, help="landing zone root")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    arguments = parser.parse_args(argv)

    started = time.perf_counter()
    dataset = generate_demo(load_city_config(), seed=arguments.seed)
    written = write_demo_landing(arguments.landing, dataset)
    print(
        f"wrote {len(written)} files to {arguments.landing} "
        f"in {time.perf_counter() - started:.1f} s; planned anomalies:"
    )
    for row in anomalies_table(dataset.anomalies):
        print(
            f"  {row['report_date']} {row['county_code']} {row['county_name']}: "
            f"{row['kind']} ({row['detail']}; county status: {row['expected_status']})"
        )


if __name__ == "__main__":
    main()
