"""Which measurement core coverage.py uses for a run: `sysmon` wherever it measures the same thing.

sys.monitoring (Python 3.12+) costs a few per cent where the C tracer costs tens; coverage.py
supports it for line coverage on 3.12+ and for branch coverage on 3.14+, without plugins, dynamic
contexts or greenlet-style concurrency. Per-test contexts need a tracer that reports a line again
in every test (sys.monitoring reports it once), so those runs keep `ctrace`. The choice is a pure
function over plain data (``choose_core``); ``apply_core`` reads the inputs off a Coverage object.
Runs inside the project's interpreter: the standard library only.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NO_SYSMON_CONCURRENCY = ("greenlet", "eventlet", "gevent")


@dataclass(frozen=True)
class CoreChoice:
    core: str | None
    """`sysmon`, `ctrace`, or None: coverage's own default (and the project's own setting) stands."""
    reason: str


def choose_core(
    *,
    python: tuple[int, int],
    per_test_contexts: bool,
    branch: bool,
    has_core_setting: bool,
    configured: str | None = None,
    dynamic_context: str | None = None,
    plugins: Sequence[str] = (),
    concurrency: Sequence[str] = (),
    timid: bool = False,
) -> CoreChoice:
    """The core for a run of a project under these coverage settings (``has_core_setting``: the
    installed coverage.py has the `[run] core` setting, 7.9 and later, through which it is set)."""
    if per_test_contexts:
        return CoreChoice(
            "ctrace", "per-test contexts need every test's lines, which sys.monitoring reports once"
        )
    if configured:
        return CoreChoice(None, f"the project sets coverage's core ({configured})")
    if python < (3, 12):
        return CoreChoice(None, "sys.monitoring needs Python 3.12 or later")
    if not has_core_setting:
        return CoreChoice(None, "this coverage.py has no core setting (7.9 or later has)")
    if branch and python < (3, 14):
        return CoreChoice(None, "coverage.py measures branches with sys.monitoring on Python 3.14 or later")
    if timid or dynamic_context or plugins:
        return CoreChoice(
            None, "coverage.py supports no timid mode, dynamic contexts or plugins with sys.monitoring"
        )
    if bad := [c for c in concurrency if c in NO_SYSMON_CONCURRENCY]:
        return CoreChoice(None, f"coverage.py supports no concurrency={bad[0]} with sys.monitoring")
    return CoreChoice("sysmon", "sys.monitoring measures these settings, at a fraction of the tracer's cost")


def apply_core(cov: Any, *, per_test_contexts: bool, python: tuple[int, int] | None = None) -> CoreChoice:
    """Choose the core for ``cov`` (a Coverage object, not started yet) and set it in its config."""
    config = cov.config
    choice = choose_core(
        python=python or (sys.version_info[0], sys.version_info[1]),
        per_test_contexts=per_test_contexts,
        branch=bool(config.branch),
        has_core_setting=hasattr(config, "core"),
        configured=getattr(config, "core", None),
        dynamic_context=config.dynamic_context,
        plugins=tuple(config.plugins),
        concurrency=tuple(config.concurrency or ()),
        timid=bool(config.timid),
    )
    if choice.core is not None and hasattr(config, "core"):
        config.core = choice.core
    return choice
