"""The one broad catch: a hook records what went wrong and goes on."""

from __future__ import annotations

import pytest

from stepcommit.errors import GitError, never_blocking


def test_never_blocking_reports_a_user_error_by_its_message_and_a_bug_by_its_type() -> None:
    reported: list[str] = []
    with never_blocking(reported.append):
        raise GitError("git said no", hint="ignored here")
    with never_blocking(reported.append):
        {}["missing"]
    with never_blocking(reported.append):
        pass
    assert reported == ["git said no", "KeyError: 'missing'"]


def test_never_blocking_lets_ctrl_c_through() -> None:
    with pytest.raises(KeyboardInterrupt), never_blocking(lambda detail: None):
        raise KeyboardInterrupt
