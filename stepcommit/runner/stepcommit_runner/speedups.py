"""The patches of coverage's internals that make the report cheap, behind one switch (`Job.speedups`).

Each leaves the figures to coverage's own code (tests/runner/test_speedups.py compares the reports with
coverage's as shipped), and leaves coverage as it was when its layout is not the one they know.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any


def apply(parse_cache: str | None) -> list[tuple[str, Any]]:
    """Patch coverage for this process; returns the parsers to save after the report (`save_parsers`)."""
    lean_json_report()
    if not parse_cache:
        return []
    os.makedirs(parse_cache, exist_ok=True)
    return cache_parsers(parse_cache)


def lean_json_report() -> None:
    """Leave function and class regions out of the JSON report.

    coverage 7.6+ adds them to every file, an AST walk per file that the gate does not use; the
    figures and line lists are computed by coverage's own code exactly as before. Older coverage
    versions, or a changed reporter, keep the full report.
    """
    try:
        from coverage.jsonreport import JsonReporter
    except ImportError:
        return
    if not all(
        hasattr(JsonReporter, name) for name in ("report_one_file", "make_summary", "make_branch_summary")
    ):
        return

    def report_one_file(self, coverage_data, analysis, file_reporter):  # type: ignore[no-untyped-def]
        nums = analysis.numbers
        self.total += nums
        summary = self.make_summary(nums)
        if coverage_data.has_arcs():
            summary.update(self.make_branch_summary(nums))
        reported = {
            "executed_lines": sorted(analysis.executed),
            "summary": summary,
            "missing_lines": sorted(analysis.missing),
        }
        if coverage_data.has_arcs():
            # Which branches of which lines: the floor on changed lines judges branches too.
            for key, arcs in (
                ("executed_branches", analysis.executed_branch_arcs()),
                ("missing_branches", analysis.missing_branch_arcs()),
            ):
                reported[key] = [[source, dest] for source in sorted(arcs) for dest in sorted(arcs[source])]
        return reported

    JsonReporter.report_one_file = report_one_file  # type: ignore[method-assign]


def cache_parsers(folder: str) -> list[tuple[str, Any]]:
    """Reuse coverage's own parse of a source file (statements, exclusions, possible arcs) while
    its text, coverage's version and the exclusion rules are unchanged: the report's largest cost
    (tokenizing, compiling and walking every measured file) is paid once per file version.

    The parser objects are coverage's, pickled after the report used them; the figures are
    computed from them by coverage's own Analysis exactly as before. Returns the list the new
    parsers go in, for `save_parsers`; an unknown coverage layout leaves everything as it was.
    """
    import pickle

    import coverage
    from coverage import python as covpython

    created: list[tuple[str, Any]] = []
    prop = covpython.PythonFileReporter.__dict__.get("parser")
    if not isinstance(prop, property) or prop.fget is None:
        return created
    build = prop.fget

    def parser(self: Any) -> Any:
        if getattr(self, "_parser", None) is None:
            try:
                exclude = self.coverage._exclude_regex("exclude")
                key = "\0".join([coverage.__version__, repr(exclude), self.filename, self.source()])
                path = os.path.join(folder, hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest())
                with open(path, "rb") as handle:
                    self._parser = pickle.load(handle)
                os.utime(path)  # still in use: kept by the clean-up
            except Exception:
                self._parser = None
                parsed = build(self)
                if "path" in locals():
                    created.append((path, parsed))
                return parsed
        return self._parser

    covpython.PythonFileReporter.parser = property(parser)  # type: ignore[method-assign,assignment]
    return created


def save_parsers(folder: str, created: list[tuple[str, Any]]) -> None:
    import pickle
    import time

    for path, parsed in created:
        try:
            with open(path + ".tmp", "wb") as handle:
                pickle.dump(parsed, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(path + ".tmp", path)
        except Exception:
            continue
    week = time.time() - 7 * 24 * 3600
    for name in os.listdir(folder):
        try:
            if os.stat(os.path.join(folder, name)).st_mtime < week:
                os.remove(os.path.join(folder, name))
        except OSError:
            continue
