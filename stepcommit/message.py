"""Commit messages: the step commit laid out as in DESIGN.md, with agent text cleaned first."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from stepcommit.progress import clean_text

# Secrets an agent may paste into a progress line; each is replaced by [REDACTED].
_SECRETS = (
    re.compile(r"\b(?:sk|pk|rk)-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\bxox[baprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
    re.compile(r"(?i)(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
)
_ASSIGNED_SECRET = re.compile(
    r"(?i)\b([A-Z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY)[A-Z0-9_]*)(\s*[=:]\s*)"
    r"(['\"]?)([^\s'\"]{4,})\3"
)


def redact(text: str) -> str:
    for pattern in _SECRETS:
        text = pattern.sub("[REDACTED]", text)
    return _ASSIGNED_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}[REDACTED]{m.group(3)}", text)


def clean_line(text: str) -> str:
    return redact(clean_text(text))


def scope_for(step_id: str) -> str:
    return "step-" + (re.sub(r"[^A-Za-z0-9._-]+", "-", step_id).strip("-") or "x")


def header(commit_type: str, step_id: str, title: str) -> str:
    subject = clean_line(title).rstrip(".").strip() or f"step {step_id}"
    return f"{commit_type}({scope_for(step_id)}): {subject}"


@dataclass(frozen=True)
class TestResult:
    passed: int
    failed: int
    errors: int
    skipped: int
    seconds: float

    def summary(self) -> str:
        parts = [f"{self.passed} passed"]
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.errors:
            parts.append(f"{self.errors} errors")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        return f"{', '.join(parts)} in {self.seconds:.2f}s"


@dataclass(frozen=True)
class CoverageFigure:
    total: float
    """coverage.py's own total percentage, unrounded."""
    display: str
    """The total as `coverage report --precision=2` prints it."""
    previous: str | None = None
    lowest: tuple[tuple[str, str], ...] = ()
    branch: bool = False

    def line(self) -> str:
        text = f"{self.display}%"
        if self.previous is not None:
            delta = float(self.display) - float(self.previous)
            text += f" ({delta:+.2f} from {self.previous}%)"
        return text


def format_lowest(lowest: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"{path} {pct}%" for path, pct in lowest)


def step_message(
    *,
    commit_type: str,
    step_id: str,
    title: str,
    progress: Sequence[str],
    tests: TestResult,
    coverage: CoverageFigure,
    files: tuple[int, int, int],
    plan: str,
    extra_lines: Sequence[str] = (),
) -> str:
    """The whole message of a step commit; the last paragraph is a git trailer block."""
    parts = [header(commit_type, step_id, title)]
    cleaned = [c for c in (clean_line(p) for p in progress) if c]
    if cleaned:
        parts.append("Progress Updates\n" + "\n".join(f"{n} {text}" for n, text in enumerate(cleaned, 1)))
    body = [f"Tests: {tests.summary()}", *extra_lines, f"Coverage: {coverage.line()}"]
    if coverage.lowest:
        body.append(f"Lowest: {format_lowest(coverage.lowest)}")
    count, added, deleted = files
    body.append(f"Files: {count} changed (+{added} -{deleted})")
    parts.append("\n".join(body))
    trailers = [f"Step: {clean_line(step_id)}", f"Plan: {plan}", f"Coverage: {coverage.display}"]
    parts.append("\n".join(trailers))
    return "\n\n".join(parts) + "\n"
