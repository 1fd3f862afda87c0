"""A name with a number (`UTF-8 handling`, `SIP-010 fungible token swaps`) is part of the title, not
the step's id: a lettered id before a bare space is one only before a capital (`SC-801 Completed`),
as a bare number is (`6 Caching layer`, not `3 tests for the parser`)."""

from __future__ import annotations

from pathlib import Path

from stepcommit.plan import parse_plan

PATH = Path("TODO.md")


def test_a_name_with_a_number_stays_in_the_title() -> None:
    text = (
        "# TODO\n\n- [x] UTF-8 handling of names\n- [ ] SIP-010 fungible token swaps\n- [ ] ISO-8601 dates\n"
    )
    plan = parse_plan(text, PATH)
    assert [(s.id, s.title) for s in plan.steps] == [
        ("1", "UTF-8 handling of names"),
        ("2", "SIP-010 fungible token swaps"),
        ("3", "ISO-8601 dates"),
    ]


def test_lettered_ids_before_a_capital_or_a_separator_are_ids() -> None:
    text = "# Plan\n\n- [x] SC-801 Completed Implementation\n- [ ] T-055: rpcproxy\n- [ ] BACK-12 — fix it\n"
    assert [(s.id, s.title) for s in parse_plan(text, PATH).walk()] == [
        ("SC-801", "Completed Implementation"),
        ("T-055", "rpcproxy"),
        ("BACK-12", "fix it"),
    ]
