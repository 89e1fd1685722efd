from __future__ import annotations

import pandas as pd
import pytest

from transforms.frames import is_in

VALUES = pd.Series(["a", None, "b", "c", "a"], dtype="str")


@pytest.mark.parametrize(
    "allowed",
    [["a"], {"a", "c"}, pd.Series(["c", None, "c"], dtype="str"), [], ["z"], ("b", "b")],
)
def test_is_in_says_what_pandas_isin_says(allowed):
    assert is_in(VALUES, allowed).tolist() == VALUES.isin(allowed).tolist()
