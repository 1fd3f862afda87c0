"""What a test run counted, as the gates record it and the commit message states it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # a value, not a test class for pytest to collect where it is imported

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
