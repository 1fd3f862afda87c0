"""Run pytest under coverage exactly as `coverage run -m pytest` does, then write coverage's JSON report
from the same process: no second interpreter, no reloading and re-analysing of the data.

This file runs inside the project's interpreter (via `python -c`, so its folder never lands on
sys.path), and imports nothing but coverage and the standard library.
Arguments: DATA_FILE RCFILE_OR_EMPTY JSON_OUT RESULTS_OUT PER_TEST_OR_EMPTY PYTEST_ARG...

PER_TEST names a JSON file asking for per-test coverage (see stepcommit/gates/incremental.py): each
test's lines recorded under its node id as coverage context, optionally only a selection of the tests
rerun (the whole suite is still collected) and merged into the stored per-test data of the others.
"""

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import sys
from typing import Any

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


_CONTEXTS_PLUGIN = """\
import os

import coverage
import pytest

COLLECTED = []
RAN = []
TEST_FILES = {}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    COLLECTED[:] = [item.nodeid for item in items]
    for item in items:
        where = getattr(item, "path", None) or getattr(item, "fspath", None)
        if where is not None:
            TEST_FILES.setdefault(os.path.realpath(str(where)), []).append(item.nodeid)
    if SELECT is None:
        RAN[:] = COLLECTED
        return
    keep, drop = [], []
    for item in items:
        # The selection, plus every test the store has never seen (new or renamed tests).
        (keep if item.nodeid in SELECT or item.nodeid not in KNOWN else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    RAN[:] = [item.nodeid for item in keep]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    cov = coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    try:
        yield
    finally:
        if cov is not None:
            cov.switch_context("")
"""


def _contexts_plugin(folder: str, select: list[str] | None, known: list[str]) -> str:
    name = "_stepcommit_contexts"
    with open(os.path.join(folder, name + ".py"), "w", encoding="utf-8") as handle:
        handle.write(
            f"SELECT = {None if select is None else set(select)!r}\nKNOWN = {set(known)!r}\n"
            + _CONTEXTS_PLUGIN
        )
    if folder not in sys.path:
        sys.path.append(folder)
    return name


def _environment(cov: Coverage, pytest_args: list[str]) -> dict[str, object]:
    """What, besides the files in git, decides which lines the tests run: a change means a full run."""
    import coverage
    import pytest

    dists: list[str] = []
    for entry in sys.path:
        if entry.endswith("site-packages") and os.path.isdir(entry):
            dists.extend(n for n in os.listdir(entry) if n.endswith((".dist-info", ".egg-info", ".pth")))
    config = cov.config
    settings = [
        config.branch,
        config.source,
        config.source_pkgs,
        config.run_include,
        config.run_omit,
        config.context,
        config.plugins,
        config.timid,
        config.cover_pylib,
    ]
    return {
        "python": sys.version,
        "coverage": coverage.__version__,
        "pytest": pytest.__version__,
        "packages": hashlib.sha256("\n".join(sorted(dists)).encode()).hexdigest()[:16],
        "settings": hashlib.sha256(repr(settings).encode()).hexdigest()[:16],
        "pytest_args": pytest_args,
    }  # fmt: skip


class MergeError(Exception):
    """The stored per-test data cannot be carried forward exactly: the caller runs everything."""


def _merge(
    old_db: str, new_db: str, out_db: str, job: dict[str, Any], static: str, ran: list[str], collected: list[str]
) -> None:
    """Write ``out_db``: the stored per-test data minus the tests rerun, the tests that no longer
    exist and the files deleted, unchanged lines of edited files moved to where they are now, plus
    everything the new run recorded. Coverage's schema 7 (coverage 5 to 7) is read and written directly
    so that thousands of tests merge in one transaction."""
    from coverage.numbits import numbits_to_nums, nums_to_numbits

    shutil.copyfile(old_db, out_db)
    con = sqlite3.connect(out_db)
    try:
        con.execute("attach database ? as new", (new_db,))
        versions = {
            con.execute(f"select version from {db}.coverage_schema").fetchone()[0] for db in ("main", "new")
        }
        if versions != {7}:
            raise MergeError(f"coverage data schema {sorted(versions)} is not the one stepcommit merges (7)")

        def has_arcs(db: str) -> str | None:
            row = con.execute(f"select value from {db}.meta where key = 'has_arcs'").fetchone()
            return row[0] if row else None

        if (
            has_arcs("main") != has_arcs("new")
            and has_arcs("main") is not None
            and has_arcs("new") is not None
        ):
            raise MergeError("the stored data and the new run measure differently (lines or branches)")

        def name(nodeid: str) -> str:
            return f"{static}|{nodeid}" if static else nodeid

        alive = {name(n) for n in collected} - {name(n) for n in ran}
        stale = [
            cid for cid, ctx in con.execute("select id, context from context") if ctx not in alive
        ]  # the import-time context, tests rerun, tests gone
        con.executemany("delete from line_bits where context_id = ?", [(c,) for c in stale])
        con.executemany("delete from arc where context_id = ?", [(c,) for c in stale])
        con.executemany("delete from context where id = ?", [(c,) for c in stale])
        for path in job.get("deleted", ()):
            row = con.execute("select id from file where path = ?", (path,)).fetchone()
            if row:
                for table in ("line_bits", "arc", "tracer"):
                    con.execute(f"delete from {table} where file_id = ?", row)
                con.execute("delete from file where id = ?", row)
        for path, moves in job.get("moves", {}).items():
            row = con.execute("select id from file where path = ?", (path,)).fetchone()
            if not row:
                continue

            def move(line: int, path: str = path, moves: list[list[int]] = moves) -> int:
                where = abs(line)
                for start, end, shift in moves:
                    if start <= where <= end:
                        return (where + shift) * (1 if line > 0 else -1)
                raise MergeError(f"{path}: a kept test ran line {where}, inside a changed function")

            bits = con.execute("select context_id, numbits from line_bits where file_id = ?", row).fetchall()
            con.executemany(
                "update line_bits set numbits = ? where file_id = ? and context_id = ?",
                [(nums_to_numbits([move(n) for n in numbits_to_nums(nb)]), row[0], cid) for cid, nb in bits],
            )
            arcs = con.execute("select context_id, fromno, tono from arc where file_id = ?", row).fetchall()
            con.execute("delete from arc where file_id = ?", row)
            con.executemany(
                "insert into arc (file_id, context_id, fromno, tono) values (?, ?, ?, ?)",
                [(row[0], cid, move(a), move(b)) for cid, a, b in arcs],
            )
        # Everything the new run recorded: its files, contexts, lines, arcs and file tracers.
        con.execute("insert or ignore into file (path) select path from new.file")
        con.execute("insert or ignore into context (context) select context from new.context")
        ids = (
            "join new.file nf on nf.id = n.file_id join file f on f.path = nf.path "
            "join new.context nc on nc.id = n.context_id join context c on c.context = nc.context"
        )
        con.execute(
            f"insert into line_bits (file_id, context_id, numbits) select f.id, c.id, n.numbits from new.line_bits n {ids}"
        )
        con.execute(
            f"insert into arc (file_id, context_id, fromno, tono) select f.id, c.id, n.fromno, n.tono from new.arc n {ids}"
        )
        con.execute(
            "insert or replace into tracer (file_id, tracer) select f.id, n.tracer from new.tracer n "
            "join new.file nf on nf.id = n.file_id join file f on f.path = nf.path"
        )
        if has_arcs("main") is None and has_arcs("new") is not None:
            con.execute("insert or replace into meta (key, value) values ('has_arcs', ?)", (has_arcs("new"),))
        con.commit()
        con.execute("detach database new")
    finally:
        con.close()


def _setup_per_test(job: dict[str, Any], cov: Coverage, pytest_args: list[str], folder: str) -> dict[str, Any]:
    """Decide between a partial and a full run, and add the plugin that records per-test contexts."""
    info: dict[str, Any] = {"mode": "full", "reason": job.get("reason")}
    env = _environment(cov, pytest_args)
    info["env"] = env
    select = job.get("select")
    if cov.config.dynamic_context:
        info["disabled"] = f"the project sets coverage's dynamic_context = {cov.config.dynamic_context}"
        select = None
    elif select is not None and job.get("env") != env:
        changed = sorted(k for k in env if (job.get("env") or {}).get(k) != env[k])
        info["reason"] = f"the test environment changed ({', '.join(changed)})"
        select = None
    elif select is not None:
        info["mode"] = "incremental"
    info["select"] = select
    info["plugin"] = _contexts_plugin(folder, select, job.get("known", []))
    return info


def main(argv: list[str]) -> int:
    data_file, rcfile, json_out, results_out, per_test, *pytest_args = argv
    user_args = list(pytest_args)
    pytest_args = ["-p", _results_plugin(results_out), *pytest_args]
    config_file: str | bool = rcfile or True
    # The same options `coverage run` passes for `--data-file=... [--rcfile=...] -m pytest`.
    cov = Coverage(data_file=data_file, config_file=config_file, check_preimported=True)
    job: dict[str, Any] | None = None
    info: dict[str, Any] = {}
    if per_test:
        with open(per_test, encoding="utf-8") as handle:
            job = json.load(handle)
        info = _setup_per_test(job, cov, user_args, os.path.dirname(os.path.abspath(results_out)))
        if not info.get("disabled"):
            pytest_args = ["-p", info["plugin"], *pytest_args]
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
    plugin = sys.modules.get("_stepcommit_contexts")
    collected = list(getattr(plugin, "COLLECTED", []))
    ran = list(getattr(plugin, "RAN", []))
    if job is not None and status == 5 and collected and not ran:
        status = 0  # nothing the change affects: every test was deselected
    if status not in (0, 1):
        return status
    parallel = bool(glob.glob(glob.escape(data_file) + ".*"))
    if parallel:
        # Parallel mode (or measured subprocesses): one file per process, combined as `coverage combine` does.
        cov = Coverage(data_file=data_file, config_file=config_file)
        cov.combine()
        cov.save()
        cov.load()
    if job is not None:
        status = _finish_per_test(job, info, cov, data_file, config_file, collected, ran, parallel) or status
        if status == 97:
            return status
        if info.get("mode") == "incremental":
            cov = Coverage(data_file=data_file, config_file=config_file)
            cov.load()
    if status != 0:
        return status
    _lean_json_report()
    try:
        cov.json_report(outfile=json_out)
    except Exception as exc:  # "No data to report": the gate says so from the missing report
        print(f"stepcommit: no coverage report: {exc}", file=sys.stderr)
    return status


def _finish_per_test(job, info, cov, data_file, config_file, collected, ran, parallel) -> int:  # type: ignore[no-untyped-def]
    """Merge (a partial run) or keep (a full run) the per-test data; write what happened for stepcommit."""
    static = cov.config.context or ""
    plugin = sys.modules.get("_stepcommit_contexts")
    root = os.path.realpath(os.getcwd())
    loaded = {
        os.path.realpath(f)
        for m in list(sys.modules.values())
        if isinstance(f := getattr(m, "__file__", None), str)
    }
    info.update(
        collected=collected, ran=ran, store=None, static=static,
        test_files=getattr(plugin, "TEST_FILES", {}),
        loaded=sorted(f for f in loaded if f.startswith(root + os.sep)),
    )  # fmt: skip
    out = job["out"]
    if info.get("disabled"):
        pass
    elif info["mode"] == "incremental":
        try:
            _merge(job["store"], data_file, out, job, static, ran, collected)
        except (MergeError, sqlite3.Error) as exc:
            info["merge_error"] = str(exc)
            _write_info(job, info)
            return 97  # stepcommit runs everything again
        shutil.copyfile(out, data_file)  # the report (and `coverage xml`) read the merged data
        info["store"] = out
    elif parallel:
        info["disabled"] = (
            "the tests' coverage comes from several processes (parallel or subprocess measurement)"
        )
    else:
        shutil.copyfile(data_file, out)
        info["store"] = out
    _write_info(job, info)
    return 0


def _write_info(job: dict[str, Any], info: dict[str, Any]) -> None:
    info.pop("plugin", None)
    with open(job["info"], "w", encoding="utf-8") as handle:
        json.dump(info, handle)


if __name__ == "__main__":
    try:
        code = main(sys.argv[1:])
    except Exception:  # stepcommit's own failure, not the tests': say so with a code pytest never uses
        import traceback

        traceback.print_exc()
        code = 98
    sys.exit(code)
