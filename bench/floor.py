"""The floors a date is timed against.

The bare-pandas floor: read the same landed CSVs and registry, compute the same
`county_daily` figures (counts, sums, rates per county, and the city row) with one groupby,
no validation, no warehouse, no publication. What any implementation must at least pay.

The libraries' floor: what the two libraries the pipeline is built on cost on the same date
when called bare, with none of the pipeline's code around them. Great Expectations validates
every row of the date against the daily suite in one validation (the fewest a date can have),
and xlsxwriter writes the cells of the daily workbook's two enterprise sheets (企业反映困难 and
重点企业台账, the bulk of its cells) with one write call a cell. What an implementation that
validates with GX and publishes the workbook with xlsxwriter must pay on top of the pandas floor.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from transforms.collector import cycle_collector_paused
from transforms.merge.daily import COUNTY_DAILY_COLUMNS, REPORTED_COLUMNS
from transforms.publish.report_excel import (
    DIFFICULTY_COLUMNS,
    IN_MEMORY_CELLS,
    INDEX,
    LEDGER_SHEET_COLUMNS,
    NUMBER_FORMATS,
)

# The county_daily figures, and the sums they are computed from, as the pipeline names them.
SUMMED = [*REPORTED_COLUMNS, "weighted_capacity", "resumed_employees"]
FIGURES = COUNTY_DAILY_COLUMNS[COUNTY_DAILY_COLUMNS.index("enterprises_in_scope") :]


def floor_county_daily(landing: Path, report_date: date, city_code: str) -> pd.DataFrame:
    """One row per county with a file, then the city row; indexed by county_code."""
    stamp = pd.Timestamp(report_date)
    registry, rows = read_date(landing, report_date)
    scope = _in_scope(registry, stamp)
    key = scope["key_enterprise"] == "是"
    resumed = rows["resumed"] == "是"
    is_key = rows["enterprise_id"].isin(scope.loc[key, "enterprise_id"])
    reported = rows.assign(
        enterprises_resumed=resumed,
        resumed_today=rows["resumed_on"] == stamp,
        key_resumed=resumed & is_key,
        difficulties_reported=rows["difficulties"].fillna("").str.strip() != "",
        weighted_capacity=(rows["capacity_pct"] * rows["employees_total"]).where(resumed, 0.0),
        resumed_employees=rows["employees_total"].where(resumed, 0),
    )
    by_county = reported.groupby("county_code").agg(
        enterprises_reported=("enterprise_id", "nunique"),
        **{column: (column, "sum") for column in SUMMED[1:]},
    )
    by_county["enterprises_in_scope"] = scope.groupby("county_code").size()
    by_county["key_in_scope"] = key.groupby(scope["county_code"]).sum()
    city = by_county.sum().to_frame(city_code).T
    table = pd.concat([by_county, city])
    table.index.name = "county_code"
    table["resumption_rate"] = table["enterprises_resumed"] / table["enterprises_in_scope"]
    table["on_site_rate"] = table["employees_on_site"] / table["employees_total"]
    table["capacity_pct"] = table["weighted_capacity"] / table["resumed_employees"]
    return table[FIGURES]


def read_date(landing: Path, report_date: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The registry, and the rows of every county's file of the date in one frame."""
    landing = Path(landing)
    registry = pd.read_csv(
        landing / "registry" / "enterprises.csv",
        dtype={"enterprise_id": str, "county_code": str},
        parse_dates=["in_scope_from", "in_scope_to"],
    )
    files = sorted((landing / "daily" / report_date.isoformat()).glob("*.csv"))
    rows = pd.concat(
        [
            pd.read_csv(f, dtype={"county_code": str, "enterprise_id": str}, parse_dates=[0, 5])
            for f in files
        ],
        ignore_index=True,
    )
    return registry, rows


def _in_scope(registry: pd.DataFrame, stamp: pd.Timestamp) -> pd.DataFrame:
    return registry[
        (registry["in_scope_from"] <= stamp)
        & (registry["in_scope_to"].isna() | (registry["in_scope_to"] >= stamp))
    ]


def bare_validation(suite: dict) -> Callable[[pd.DataFrame], None]:
    """A GX validation of a date's rows against `suite` (the daily suite's JSON), set up as
    GX's own documentation sets one up: an ephemeral context, a pandas data frame asset, the
    whole frame as its batch; COMPLETE results, as the pipeline needs the unexpected rows to
    name them. The call raises if a row fails: the synthetic rows are all valid, so a failure
    means the frame was not typed as the suite expects, and its time not a validation's."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (
        context.data_sources.add_pandas("floor")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("date")
    )
    expectations = context.suites.add(gx.ExpectationSuite(**suite))

    def validate(rows: pd.DataFrame) -> None:
        frame = rows.assign(resumed=rows["resumed"] == "是")
        result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
            expectations, result_format={"result_format": "COMPLETE"}
        )
        if not result.success:
            failed = [r.expectation_config.type for r in result.results if not r.success]
            raise ValueError(f"the libraries' floor failed its own rows: {failed}")

    return validate


def enterprise_sheet_rows(
    registry: pd.DataFrame, rows: pd.DataFrame, report_date: date
) -> tuple[list[list], list[list]]:
    """The values of the workbook's two enterprise sheets, a list per column in the columns'
    order: 企业反映困难 (the enterprises with a difficulty or a supply gap) and 重点企业台账 (every
    key enterprise in scope, with its row of the date)."""
    stamp = pd.Timestamp(report_date)
    text = rows["difficulties"].fillna("")
    listed = rows[(rows["mask_shortage"] > 0) | (rows["thermometer_shortage"] > 0) | (text != "")]
    difficulties = [
        list(range(1, len(listed) + 1)),
        *(listed[c].tolist() for c in ("county_code", "enterprise_name", "enterprise_id")),
        *(listed[c].astype(float).tolist() for c in ("mask_shortage", "thermometer_shortage")),
        listed["difficulties"].fillna("—").tolist(),
    ]
    scope = _in_scope(registry, stamp)
    keys = scope[scope["key_enterprise"] == "是"].merge(
        rows.drop(columns=["county_code", "enterprise_name"]), on="enterprise_id", how="left"
    )
    resumed_on = keys["resumed_on"].dt.strftime("%Y-%m-%d").fillna("—")
    ledger = [
        list(range(1, len(keys) + 1)),
        *(keys[c].fillna("—").astype(str).tolist() for c in ("county_code", "enterprise_name")),
        *(keys[c].fillna("—").astype(str).tolist() for c in ("grid_officer", "grid_officer_phone")),
        keys["resumed"].map({"是": "已复工", "否": "未复工"}).fillna("未报送").tolist(),
        resumed_on.tolist(),
        *(keys[c].astype(float).tolist() for c in ("employees_on_site", "employees_total")),
        (keys["capacity_pct"] / 100).astype(float).tolist(),
        keys["difficulties"].fillna("—").tolist(),
        [0.0] * len(keys),
    ]
    return difficulties, ledger


def write_enterprise_sheets(
    difficulties: list[list], ledger: list[list], package: io.BytesIO
) -> int:
    """Write the two sheets' cells into `package` with xlsxwriter, one call a cell, each with
    a bordered format, with the cycle collector paused (as the pipeline writes them); the
    cells written. In memory up to the pipeline's IN_MEMORY_CELLS, through temporary files
    above it."""
    import xlsxwriter

    cells = sum(len(c) for c in (*difficulties, *ledger))
    workbook = xlsxwriter.Workbook(
        package,
        {
            "in_memory": cells <= IN_MEMORY_CELLS,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    cell_format = workbook.add_format({"border": 1})
    with cycle_collector_paused():
        for name, specs, columns in (
            ("企业反映困难", DIFFICULTY_COLUMNS, difficulties),
            ("重点企业台账", LEDGER_SHEET_COLUMNS, ledger),
        ):
            sheet = workbook.add_worksheet(name)
            for column, (spec, values) in enumerate(zip(specs, columns, strict=True)):
                number = spec.kind in NUMBER_FORMATS or spec.kind == INDEX
                write = sheet.write_number if number else sheet.write_string
                for row, value in enumerate(values):
                    write(row, column, value, cell_format)
        workbook.close()
    return cells
