"""Run pytest under coverage exactly as `coverage run -m pytest` does, then write coverage's JSON report
from the same process: no second interpreter, no reloading and re-analysing of the data.

Runs inside the project's interpreter (`python .../stepcommit_runner/__main__.py JOB.json`, see
job.py for the job), and imports nothing but coverage, pytest and the standard library.
"""

from __future__ import annotations

import glob
import hashlib
import importlib
import json
import os
import sqlite3
import sys
import time
from dataclasses import replace
from typing import Any

from coverage import Coverage
from coverage.execfile import PyRunner

from . import speedups, sqlite_store, sysmon
from .job import (
    EXIT_NO_TESTS_COLLECTED,
    EXIT_RERUN_ALL,
    EXIT_RUNNER_FAILED,
    WORKER_ENV,
    Job,
    PerTest,
    WorkerSettings,
)

_T0 = time.perf_counter()


def _mark(what: str) -> None:
    """Phase times on stderr with STEPCOMMIT_TIMING=1 (the benchmark scripts read them)."""
    if os.environ.get("STEPCOMMIT_TIMING"):
        try:
            import resource

            peak = f" peak_rss_kb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}"
        except ImportError:  # not on Windows
            peak = ""
        print(f"stepcommit-timing {what} {time.perf_counter() - _T0:.3f}{peak}", file=sys.stderr)


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


def measured_args(pytest_args: list[str]) -> list[str]:
    """The pytest arguments that can change which lines the tests run: those that only say where
    pytest writes (`-o cache_dir=...`, `--junitxml=...`) are left out, since each checkout of the
    repository (worktree, throw-away checkout) writes them to a folder of its own."""
    kept: list[str] = []
    args = iter(pytest_args)
    for arg in args:
        if arg in ("-o", "--override-ini"):
            value = next(args, "")
            if not value.startswith("cache_dir="):
                kept += [arg, value]
        elif arg in ("--junitxml", "--junit-xml"):
            next(args, None)
        elif not arg.startswith(("-ocache_dir=", "--override-ini=cache_dir=", "--junitxml=", "--junit-xml=")):
            kept.append(arg)
    return kept


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
        "pytest_args": measured_args(pytest_args),
    }  # fmt: skip


def _setup_per_test(job: PerTest, cov: Coverage, pytest_args: list[str]) -> dict[str, Any]:
    """Decide between a partial and a full run, and configure the plugin that records per-test contexts."""
    from . import contexts

    info: dict[str, Any] = {"mode": "full", "reason": job.reason}
    env = _environment(cov, pytest_args)
    info["env"] = env
    select = None if job.select is None else list(job.select)
    if cov.config.dynamic_context:
        info["disabled"] = f"the project sets coverage's dynamic_context = {cov.config.dynamic_context}"
        select = None
    elif select is not None and job.env != env:
        changed = sorted(k for k in env if (job.env or {}).get(k) != env[k])
        info["reason"] = f"the test environment changed ({', '.join(changed)})"
        select = None
    elif select is not None:
        info["mode"] = "incremental"
    info["select"] = select
    # A small selection runs in one process even when the project asks pytest-xdist for workers:
    # starting and collecting in each worker costs more than the few tests save.
    serial = select is not None and len(select) < job.serial_below
    contexts.configure(select, job.known, serial=serial)
    info["plugin"] = contexts.__name__
    return info


def main(job: Job) -> int:
    # A measuring runner above this one (stepcommit's own suite) leaves its workers' settings behind.
    os.environ.pop(WORKER_ENV, None)
    data_file, rcfile, json_out, results_out = job.data_file, job.rcfile, job.json_out, job.results_out
    user_args = list(job.pytest_args)
    config_file: str | bool = rcfile or True
    # The same options `coverage run` passes for `--data-file=... [--rcfile=...] -m pytest`.
    cov = Coverage(data_file=data_file, config_file=config_file, check_preimported=True)
    sysmon.apply_core(cov, per_test_contexts=job.per_test is not None)  # sysmon where it measures the same
    results_name = f"{__package__}.results"
    pytest_args = ["-p", results_name, *user_args]
    per_test = job.per_test
    info: dict[str, Any] = {}
    if per_test is not None:
        info = _setup_per_test(per_test, cov, user_args)
        if not info.get("disabled"):
            pytest_args = ["-p", info["plugin"], *pytest_args]
    os.environ["COVERAGE_RUN"] = "true"
    skip_run = False
    if per_test is not None and info.get("mode") == "incremental" and per_test.collect is not None:
        if not per_test.collect:
            skip_run = True  # nothing the change affects, nothing new to collect
        pytest_args = [*pytest_args, *per_test.collect]
    runner = PyRunner(["pytest", *pytest_args], as_module=True)
    runner.prepare()  # imports pytest, as `coverage run -m pytest` does before it starts measuring
    counted = importlib.import_module(results_name)  # the module `-p` registers; its counts are read here
    settings = WorkerSettings(
        os.getpid(),
        os.path.abspath(cov.config.data_file),
        rcfile,
        "subprocess" in getattr(cov.config, "patch", ()),
    )
    counted.configure(settings, _worker_config(cov))
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
            data = replace(data, collection=True, sessionfinish=True, skipped_run=True, seconds=0.0)
        _write_results(results_out, data.to_dict())
    _mark("tests")
    plugin = sys.modules.get(f"{__package__}.contexts") if per_test is not None else None
    collected = list(getattr(plugin, "COLLECTED", []))
    ran = list(getattr(plugin, "RAN", []))
    workers = bool(getattr(plugin, "XDIST", None) or counted.SEEN["workers"])
    worker_files = set(counted.WORKER_DATA_FILES)
    if per_test is not None and plugin is not None and plugin.SERIALIZED:
        info["serial"] = (
            f"{len(info['select'])} tests selected, fewer than xdist_serial_below = {per_test.serial_below}: "
            f"run in one process, without pytest-xdist's {plugin.SERIALIZED[0]} workers"
        )
    if per_test is not None and plugin is not None and workers and not info.get("disabled"):
        # Every worker recorded its tests' contexts and sent what it collected (the controller collects nothing).
        try:
            collected, ran, info["test_files"], info["loaded"] = plugin.from_workers(counted.SEEN["workers"])
            info["workers"] = counted.SEEN["workers"]
        except plugin.WorkersIncomplete as exc:
            if info.get("mode") == "incremental" and status in (0, 1):
                # The rerun tests' data is incomplete, so the merge would be too: everything runs again.
                info["rerun_reason"] = str(exc)
                _write_info(per_test, info)
                return EXIT_RERUN_ALL
            info.update(disabled=str(exc), reason=str(exc))
            collected = ran = list(counted.COLLECTED)
    if (
        per_test is not None
        and status == EXIT_NO_TESTS_COLLECTED
        and (collected or per_test.collect is not None)
        and not ran
    ):
        status = 0  # nothing the change affects: every test was deselected
    if status not in (0, 1):
        return status
    found = set(glob.glob(glob.escape(data_file) + ".*"))
    # Data from any process but the run's own and its pytest-xdist workers' (measured subprocesses,
    # parallel mode): lines no test context holds.
    parallel = bool({os.path.abspath(f) for f in found} - worker_files)
    if found:
        # Parallel mode (or measured subprocesses): one file per process, combined as `coverage combine` does.
        cov = Coverage(data_file=data_file, config_file=config_file)
        cov.combine()
        cov.save()
        cov.load()
    if per_test is not None:
        status = _finish_per_test(per_test, info, cov, data_file, collected, ran, parallel) or status
        if status == EXIT_RERUN_ALL:
            return status
        if info.get("store"):
            cov = Coverage(data_file=data_file, config_file=config_file)
            cov.load()
    if status != 0:
        return status
    created = speedups.apply(job.parse_cache) if job.speedups else []
    try:
        cov.json_report(outfile=json_out)
        _mark("report")
        if created:
            speedups.save_parsers(job.parse_cache or "", created)
    except Exception as exc:  # "No data to report": the gate says so from the missing report
        print(f"stepcommit: no coverage report: {exc}", file=sys.stderr)
    return status


def _finish_per_test(
    job: PerTest,
    info: dict[str, Any],
    cov: Coverage,
    data_file: str,
    collected: list[str],
    ran: list[str],
    parallel: bool,
) -> int:
    """Merge (a partial run) or keep (a full run) the per-test data; write what happened for stepcommit."""
    static = cov.config.context or ""
    plugin = sys.modules.get(f"{__package__}.contexts")
    root = os.path.realpath(os.getcwd())
    info.setdefault("test_files", getattr(plugin, "TEST_FILES", {}))
    info["loaded"] = sorted(set(info.get("loaded", ())) | set(plugin.loaded_files(root) if plugin else ()))
    info.update(collected=collected, ran=ran, store=None, static=static)
    out = job.out
    if info.get("disabled"):
        pass
    elif info["mode"] == "incremental":
        try:
            sqlite_store.merge(job.store or "", data_file, out, job, static, ran, collected)
            _mark("merge")
        except (sqlite_store.MergeError, sqlite3.Error) as exc:
            info["merge_error"] = str(exc)
            _write_info(job, info)
            return EXIT_RERUN_ALL  # stepcommit runs everything again
        sqlite_store.flatten(
            out, data_file
        )  # the report (and `coverage xml`) read the union, as small as a plain run's
        _mark("flatten")
        info["store"] = out
    elif parallel:
        info["disabled"] = (
            "the tests' coverage comes from several processes (parallel or subprocess measurement)"
        )
    else:
        os.replace(data_file, out)
        with sqlite3.connect(out) as con:
            sqlite_store.index_store(con)
        con.close()
        _mark("index")
        sqlite_store.flatten(out, data_file)
        _mark("flatten")
        info["store"] = out
    _write_info(job, info)
    return 0


def _write_info(job: PerTest, info: dict[str, Any]) -> None:
    info.pop("plugin", None)
    with open(job.info, "w", encoding="utf-8") as handle:
        json.dump(info, handle)


def entry(argv: list[str]) -> int:
    """`JOB.json` -> the run's exit code; the runner's own failure is EXIT_RUNNER_FAILED."""
    try:
        with open(argv[0], encoding="utf-8") as handle:
            job = Job.from_json(handle.read())
        return main(job)
    except Exception:  # stepcommit's own failure, not the tests': say so with a code pytest never uses
        import traceback

        traceback.print_exc()
        return EXIT_RUNNER_FAILED
