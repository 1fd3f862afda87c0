"""Merging .env.example into .env as python-dotenv reads them; values never change and are never shown."""

from __future__ import annotations

import io

import pytest
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from stepcommit.errors import ProjectFileError
from stepcommit.setup.envfile import merge

EXAMPLE = """\
# Database
DB_URL="postgres://user:secret@db/app"
export API_KEY='abc def'  # from the dashboard

# Certificates span lines
CERT="-----BEGIN-----
line two
-----END-----"
EMPTY=
BARE
"""


def values(text: str) -> dict[str, str | None]:
    return dict(dotenv_values(stream=io.StringIO(text)))


def test_a_missing_env_becomes_the_example() -> None:
    result = merge(None, EXAMPLE)
    assert values(result.text) == values(EXAMPLE)
    assert result.added == ("DB_URL", "API_KEY", "CERT", "EMPTY", "BARE")
    assert "# Certificates span lines" in result.text


def test_existing_values_stay_extra_keys_stay_missing_keys_come_with_their_comments() -> None:
    env = "API_KEY=mine-not-the-example\nLOCAL_ONLY=1"  # no final newline
    result = merge(env, EXAMPLE)
    assert result.text.startswith(env + "\n\n")  # the user's bytes untouched
    got = values(result.text)
    assert got["API_KEY"] == "mine-not-the-example"
    assert got["LOCAL_ONLY"] == "1"
    assert got["CERT"] == "-----BEGIN-----\nline two\n-----END-----"
    assert got["BARE"] is None
    assert result.added == ("DB_URL", "CERT", "EMPTY", "BARE")
    assert result.only_in_env == ("LOCAL_ONLY",)
    assert "# Database\nDB_URL=" in result.text


def test_export_prefix_and_quoted_key_count_as_present() -> None:
    result = merge("export DB_URL=x\n'API_KEY'=y\nCERT=z\nEMPTY=\nBARE=\n", EXAMPLE)
    assert result.added == ()
    assert result.text == "export DB_URL=x\n'API_KEY'=y\nCERT=z\nEMPTY=\nBARE=\n"


def test_merging_again_changes_nothing() -> None:
    once = merge("A=1\n", EXAMPLE).text
    again = merge(once, EXAMPLE)
    assert again.text == once
    assert again.added == ()


def test_crlf_files_stay_crlf() -> None:
    result = merge("A=1\r\n", "A=2\r\nB=3\r\n")
    assert result.text == "A=1\r\n\r\nB=3\r\n"


def test_odd_lines_in_the_example_are_refused_with_their_line_numbers() -> None:
    with pytest.raises(ProjectFileError) as caught:
        merge(None, "A=1\n\n'broken\nB=2\n")
    assert "line 3" in caught.value.message
    assert "nothing was written" in caught.value.message


def test_an_env_the_merge_would_reinterpret_is_refused_without_showing_values() -> None:
    # An unclosed quote at the end of .env would swallow the keys appended after it.
    with pytest.raises(ProjectFileError) as caught:
        merge('TOKEN="s3cr3t-value\n', 'B="example-secret"\n')
    assert "s3cr3t" not in caught.value.message + caught.value.hint
    assert "example-secret" not in caught.value.message + caught.value.hint


_keys = st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True)
_values = st.text(alphabet=st.sampled_from("abc XYZ019#=:/\n-_"), max_size=12)


def _dump(pairs: dict[str, str]) -> str:
    return "".join(f'{key}="{value}"\n' for key, value in pairs.items())


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=6), st.dictionaries(_keys, _values, max_size=6))
def test_property_env_values_win_and_example_fills_the_rest(
    env: dict[str, str], example: dict[str, str]
) -> None:
    result = merge(_dump(env), _dump(example))
    assert values(result.text) == {**example, **env}
    assert merge(result.text, _dump(example)).text == result.text
