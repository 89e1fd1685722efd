"""Row revisions: 1 when a row is first published, +1 each time its values change."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

REVISION = "revision"


def assign_revisions(
    new_rows: pd.DataFrame, published_rows: pd.DataFrame, keys: Sequence[str]
) -> pd.DataFrame:
    """Return `new_rows` with a `revision` column placed after `status`.

    A row whose values equal the published row keeps its revision, so a rerun
    over unchanged input changes nothing; a changed row moves to the published
    revision + 1; a row never published before is revision 1. Rows are matched on
    `keys` and compared column by column, whichever way the values came back from the
    warehouse (a date as a timestamp, a count as a float).
    """
    keys = list(keys)
    value_columns = [c for c in new_rows.columns if c not in keys]
    new = _comparable(new_rows, [*keys, *value_columns])
    old = _comparable(published_rows, [*keys, *value_columns])
    old[REVISION] = (
        pd.array(published_rows[REVISION], dtype="Int64")
        if len(published_rows)
        else pd.array([], dtype="Int64")
    )
    matched = new[keys].merge(
        old, on=keys, how="left", suffixes=("", "_published"), validate="one_to_one"
    )
    unchanged = pd.Series(True, index=matched.index)
    for column in value_columns:
        current, before = new[column].reset_index(drop=True), matched[column]
        same = (current == before).astype("boolean").fillna(False)
        unchanged &= same | (current.isna() & before.isna())
    published = matched[REVISION]
    revisions = published.where(unchanged, published + 1).fillna(1).astype("Int64")
    result = new_rows.copy()
    position = result.columns.get_loc("status") + 1 if "status" in result.columns else 0
    result.insert(position, REVISION, revisions.to_numpy())
    return result


def _comparable(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """One representation per value: dates as ISO text, numbers as floats, missing as NA."""
    return pd.DataFrame(
        {
            column: _comparable_column(frame[column])
            if column in frame
            else pd.Series([None] * len(frame), dtype=object)
            for column in columns
        }
    ).reset_index(drop=True)


def _comparable_column(values: pd.Series) -> pd.Series:
    values = values.reset_index(drop=True)
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if pd.api.types.is_datetime64_any_dtype(values) or kind in ("datetime64", "datetime"):
        stamps = pd.to_datetime(values)
        return stamps.dt.strftime("%Y-%m-%d").astype(object).where(stamps.notna(), None)
    if kind == "boolean":
        return values.astype("boolean")
    if kind in ("integer", "floating", "mixed-integer-float", "decimal", "empty"):
        return values.astype("Float64")
    return (
        values.astype(object)
        .where(values.notna(), None)
        .map(lambda v: v if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v))
    )
