from __future__ import annotations

import pandas as pd

from transforms.merge.revisions import assign_revisions

KEYS = ["report_date", "county_code"]


def table(rows, revisions=None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["report_date", "county_code", "status", "resumed", "rate"])
    frame["report_date"] = pd.to_datetime(frame["report_date"]).astype("datetime64[s]")
    frame["resumed"] = frame["resumed"].astype("Int64")
    frame["rate"] = frame["rate"].astype("Float64")
    if revisions is not None:
        frame.insert(3, "revision", pd.array(revisions, dtype="Int64"))
    return frame


FIRST = [
    ("2020-03-17", "440203", "accepted", 10, 0.5),
    ("2020-03-17", "440204", "missing", None, None),
    ("2020-03-17", "440200", "partial", 10, 0.25),
]


def test_first_publication_is_revision_one():
    result = assign_revisions(table(FIRST), table([]).assign(revision=pd.array([], "Int64")), KEYS)
    assert list(result["revision"]) == [1, 1, 1]
    assert list(result.columns).index("revision") == 3  # right after status


def test_unchanged_rows_keep_their_revision_changed_rows_move_on():
    published = table(FIRST, revisions=[1, 2, 2])
    resubmitted = [
        FIRST[0],
        ("2020-03-17", "440204", "accepted", 4, 1.0),
        ("2020-03-17", "440200", "accepted", 14, 0.35),
    ]
    result = assign_revisions(table(resubmitted), published, KEYS)
    assert list(result["revision"]) == [1, 3, 3]


def test_rerun_over_unchanged_input_moves_nothing_even_after_a_warehouse_round_trip():
    published = table(FIRST, revisions=[3, 1, 3])
    # values read back from a database come as plain Python objects
    published = published.astype(object).where(published.notna(), None)
    assert list(assign_revisions(table(FIRST), published, KEYS)["revision"]) == [3, 1, 3]


def test_values_compare_equal_whatever_their_dtype():
    from datetime import date

    published = table(FIRST, revisions=[2, 1, 3])
    loose = pd.DataFrame(
        {
            "report_date": [date(2020, 3, 17)] * 3,
            "county_code": ["440203", "440204", "440200"],
            "status": ["accepted", "missing", "partial"],
            "resumed": pd.Series([10, None, 10.0], dtype=object),
            "rate": pd.Series([0.5, None, 0.25], dtype=object),
        }
    )
    assert list(assign_revisions(loose, published, KEYS)["revision"]) == [2, 1, 3]
