"""A lazy pattern answers as the compiled one does, and compiles only when first used."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stepcommit.lazy_re import lazy

TEXT = "Step 1.2: add; step 3.4: two, STEP 5"


@pytest.mark.parametrize(
    ("method", "args"),
    [("search", (TEXT,)), ("search", (TEXT, 5)), ("match", (TEXT,)), ("match", (TEXT, 1, 9)),
     ("fullmatch", ("step 7",)), ("finditer", (TEXT,)), ("findall", (TEXT,)), ("findall", (TEXT, 3, 20)),
     ("split", (TEXT,)), ("split", (TEXT, 1)), ("sub", ("#", TEXT)), ("sub", (lambda m: m[1], TEXT, 1)),
     ("subn", ("#", TEXT))],
)  # fmt: skip
def test_each_method_answers_as_re_compile(method: str, args: tuple[Any, ...]) -> None:
    pattern, flags = r"step (\d)", re.IGNORECASE
    lazy_one = lazy(pattern, flags)
    found, expected = getattr(lazy_one, method)(*args), getattr(re.compile(pattern, flags), method)(*args)
    if method == "finditer":
        found, expected = [m.span() for m in found], [m.span() for m in expected]
    elif method in ("search", "match", "fullmatch"):
        found, expected = found and found.span(), expected and expected.span()
    assert found == expected
    assert lazy_one.is_compiled


def test_a_pattern_is_compiled_on_first_use_only() -> None:
    broken = lazy("(unclosed")  # nothing compiled yet, so nothing to complain about
    assert not broken.is_compiled
    assert broken.pattern == "(unclosed" and broken.flags == 0
    assert "not compiled yet" in repr(broken)
    with pytest.raises(re.error):
        broken.search("x")
    fine = lazy("a+")
    assert fine.compiled is fine.compiled  # compiled once, then kept
    assert "(compiled)" in repr(fine)
