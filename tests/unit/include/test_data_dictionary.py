"""docs/data-dictionary.md is exactly what the table definitions generate."""

from __future__ import annotations

from include.publish.data_dictionary import data_dictionary_markdown
from include.tables import metadata
from tests.conftest import REPO


def test_committed_dictionary_equals_the_generated_text():
    committed = (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == data_dictionary_markdown(), (
        "regenerate: python -m include.publish.data_dictionary > docs/data-dictionary.md"
    )


def test_every_column_of_every_table_is_described():
    text = data_dictionary_markdown()
    for table in metadata.tables.values():
        assert f"## {table.name}\n" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text
            assert column.comment, f"{table.name}.{column.name} has no meaning (comment)"


def test_published_columns_have_a_report_label():
    from include.tables import county_daily, county_quarterly
    from transforms.publish.labels import COLUMN_LABELS

    for table in (county_daily, county_quarterly):
        assert [c.name for c in table.columns if c.name not in COLUMN_LABELS] == []
