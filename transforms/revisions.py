"""Row revisions: 1 when a row is first published, +1 each time its values change."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

REVISION = "revision"


def assign_revisions(
    new_rows: pd.DataFrame, published_rows: pd.DataFrame, keys: Sequence[str]
) -> pd.DataFrame:
    """Return `new_rows` with a `revision` column placed after `status`.

    A row whose values equal the published row keeps its revision, so a rerun
    over unchanged input changes nothing; a changed row moves to the published
    revision + 1; a row never published before is revision 1.
    """
    value_columns = [c for c in new_rows.columns if c not in keys]
    published = {
        _key(row, keys): (int(row[REVISION]), _values(row, value_columns))
        for _, row in published_rows.iterrows()
    }
    revisions = []
    for _, row in new_rows.iterrows():
        previous = published.get(_key(row, keys))
        if previous is None:
            revisions.append(1)
        elif previous[1] == _values(row, value_columns):
            revisions.append(previous[0])
        else:
            revisions.append(previous[0] + 1)
    result = new_rows.copy()
    position = result.columns.get_loc("status") + 1 if "status" in result.columns else 0
    result.insert(position, REVISION, pd.array(revisions, dtype="Int64"))
    return result


def _key(row: pd.Series, keys: Sequence[str]) -> tuple:
    return tuple(_normalise(row[k]) for k in keys)


def _values(row: pd.Series, columns: Sequence[str]) -> tuple:
    return tuple(_normalise(row.get(c)) for c in columns)


def _normalise(value: object) -> object:
    """One representation per value, whichever way it came back from the warehouse."""
    if hasattr(value, "item") and not isinstance(value, pd.Timestamp):
        value = value.item()  # numpy scalar -> Python scalar
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return str(value)
