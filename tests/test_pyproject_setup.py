"""pyproject.toml gets whole tables appended; everything the user wrote keeps its bytes."""

from __future__ import annotations

import tomllib

import pytest

from stepcommit.errors import ProjectFileError
from stepcommit.pyproject_setup import merged_pyproject


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
