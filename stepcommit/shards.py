"""CI shards: one slice of the suite under coverage (pytest-split), and the gate's verdict on the slices' combined data."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stepcommit import git, proc, state
from stepcommit.config import Config
from stepcommit.errors import StepcommitError, ToolMissing
from stepcommit.gates.coverage import CoverageReport, display_percent, from_json, patch_coverage
from stepcommit.gates.results import TestResult
from stepcommit.gates.testrun import (
    RUNNER_PACKAGE,
    FloorSetting,
    TestRun,
    default_sources,
    project_floor,
    run_tests,
    runner,
)

DURATIONS = ".test_durations"
"""pytest-split's durations file, `{node_id: seconds}`, at the project's root."""
_SHARD = re.compile(r"^shard-(\d+)\.json$")


class ShardError(StepcommitError):
    """The shards' data is missing, incomplete or from a failed shard: no verdict can be given."""

    exit_code = 2


def data_name(group: int) -> str:
    return f"shard-{group}.coverage"


def result_name(group: int) -> str:
    return f"shard-{group}.json"


def durations_name(group: int) -> str:
    return f"shard-{group}.durations"


def split_args(splits: int, group: int, durations: Path) -> list[str]:
    """pytest-split's options for one shard. The shard reads the project's durations from a copy
    at ``durations`` and writes back, with --clean-durations, only its own tests' measured times."""
    # `--option=value`, one word each: pytest takes an existing path given as a word of its own for
    # a test path when it picks its rootdir, before plugins' options are known, and node ids change.
    return [
        f"--splits={splits}", f"--group={group}",
        f"--durations-path={durations}", "--store-durations", "--clean-durations",
    ]  # fmt: skip


def _scratch(repo: git.Repo, name: str) -> git.Repo:
    """A Repo whose stepcommit state is a folder of its own: a shard's partial run must never be
    taken for the gate's last full run (the cached verdicts read `run/`)."""
    folder = state.StateDir(repo.git_dir).scratch(name)
    folder.mkdir(exist_ok=True)
    return git.Repo(repo.root, folder)


def run_shard(repo: git.Repo, cfg: Config, *, splits: int, group: int, out: Path) -> TestRun:
    """Run group ``group`` of ``splits`` under coverage, as the gate runs the suite, and leave in
    ``out`` its coverage data, its counts and its tests' durations."""
    if splits < 1 or not 1 <= group <= splits:
        raise ShardError(
            f"--group {group} of --splits {splits} names no shard.",
            hint="Groups count from 1 to --splits (GitLab's CI_NODE_INDEX of CI_NODE_TOTAL).",
        )
    out.mkdir(parents=True, exist_ok=True)
    durations = (out / durations_name(group)).resolve()
    known = repo.root / DURATIONS
    if known.is_file():
        shutil.copyfile(known, durations)
    else:
        durations.unlink(missing_ok=True)
    scratch = _scratch(repo, "shard-run")
    shard_cfg = dataclasses.replace(
        cfg, pytest_args=[*cfg.pytest_args, *split_args(splits, group, durations)], incremental=False
    )
    run = run_tests(scratch, shard_cfg)
    if run.problem and "unrecognized arguments: --splits" in run.output_tail:
        raise ToolMissing(
            "The project's environment has no pytest-split, so the suite cannot be split into shards.",
            hint="Add it to the project (`uv add --dev pytest-split`), or install it in the CI job "
            "(`uv pip install pytest-split`, as the generated CI file does).",
        )
    data = state.StateDir(scratch.git_dir).run / ".coverage"
    if data.is_file():
        shutil.copyfile(data, out / data_name(group))
    tests = run.tests
    record = {
        "group": group,
        "splits": splits,
        "ok": run.ok,
        "problem": run.problem,
        "tests": dataclasses.asdict(tests) if tests else None,
        "summary": tests.summary() if tests else None,
        "root": str(repo.root.resolve()),
        "commit": git.head_commit(repo.root),
    }
    (out / result_name(group)).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return run


@dataclass(frozen=True)
class Shards:
    """What the shards left in a folder, read and checked for completeness."""

    splits: int
    data_files: tuple[Path, ...]
    tests: TestResult
    problems: tuple[str, ...]
    roots: tuple[str, ...] = ()
    """The checkout folders the shards ran in."""
    commits: tuple[str, ...] = ()
    """The commits the shards tested (one, when they belong together)."""


def read_shards(folder: Path) -> Shards:
    """The shards' records in ``folder``: every group of one split present, each with its data."""
    records: dict[int, dict[str, Any]] = {}
    for path in sorted(folder.glob("shard-*.json")) if folder.is_dir() else ():
        if _SHARD.match(path.name):
            data = json.loads(path.read_text(encoding="utf-8"))
            records[int(data["group"])] = data
    if not records:
        raise ShardError(
            f"{folder} holds no shard results (shard-N.json).",
            hint="Download every shard's artifact into it first; each shard writes its files with "
            "`stepcommit ci shard --splits N --group I --out DIR`.",
        )
    splits = {int(r["splits"]) for r in records.values()}
    if len(splits) != 1:
        raise ShardError(
            f"The shards in {folder} come from different splits ({', '.join(map(str, sorted(splits)))}).",
            hint="Use the artifacts of one pipeline run only.",
        )
    total = splits.pop()
    missing = [g for g in range(1, total + 1) if g not in records]
    if missing:
        raise ShardError(
            f"Shard(s) {', '.join(map(str, missing))} of {total} left no results in {folder}: the combined "
            "coverage would be short of their tests.",
            hint="Let every shard finish (and upload its artifact) before the verdict job runs.",
        )
    problems = tuple(
        f"shard {g} of {total}: {records[g]['problem']}" for g in sorted(records) if records[g].get("problem")
    )
    files = []
    for group in sorted(records):
        path = folder / data_name(group)
        if path.is_file():
            files.append(path)
        elif not records[group].get("problem"):
            raise ShardError(
                f"Shard {group} of {total} passed but left no coverage data ({path.name}).",
                hint="Upload the whole --out folder of every shard.",
            )
    counts = [TestResult(**r["tests"]) for r in records.values() if r.get("tests")]
    tests = TestResult(
        sum(c.passed for c in counts),
        sum(c.failed for c in counts),
        sum(c.errors for c in counts),
        sum(c.skipped for c in counts),
        max((c.seconds for c in counts), default=0.0),
    )
    roots = tuple(sorted({str(r["root"]) for r in records.values() if r.get("root")}))
    commits = tuple(sorted({str(r["commit"]) for r in records.values() if r.get("commit")}))
    return Shards(total, tuple(files), tests, problems, roots, commits)


def refuse_other_commits(found: Shards, head: str | None) -> None:
    """The verdict is on the commit the shards tested: artifacts of another commit (a re-run that
    mixed pipelines, a stale folder) would give a total no tree has."""
    if head is not None and found.commits and found.commits != (head,):
        shown = ", ".join(c[:10] for c in found.commits)
        raise ShardError(
            f"The shards tested {shown}, but this checkout is at {head[:10]}.",
            hint="Give the verdict on the commit the shards ran on, with the artifacts of that pipeline only.",
        )


def combine(
    repo: git.Repo, cfg: Config, data_files: tuple[Path, ...], roots: tuple[str, ...] = ()
) -> tuple[CoverageReport, Path]:
    """`coverage combine` of the shards' data, with the project's coverage settings (or the gate's
    defaults when it has none), and coverage.py's own JSON report of the result. ``roots``: the
    folders the shards ran in, mapped onto this checkout. The project's interpreter runs
    runner/stepcommit_runner/combine.py by path."""
    scratch = _scratch(repo, "shard-verdict")
    how = runner(scratch, cfg)
    shutil.rmtree(how.work, ignore_errors=True)
    how.work.mkdir(parents=True)
    rcfile = ""
    for arg in how.cov_args:
        if arg.startswith("--rcfile="):
            rcfile = arg.removeprefix("--rcfile=")
            source, omit = default_sources(repo.root)
            lines = [
                "[run]",
                f"source = {', '.join(source)}",
                *([f"omit = {', '.join(omit)}"] if omit else []),
            ]
            Path(arg.removeprefix("--rcfile=")).write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = [
        *how.python, str(RUNNER_PACKAGE / "combine.py"), str(how.data_file), rcfile, str(how.work / "coverage.json"),
        json.dumps([str(repo.root.resolve()), *(r for r in roots if r != str(repo.root.resolve()))]),
        *(str(p.resolve()) for p in data_files),
    ]  # fmt: skip
    done = proc.run(argv, cwd=repo.root, env=how.env, check=False, timeout=cfg.test_timeout)
    if done.returncode != 0:
        raise ShardError(
            f"`coverage combine` of the shards' data failed (exit {done.returncode}): "
            + (done.stderr or done.stdout).strip()[-800:],
            hint="The shards must run the same tree with the same coverage version and settings.",
        )
    report = from_json(json.loads((how.work / "coverage.json").read_text(encoding="utf-8")))
    return report, how.data_file


def write_xml(repo: git.Repo, cfg: Config, dest: Path) -> None:
    """A Cobertura report of the combined data, for CI systems."""
    how = runner(_scratch(repo, "shard-verdict"), cfg)
    proc.run(
        [*how.python, "-m", "coverage", "xml", "-q", *how.cov_args, "-o", str(dest.resolve()), "--fail-under=0"],
        cwd=repo.root, env=how.env, check=False, timeout=600,
    )  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    patch: tuple[int, int] | None
    """(covered, measured) units among the changed lines."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def patch_display(self) -> str | None:
        if not self.patch or not self.patch[1]:
            return None
        return display_percent(100.0 * self.patch[0] / self.patch[1])


def verdict(
    report: CoverageReport,
    *,
    floor: FloorSetting | None,
    previous: str | None,
    previous_source: str,
    ratchet: bool,
    tolerance: float,
    changed: dict[str, set[int]] | None,
    fail_under_changed: float | None,
) -> Verdict:
    """The gate's coverage rules on combined data: the floor at the project's precision, the ratchet
    against the base's figure, the changed lines' floor (``changed`` None: no base to compare with)."""
    from stepcommit.gates.verdict import floor_problem

    problems: list[str] = []
    notes: list[str] = []
    if floor is not None and (refused := floor_problem(report, floor)):
        problems.append(refused)
    if ratchet and changed is not None:
        if previous is None:
            notes.append(f"ratchet not applied: {previous_source}")
        elif float(report.display) < float(previous) - tolerance:
            problems.append(f"coverage fell from {previous}% to {report.display}% (ratchet)")
    patch = None
    if changed is not None:
        covered, measured = patch_coverage(report, changed)
        patch = (covered, measured) if measured else None
        if fail_under_changed is not None and measured and 100.0 * covered / measured < fail_under_changed:
            share = display_percent(100.0 * covered / measured)
            problems.append(
                f"changed lines {share}% covered ({covered} of {measured}), under fail_under_changed = "
                f"{fail_under_changed:g}%"
            )
    return Verdict(tuple(problems), tuple(notes), patch)


def project_floor_of(repo: git.Repo, cfg: Config) -> FloorSetting | None:
    """The floor the gate applies: [tool.stepcommit] fail_under, else coverage's own setting."""
    if cfg.fail_under is not None:
        return FloorSetting(cfg.fail_under, 2)
    return project_floor(repo.root)


def merge_durations(parts: list[dict[str, float]]) -> dict[str, float]:
    """One durations file from the shards' own: each shard measured only its tests, so their union
    is a full run's (a later part wins a test both name)."""
    merged: dict[str, float] = {}
    for part in parts:
        merged.update({str(k): float(v) for k, v in part.items()})
    return dict(sorted(merged.items()))


def read_durations(source: Path) -> dict[str, float]:
    """The union of the shard durations files in the folder ``source`` (and of its merged
    `test_durations`, the verdict job's), or the one durations file ``source`` names."""
    if source.is_file():
        found = [source]
    else:
        merged = source / "test_durations"
        found = [*([merged] if merged.is_file() else []), *sorted(source.glob("shard-*.durations"))]
    parts = []
    for path in found:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            parts.append(data)
    return merge_durations(parts)


def write_durations(path: Path, durations: dict[str, float]) -> None:
    """pytest-split's own layout (sorted keys, four-space indent), so a regenerated file diffs by its times."""
    path.write_text(json.dumps(durations, sort_keys=True, indent=4) + "\n", encoding="utf-8")


def measure_durations(repo: git.Repo, cfg: Config) -> tuple[TestRun, dict[str, float]]:
    """One full run under coverage (as the shards run) that writes every test's time to
    .test_durations with pytest-split's --store-durations; tests gone from the suite are dropped."""
    path = repo.root / DURATIONS
    args = ["--store-durations", "--clean-durations", f"--durations-path={path.resolve()}"]
    full_cfg = dataclasses.replace(cfg, pytest_args=[*cfg.pytest_args, *args], incremental=False)
    run = run_tests(_scratch(repo, "shard-run"), full_cfg)
    if run.problem and "unrecognized arguments: --store-durations" in run.output_tail:
        raise ToolMissing(
            "The project's environment has no pytest-split, which records the durations.",
            hint="Add it to the project: `uv add --dev pytest-split`.",
        )
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return run, data if isinstance(data, dict) else {}
