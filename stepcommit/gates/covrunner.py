"""Run pytest under coverage exactly as `coverage run -m pytest` does, then write coverage's JSON report
from the same process: no second interpreter, no reloading and re-analysing of the data.

This file runs inside the project's interpreter (via `python -c`, so its folder never lands on
sys.path), and imports nothing but coverage and the standard library.
Arguments: DATA_FILE RCFILE_OR_EMPTY JSON_OUT RESULTS_OUT PER_TEST_OR_EMPTY PYTEST_ARG...

PER_TEST names a JSON file asking for per-test coverage (see stepcommit/gates/incremental.py): each
test's lines recorded under its node id as coverage context, optionally only a selection of the tests
rerun and merged into the stored per-test data of the others.
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


def _cache_parsers(folder: str) -> list[tuple[str, Any]]:
    """Reuse coverage's own parse of a source file (statements, exclusions, possible arcs) while
    its text, coverage's version and the exclusion rules are unchanged: the report's largest cost
    (tokenizing, compiling and walking every measured file) is paid once per file version.

    The parser objects are coverage's, pickled after the report used them; the figures are
    computed from them by coverage's own Analysis exactly as before. Returns the list the new
    parsers go in, for `_save_parsers`; an unknown coverage layout leaves everything as it was.
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


def _save_parsers(folder: str, created: list[tuple[str, Any]]) -> None:
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


_PLUGIN = """\
import os, time

import pytest

# Kept here, read by covrunner after pytest returns (a conftest rewrites pytest's exit code, not these).
COUNTS = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "xfailed": 0, "xpassed": 0, "rerun": 0}
FAILURES = []
COLLECTED = []
SEEN = {"collection": False, "sessionfinish": False, "workers": 0, "deselected": 0}
DONE = set()
STARTED = time.perf_counter()
WORKER = os.getpid() != RUNNER_PID and bool(os.environ.get("PYTEST_XDIST_WORKER"))


def _measure_worker():
    # A pytest-xdist worker's own measurement: the one coverage's start-up hook began (7.10+, from
    # COVERAGE_PROCESS_CONFIG, before anything was imported), else one started here, as early as a
    # plugin can. Each worker writes a data file of its own beside the runner's, combined afterwards.
    import coverage

    cov = coverage.Coverage.current()
    if cov is None:
        cov = coverage.Coverage(data_file=DATA_FILE, config_file=RCFILE or True, data_suffix=True)
        for quiet in ("_warn_no_data", "_warn_unimported_source", "_warn_preimported_source"):
            setattr(cov, quiet, False)  # as coverage's own start-up hook does: a worker may run no test
        cov.start()
    if not SUBPROCESSES:
        # The tests' own subprocesses stay unmeasured, as in a serial run of the same settings.
        os.environ.pop("COVERAGE_PROCESS_CONFIG", None)
    return cov


WORKER_COVERAGE = _measure_worker() if WORKER else None


def _first_line(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    return (text.strip().splitlines() or [""])[0]


def _record(report):
    if report.outcome == "rerun":  # pytest-rerunfailures: this attempt is tried again
        COUNTS["rerun"] += 1
        return
    if report.when == "call":
        if hasattr(report, "wasxfail"):
            COUNTS["xfailed" if report.skipped else "xpassed"] += 1
        elif report.outcome in ("passed", "skipped"):
            COUNTS[report.outcome] += 1
        else:
            COUNTS["failed"] += 1
            FAILURES.append({"test": report.nodeid, "message": _first_line(report)})
    elif report.failed:
        COUNTS["errors"] += 1
        FAILURES.append({"test": report.nodeid, "message": "error in " + report.when + ": " + _first_line(report)})
    elif report.skipped and report.when == "setup":
        COUNTS["xfailed" if hasattr(report, "wasxfail") else "skipped"] += 1
    if report.when == "teardown" or report.failed:
        DONE.add(report.nodeid)


# Outermost and first: the report is read before any conftest's hook can change it.
@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_logreport(report):
    if not WORKER:
        _record(report)
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collectreport(report):
    if not WORKER and report.failed:
        COUNTS["errors"] += 1
        FAILURES.append({"test": report.nodeid or "<collection>", "message": "collection error: " + _first_line(report)})
    yield


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_deselected(items):
    SEEN["deselected"] += len(items)
    yield


# Outermost, so what it reads after the yield is what every other implementation left: the tests
# the session will run, deselections applied.
@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_collection_finish(session):
    yield
    COLLECTED[:] = [item.nodeid for item in session.items]
    SEEN["collection"] = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids):
    # Under pytest-xdist the controller collects nothing: each worker sends the ids it will run.
    if not SEEN["collection"]:
        COLLECTED[:] = list(ids)
        SEEN["collection"] = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    # Every worker starts measuring at its interpreter's start-up (coverage 7.10+ reads this
    # variable there), as `coverage run` does for the process it starts.
    if WORKER_CONFIG and "COVERAGE_PROCESS_CONFIG" not in os.environ:
        os.environ["COVERAGE_PROCESS_CONFIG"] = WORKER_CONFIG


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    SEEN["workers"] += 1


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    SEEN["sessionfinish"] = True
    if WORKER_COVERAGE is not None:
        # Saved before the worker tells the controller it is done (xdist sends that after every
        # sessionfinish implementation), so the data is on disk when the runner combines it.
        WORKER_COVERAGE.stop()
        WORKER_COVERAGE.save()


def results(status):
    missing = [t for t in COLLECTED if t not in DONE]
    return dict(
        COUNTS, seconds=time.perf_counter() - STARTED, failures=FAILURES, collected=len(COLLECTED),
        missing=missing[:20], missing_count=len(missing), exit=status, recorded=True, **SEEN,
    )
"""


def _results_plugin(results_out: str, cov: Coverage, rcfile: str) -> str:
    """Write, next to ``results_out``, the pytest plugin that counts the run's outcomes and failures:
    what the gate's verdict comes from, whatever pytest's exit code says. It is a real file
    (appended to sys.path, so it shadows nothing) for pytest to import like any `-p` plugin; the
    runner imports it first and keeps the module, so the counts it reads are the plugin's own."""
    folder = os.path.dirname(os.path.abspath(results_out))
    name = "_stepcommit_results"
    with open(os.path.join(folder, name + ".py"), "w", encoding="utf-8") as handle:
        constants = {
            "RUNNER_PID": os.getpid(),
            "DATA_FILE": os.path.abspath(cov.config.data_file),
            "RCFILE": rcfile,
            "WORKER_CONFIG": _worker_config(cov),
            "SUBPROCESSES": "subprocess" in getattr(cov.config, "patch", ()),
        }
        # The runner imports it before pytest does: the marker keeps pytest from warning that it cannot
        # rewrite its asserts (an error under `filterwarnings = error`).
        handle.write('"""stepcommit\'s outcome counts. PYTEST_DONT_REWRITE"""\n')
        handle.write("".join(f"{k} = {v!r}\n" for k, v in constants.items()) + _PLUGIN)
    sys.path.append(folder)
    return name


def _worker_config(cov: Coverage) -> str | None:
    """The settings a pytest-xdist worker measures with: the run's own, in parallel mode (a data file
    per process). None before coverage 7.10, which cannot pass settings to a new interpreter."""
    import copy

    config = copy.copy(cov.config)
    if not hasattr(config, "serialize"):
        return None
    config.parallel = True
    return str(config.serialize())


def _write_results(results_out: str, data: dict[str, Any]) -> None:
    with open(results_out + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(results_out + ".tmp", results_out)


_CONTEXTS_PLUGIN = """\
import os

import coverage
import pytest

COLLECTED = []
RAN = []
TEST_FILES = {}


XDIST = []


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    # Under pytest-xdist each worker has its own coverage data, so no per-test store: a selection
    # cannot be measured exactly, and the runner is asked to run everything instead (before any
    # worker starts).
    if session.config.pluginmanager.has_plugin("dsession"):
        XDIST.append(True)
        if SELECT is not None:
            pytest.exit("stepcommit: a selection cannot run under pytest-xdist", returncode=97)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: everything runs, no contexts
        return
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
    cov = None if hasattr(item.config, "workerinput") else coverage.Coverage.current()
    if cov is not None:
        cov.switch_context(item.nodeid)
    try:
        yield
    finally:
        if cov is not None:
            cov.switch_context("")
"""


XDIST_OFF = (
    "the tests run under pytest-xdist, and per-test coverage needs one process: every test ran, "
    "each worker measured and combined"
)


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


_T0 = __import__("time").perf_counter()


def _mark(what: str) -> None:
    """Phase times on stderr with STEPCOMMIT_TIMING=1 (the benchmark scripts read them)."""
    if os.environ.get("STEPCOMMIT_TIMING"):
        import time

        try:
            import resource

            peak = f" peak_rss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}"
        except ImportError:  # not on Windows
            peak = ""
        print(f"stepcommit-timing {what} {time.perf_counter() - _T0:.3f}{peak}", file=sys.stderr)


class MergeError(Exception):
    """The stored per-test data cannot be carried forward exactly: the caller runs everything."""


def _merge(
    old_db: str,
    new_db: str,
    out_db: str,
    job: dict[str, Any],
    static: str,
    ran: list[str],
    collected: list[str],
) -> None:
    """Write ``out_db``: the stored per-test data minus the tests rerun, the tests that no longer
    exist and the files deleted, unchanged lines of edited files moved to where they are now, plus
    everything the new run recorded. Coverage's schema 7 (coverage 5 to 7) is read and written directly
    so that thousands of tests merge in one transaction."""
    from coverage.numbits import register_sqlite_functions

    shutil.copyfile(old_db, out_db)
    if not os.path.exists(new_db):  # a run that recorded nothing: an empty copy of the stored data
        shutil.copyfile(old_db, new_db)
        with sqlite3.connect(new_db) as empty:
            for table in ("line_bits", "arc", "tracer", "context", "file"):
                empty.execute(f"delete from {table}")
        empty.close()
    con = sqlite3.connect(out_db)
    try:
        con.execute("attach database ? as new", (new_db,))
        versions = {
            con.execute(f"select version from {db}.coverage_schema").fetchone()[0] for db in ("main", "new")
        }
        if versions != {7}:
            raise MergeError(f"coverage data schema {sorted(versions)} is not the one stepcommit merges (7)")

        def has_arcs(db: str) -> str | None:
            return _has_arcs_value(con, db)

        if (
            has_arcs("main") != has_arcs("new")
            and has_arcs("main") is not None
            and has_arcs("new") is not None
        ):
            raise MergeError("the stored data and the new run measure differently (lines or branches)")

        def name(nodeid: str) -> str:
            return f"{static}|{nodeid}" if static else nodeid

        partial = job.get("collect") is not None
        if partial:
            # Only some test files were collected: the import-time context stays (the new run's is a
            # subset of it), the tests rerun go, and so do the tests those files no longer hold.
            gone = (
                set(ran)
                | set(job.get("drop_tests", ()))
                | (set(job.get("recollect_old", ())) - set(collected))
            )
            gone_names = {name(n) for n in gone}
            stale = [cid for cid, ctx in con.execute("select id, context from context") if ctx in gone_names]
        else:
            alive = {name(n) for n in collected} - {name(n) for n in ran}
            stale = [
                cid for cid, ctx in con.execute("select id, context from context") if ctx not in alive
            ]  # the import-time context, tests rerun, tests gone
        _index_store(con)
        con.execute("create temp table stale (id integer primary key)")
        con.executemany("insert into stale (id) values (?)", [(c,) for c in stale])
        # The union's counts lose what the stale contexts held, then their rows go.
        con.execute(
            "create temp table gone as select file_id, fromno, tono, count(*) as c from arc "
            "where context_id in (select id from stale) group by file_id, fromno, tono"
        )
        con.execute(
            f"update {_UNION} as u set n = u.n - g.c from gone g "
            "where g.file_id = u.file_id and g.fromno = u.fromno and g.tono = u.tono"
        )
        con.execute(f"delete from {_UNION} where n <= 0")
        for table, column in (("line_bits", "context_id"), ("arc", "context_id"), ("context", "id")):
            con.execute(f"delete from {table} where {column} in (select id from stale)")
        for path in job.get("deleted", ()):
            row = con.execute("select id from file where path = ?", (path,)).fetchone()
            if row:
                for table in ("line_bits", "arc", "tracer", _UNION):
                    con.execute(f"delete from {table} where file_id = ?", row)
                con.execute("delete from file where id = ?", row)
        for path, moves in job.get("moves", {}).items():
            row = con.execute("select id from file where path = ?", (path,)).fetchone()
            if row:
                _move_lines(con, row[0], path, moves)
        # Everything the new run recorded: its files, contexts, lines, arcs and file tracers.
        con.execute("insert or ignore into file (path) select path from new.file")
        con.execute("insert or ignore into context (context) select context from new.context")
        ids = (
            "join new.file nf on nf.id = n.file_id join file f on f.path = nf.path "
            "join new.context nc on nc.id = n.context_id join context c on c.context = nc.context"
        )
        register_sqlite_functions(con)
        con.execute(
            "insert into line_bits (file_id, context_id, numbits) "
            f"select f.id, c.id, n.numbits from new.line_bits n {ids} where true "
            "on conflict (file_id, context_id) do update set numbits = numbits_union(numbits, excluded.numbits)"
        )
        con.execute(
            "create temp table added as select f.id as file_id, c.id as context_id, n.fromno, n.tono "
            f"from new.arc n {ids}"
        )
        con.execute(
            "delete from added where exists (select 1 from arc a where a.file_id = added.file_id and "
            "a.context_id = added.context_id and a.fromno = added.fromno and a.tono = added.tono)"
        )  # the import-time arcs a partial collection saw again
        con.execute("insert into arc (file_id, context_id, fromno, tono) select * from added")
        con.execute(
            f"insert into {_UNION} (file_id, fromno, tono, n) select file_id, fromno, tono, count(*) "
            "from added group by file_id, fromno, tono "
            "on conflict (file_id, fromno, tono) do update set n = n + excluded.n"
        )
        con.execute(f"delete from {_UNION} where n <= 0")
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


_UNION = "stepcommit_arc_union"
"""A table stepcommit adds to the store: each arc once, with how many contexts hold it."""


def _index_store(con: sqlite3.Connection) -> None:
    """Add what makes a merge cheap to a per-test data file (once): an index of arcs by context and
    the union of all arcs with their counts, kept up to date by each merge. coverage ignores both."""
    con.execute("create index if not exists stepcommit_arc_context on arc (context_id)")
    exists = con.execute(
        "select 1 from sqlite_master where type = 'table' and name = ?", (_UNION,)
    ).fetchone()
    if not exists:
        con.execute(
            f"create table {_UNION} (file_id integer, fromno integer, tono integer, n integer, "
            "primary key (file_id, fromno, tono)) without rowid"
        )
        con.execute(
            f"insert into {_UNION} select file_id, fromno, tono, count(*) from arc group by file_id, fromno, tono"
        )


_OFFSET = 1 << 30
"""Moved arcs pass through line numbers this far up, so no row collides with one not yet moved."""


def _move_lines(con: sqlite3.Connection, file_id: int, path: str, moves: list[list[int]]) -> None:
    """Move the kept lines and arcs of an edited file to where those lines are now, in SQL.

    ``moves`` are (old_start, old_end, shift) ranges; a kept line outside them (inside a changed
    function) would be a selection error, and makes the merge fail rather than guess.
    """
    import bisect

    from coverage.numbits import numbits_to_nums, nums_to_numbits

    moves = sorted(moves)
    starts = [m[0] for m in moves]
    lost: list[int] = []

    def new_line(line: int) -> int:
        where = abs(line)
        i = bisect.bisect_right(starts, where) - 1
        if i < 0 or where > moves[i][1]:
            lost.append(where)
            return line
        return (where + moves[i][2]) * (1 if line > 0 else -1)

    def move_numbits(numbits: bytes) -> bytes:
        return nums_to_numbits([new_line(n) for n in numbits_to_nums(numbits)])

    # Ranges of one shift, merged where they touch: one edited function leaves two or three.
    runs: list[list[int]] = []
    for start, end, shift in moves:
        if runs and runs[-1][1] + 1 == start and runs[-1][2] == shift:
            runs[-1][1] = end
        else:
            runs.append([start, end, shift])
    # Lines above the first changed or moved line stay where they are: rows entirely above it are left alone.
    untouched = runs[0][1] + 1 if runs and runs[0][0] == 1 and runs[0][2] == 0 else 1
    con.create_function("stepcommit_move_numbits", 1, move_numbits, deterministic=True)
    con.execute(
        "update line_bits set numbits = stepcommit_move_numbits(numbits) where file_id = ?", (file_id,)
    )

    def moved(column: str) -> str:
        """SQL for the column's new value, offset out of the way of rows not yet moved; NULL if lost."""
        size = f"abs({column})"
        cases = " ".join(
            f"when {size} between {int(a)} and {int(b)} then {size} + {int(d) + _OFFSET}" for a, b, d in runs
        )
        return f"(case when {column} > 0 then 1 else -1 end) * (case {cases} else null end)"

    where = "where file_id = ? and (abs(fromno) >= ? or abs(tono) >= ?)"
    for table in ("arc", _UNION):
        row = con.execute(
            f"select fromno, tono from {table} {where} and ({moved('fromno')} is null or {moved('tono')} is null) "
            "limit 1",
            (file_id, untouched, untouched),
        ).fetchone()
        if row is not None:
            new_line(row[0]), new_line(row[1])  # records the line that has nowhere to go
            break
        con.execute(
            f"update {table} set fromno = {moved('fromno')}, tono = {moved('tono')} {where}",
            (file_id, untouched, untouched),
        )
        con.execute(
            f"update {table} set fromno = fromno - (case when fromno > 0 then ? else -? end), "
            "tono = tono - (case when tono > 0 then ? else -? end) where file_id = ? and abs(fromno) >= ?",
            (_OFFSET, _OFFSET, _OFFSET, _OFFSET, file_id, _OFFSET),
        )
    if lost:
        raise MergeError(f"{path}: a kept test ran line {lost[0]}, inside a changed function")


def _has_arcs_value(con: sqlite3.Connection, db: str = "main") -> str | None:
    """The data file's own `has_arcs` meta value, None when it has recorded nothing yet."""
    row = con.execute(f"select value from {db}.meta where key = 'has_arcs'").fetchone()
    return None if row is None else str(row[0])


def _has_arcs(con: sqlite3.Connection) -> bool:
    return str(_has_arcs_value(con)).lower() in ("1", "true")


def _flatten(src_db: str, flat_db: str) -> None:
    """Write ``flat_db``: the union of every context's data in ``src_db``, with no contexts.

    What coverage would compute for a report anyway, done once in SQL: the report (and `coverage
    xml`) then read a file as small as a plain run's.
    """
    from coverage import CoverageData
    from coverage.numbits import numbits_to_nums, register_sqlite_functions

    if os.path.exists(flat_db):
        os.remove(flat_db)
    con = sqlite3.connect(src_db)
    try:
        register_sqlite_functions(con)
        paths = dict(con.execute("select id, path from file"))
        branch = _has_arcs(con)
        arcs: dict[str, list[tuple[int, int]]] = {}
        lines: dict[str, list[int]] = {}
        if branch:
            has_union = con.execute(
                "select 1 from sqlite_master where type = 'table' and name = ?", (_UNION,)
            ).fetchone()
            query = (
                f"select file_id, fromno, tono from {_UNION}"
                if has_union
                else ("select distinct file_id, fromno, tono from arc")
            )
            for file_id, fromno, tono in con.execute(query):
                arcs.setdefault(paths[file_id], []).append((fromno, tono))
        else:
            query = "select file_id, numbits_union_agg(numbits) from line_bits group by file_id"
            for file_id, numbits in con.execute(query):
                lines[paths[file_id]] = numbits_to_nums(numbits)
        tracers = {paths[f]: t for f, t in con.execute("select file_id, tracer from tracer") if t}
    finally:
        con.close()
    data = CoverageData(flat_db)
    if branch:
        data.add_arcs(arcs)
    else:
        data.add_lines(lines)
    if tracers:
        data.add_file_tracers(tracers)
    if arcs or lines:
        data.touch_files([p for p in paths.values() if p not in arcs and p not in lines])
    data.write()


def _setup_per_test(
    job: dict[str, Any], cov: Coverage, pytest_args: list[str], folder: str
) -> dict[str, Any]:
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
    config_file: str | bool = rcfile or True
    # The same options `coverage run` passes for `--data-file=... [--rcfile=...] -m pytest`.
    cov = Coverage(data_file=data_file, config_file=config_file, check_preimported=True)
    results_name = _results_plugin(results_out, cov, rcfile)
    pytest_args = ["-p", results_name, *pytest_args]
    job: dict[str, Any] | None = None
    info: dict[str, Any] = {}
    if per_test:
        with open(per_test, encoding="utf-8") as handle:
            job = json.load(handle)
        info = _setup_per_test(job, cov, user_args, os.path.dirname(os.path.abspath(results_out)))
        if not info.get("disabled"):
            pytest_args = ["-p", info["plugin"], *pytest_args]
    os.environ["COVERAGE_RUN"] = "true"
    skip_run = False
    if job is not None and info.get("mode") == "incremental" and job.get("collect") is not None:
        if not job["collect"]:
            skip_run = True  # nothing the change affects, nothing new to collect
        pytest_args = [*pytest_args, *job["collect"]]
    runner = PyRunner(["pytest", *pytest_args], as_module=True)
    runner.prepare()  # imports pytest, as `coverage run -m pytest` does before it starts measuring
    import importlib

    counted = importlib.import_module(results_name)  # the module `-p` registers; its counts are read here
    cov.start()
    status = 0
    try:
        _mark("start")
        if not skip_run:
            runner.run()
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        cov.stop()
        cov.save()
        # Written here, after pytest returned, from the plugin's own counts: nothing a conftest does
        # to the exit status reaches them, and a process that never gets here leaves no results.
        data = counted.results(status)
        if skip_run:  # no pytest session: the outcome is that nothing ran
            data.update(collection=True, sessionfinish=True, skipped_run=True, seconds=0.0)
        _write_results(results_out, data)
    _mark("tests")
    plugin = sys.modules.get("_stepcommit_contexts")
    collected = list(getattr(plugin, "COLLECTED", []))
    ran = list(getattr(plugin, "RAN", []))
    if job is not None and (getattr(plugin, "XDIST", None) or counted.SEEN["workers"]):
        info.update(mode="full", disabled=XDIST_OFF, reason=XDIST_OFF)
        collected = ran = list(counted.COLLECTED)
        if status == 97:  # the selection was refused before any test ran: run everything
            info["rerun_reason"] = XDIST_OFF
            _write_info(job, info)
            return status
    if job is not None and status == 5 and (collected or job.get("collect") is not None) and not ran:
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
        if info.get("store"):
            cov = Coverage(data_file=data_file, config_file=config_file)
            cov.load()
    if status != 0:
        return status
    _lean_json_report()
    parse_cache = os.environ.get("STEPCOMMIT_PARSE_CACHE")
    created: list[tuple[str, Any]] = []
    if parse_cache:
        os.makedirs(parse_cache, exist_ok=True)
        created = _cache_parsers(parse_cache)
    try:
        cov.json_report(outfile=json_out)
        _mark("report")
        if created:
            _save_parsers(parse_cache or "", created)
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
            _mark("merge")
        except (MergeError, sqlite3.Error) as exc:
            info["merge_error"] = str(exc)
            _write_info(job, info)
            return 97  # stepcommit runs everything again
        _flatten(out, data_file)  # the report (and `coverage xml`) read the union, as small as a plain run's
        _mark("flatten")
        info["store"] = out
    elif parallel:
        info["disabled"] = (
            "the tests' coverage comes from several processes (parallel or subprocess measurement)"
        )
    else:
        os.replace(data_file, out)
        with sqlite3.connect(out) as con:
            _index_store(con)
        con.close()
        _mark("index")
        _flatten(out, data_file)
        _mark("flatten")
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
