"""Run pytest under coverage exactly as `coverage run -m pytest` does, then write coverage's JSON report
from the same process: no second interpreter, no reloading and re-analysing of the data.

This file runs inside the project's interpreter (via `python -c`, so its folder never lands on
sys.path), and imports nothing but coverage and the standard library.
Arguments: DATA_FILE RCFILE_OR_EMPTY JSON_OUT RESULTS_OUT PYTEST_ARG...
"""

import glob
import os
import sys

from coverage import Coverage
from coverage.execfile import PyRunner


def _lean_json_report() -> None:
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
        return {
            "executed_lines": sorted(analysis.executed),
            "summary": summary,
            "missing_lines": sorted(analysis.missing),
        }

    JsonReporter.report_one_file = report_one_file  # type: ignore[method-assign]


_PLUGIN = """\
import json, time

_counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0, "xpassed": 0}
_failures = []
_started = time.perf_counter()


def _first_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return (text.strip().splitlines() or [""])[0]


def pytest_runtest_logreport(report):
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            _counts["xfailed" if report.skipped else "xpassed"] += 1
        elif report.outcome in ("passed", "skipped"):
            _counts[report.outcome] += 1
        else:
            _counts["failed"] += 1
            _failures.append({"test": report.nodeid, "message": _first_line(report)})
    elif report.failed:
        _counts["errors"] += 1
        _failures.append({"test": report.nodeid, "message": "error in " + report.when + ": " + _first_line(report)})
    elif report.skipped and report.when == "setup":
        _counts["xfailed" if hasattr(report, "wasxfail") else "skipped"] += 1


def pytest_collectreport(report):
    if report.failed:
        _counts["errors"] += 1
        _failures.append({"test": report.nodeid or "<collection>", "message": "collection error: " + _first_line(report)})


def pytest_sessionfinish(session, exitstatus):
    data = dict(_counts, seconds=time.perf_counter() - _started, failures=_failures)
    with open(RESULTS, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
"""


def _results_plugin(results_out: str) -> str:
    """Write, next to ``results_out``, a pytest plugin that records the run's outcome counts and
    failures as JSON: what the gate needs, at a fraction of a JUnit report's cost. It is a real file
    (appended to sys.path, so it shadows nothing) for pytest to import like any `-p` plugin."""
    folder = os.path.dirname(os.path.abspath(results_out))
    name = "_stepcommit_results"
    with open(os.path.join(folder, name + ".py"), "w", encoding="utf-8") as handle:
        handle.write(f"RESULTS = {results_out!r}\n" + _PLUGIN)
    sys.path.append(folder)
    return name


def main(argv: list[str]) -> int:
    data_file, rcfile, json_out, results_out, *pytest_args = argv
    pytest_args = ["-p", _results_plugin(results_out), *pytest_args]
    config_file: str | bool = rcfile or True
    # The same options `coverage run` passes for `--data-file=... [--rcfile=...] -m pytest`.
    cov = Coverage(data_file=data_file, config_file=config_file, check_preimported=True)
    os.environ["COVERAGE_RUN"] = "true"
    runner = PyRunner(["pytest", *pytest_args], as_module=True)
    runner.prepare()
    cov.start()
    status = 0
    try:
        runner.run()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        cov.stop()
        cov.save()
    if status != 0:
        return status
    if glob.glob(glob.escape(data_file) + ".*"):
        # Parallel mode (or measured subprocesses): one file per process, combined as `coverage combine` does.
        cov = Coverage(data_file=data_file, config_file=config_file)
        cov.combine()
        cov.save()
        cov.load()
    _lean_json_report()
    try:
        cov.json_report(outfile=json_out)
    except Exception as exc:  # "No data to report": the gate says so from the missing report
        print(f"stepcommit: no coverage report: {exc}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
