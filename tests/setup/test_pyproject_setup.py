"""pyproject.toml gets whole tables appended; everything the user wrote keeps its bytes."""

from __future__ import annotations

import tomllib

import pytest

from stepcommit.errors import ProjectFileError
from stepcommit.setup.pyproject_setup import merged_pyproject


def test_crlf_file_stays_crlf_and_valid() -> None:
    text = '[project]\r\nname = "x"\r\n'
    new, _ = merged_pyproject(text, source=["."], omit=["tests/*"])
    assert new.startswith(text)
    assert "\n" not in new.replace("\r\n", "")
    assert tomllib.loads(new)["tool"]["coverage"]["run"]["omit"] == ["tests/*"]


def test_an_inline_tool_table_is_refused_rather_than_broken() -> None:
    with pytest.raises(ProjectFileError, match="nothing was written"):
        merged_pyproject("tool = { black = { line-length = 90 } }\n", source=["src"], omit=[])


def test_native_pytest_table_counts_as_configured() -> None:
    new, notes = merged_pyproject('[tool.pytest]\nminversion = "9.0"\n', source=["src"], omit=[])
    assert "ini_options" not in new
    assert not any("pytest" in n for n in notes)


def test_the_written_stepcommit_table_documents_every_setting_and_each_line_is_valid() -> None:
    import dataclasses
    import tomllib

    from stepcommit.config import Config, from_table
    from stepcommit.setup.pyproject_setup import stepcommit_table

    text = stepcommit_table()
    lines = text.splitlines()[2:]
    # A comment line saying what the key does, then the key at its default (or an example), commented out.
    docs, settings = lines[0::2], [line.removeprefix("# ") for line in lines[1::2]]
    assert all(d.startswith("# ") and len(d) > 10 for d in docs)
    assert [line.split(" = ")[0] for line in settings] == [f.name for f in dataclasses.fields(Config)]
    # Uncommented, each line is a value stepcommit accepts.
    from_table(tomllib.loads("\n".join(settings)))
