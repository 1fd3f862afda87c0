"""The coverage core choice: sysmon only where coverage.py measures the same thing with it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from coverage.config import CoverageConfig

from stepcommit.runner.stepcommit_runner.sysmon import apply_core, choose_core

LINES = {"per_test_contexts": False, "branch": False, "has_core_setting": True}


@pytest.mark.parametrize(
    ("python", "settings", "core"),
    [
        ((3, 11), LINES, None),
        ((3, 12), LINES, "sysmon"),
        ((3, 13), LINES | {"branch": True}, None),
        ((3, 14), LINES | {"branch": True}, "sysmon"),
        ((3, 14), LINES | {"per_test_contexts": True}, "ctrace"),
        ((3, 11), LINES | {"per_test_contexts": True}, "ctrace"),
        ((3, 12), LINES | {"has_core_setting": False}, None),
        ((3, 12), LINES | {"configured": "ctrace"}, None),
        ((3, 12), LINES | {"dynamic_context": "test_function"}, None),
        ((3, 12), LINES | {"plugins": ["django_coverage_plugin"]}, None),
        ((3, 12), LINES | {"concurrency": ["thread", "gevent"]}, None),
        ((3, 12), LINES | {"concurrency": ["thread"]}, "sysmon"),
        ((3, 12), LINES | {"timid": True}, None),
    ],
)
def test_sysmon_is_chosen_only_where_coverage_supports_the_settings(
    python: tuple[int, int], settings: dict[str, object], core: str | None
) -> None:
    choice = choose_core(python=python, **settings)  # type: ignore[arg-type]
    assert choice.core == core
    assert choice.reason  # the user is told why


def _coverage(**settings: object) -> Any:
    """What apply_core reads of a Coverage object: coverage's own config object (no Coverage object:
    one made in a pytest-xdist worker stops that worker's own measurement from being saved)."""
    config = CoverageConfig()
    for name, value in settings.items():
        setattr(config, name, value)
    return SimpleNamespace(config=config)


def test_the_choice_is_set_in_coverage_config() -> None:
    cov = _coverage(branch=False)
    assert apply_core(cov, per_test_contexts=False, python=(3, 12)).core == "sysmon"
    assert cov.config.core == "sysmon"
    branches = _coverage(branch=True)
    assert apply_core(branches, per_test_contexts=False, python=(3, 12)).core is None
    assert branches.config.core is None  # coverage's default stands


def test_the_project_setting_and_per_test_runs_are_kept() -> None:
    own = _coverage(core="pytrace")
    assert apply_core(own, per_test_contexts=False, python=(3, 14)).core is None
    assert own.config.core == "pytrace"
    per_test = _coverage()
    assert apply_core(per_test, per_test_contexts=True).core == "ctrace" and per_test.config.core == "ctrace"
