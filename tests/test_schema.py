from ceasefire_analysis import schema
from ceasefire_analysis.config import PROJECT_ROOT


def test_data_dictionary_lists_every_file_and_column():
    text = (PROJECT_ROOT / "docs" / "data_dictionary.md").read_text()
    for spec in schema.FILE_SPECS:
        assert f"## `{spec.filename}`" in text
        section = text.split(f"## `{spec.filename}`")[1].split("\n## ")[0]
        for column in spec.columns:
            assert f"| `{column.name}` |" in section, (spec.name, column.name)
            for value in column.allowed:
                assert f"`{value}`" in section
