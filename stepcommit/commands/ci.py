"""`stepcommit ci gitlab|github`: a CI file running the stepcommit gate with JUnit and Cobertura reports;
`ci shard`, `ci verdict` and `ci durations`: the suite split over CI machines, and one verdict on it."""

from __future__ import annotations

from pathlib import Path

from stepcommit import config as config_mod
from stepcommit import git, output
from stepcommit.errors import GateFailed
from stepcommit.setup import ci_files, files, setup_report


def ci(
    *,
    cwd: Path,
    kind: str,
    name: str = "tests",
    shards: int | None = None,
    force: bool = False,
    dry_run: bool = False,
    as_json: bool = False,
) -> int:
    root = git.find_repo(cwd).root
    change = ci_files.plan(root, kind, name=name, shards=shards, force=force)
    if not dry_run:
        files.apply([change])
    steps = []
    if change.changed:
        steps.append(
            f"git add {change.path.relative_to(root).as_posix()} && git commit -m 'ci: run the stepcommit gate'"
        )
    if shards and not (root / ci_files.DURATIONS).is_file():
        steps.append(
            f"stepcommit ci durations && git add {ci_files.DURATIONS}  # the shards split by recorded test times"
        )
    setup_report.show(root, [change], dry_run=dry_run, as_json=as_json, next_steps=steps)
    return 0


def shard(*, cwd: Path, splits: int, group: int, out: Path, as_json: bool = False) -> int:
    """Run one shard of the suite under coverage; its data, counts and durations go to ``out``."""
    from stepcommit import shards

    repo = git.find_repo(cwd)
    cfg = config_mod.load(repo.root)
    run = shards.run_shard(repo, cfg, splits=splits, group=group, out=out)
    summary = run.tests.summary() if run.tests else "?"
    if as_json:
        output.emit_json({"group": group, "splits": splits, "ok": run.ok, "problem": run.problem,
                          "tests": summary, "out": str(out)})  # fmt: skip
        return 0 if run.ok else GateFailed.exit_code
    if not run.ok:
        failures = "\n".join(f"  {f.test}: {f.message}" for f in run.failures[:20])
        raise GateFailed(
            f"Shard {group} of {splits} failed: {run.problem}." + (f"\n{failures}" if failures else "")
            + ("" if failures else f"\n{run.output_tail}"),
            hint="Its results are in the --out folder all the same; the verdict job will refuse the pipeline.",
        )  # fmt: skip
    output.say(f"Shard {group} of {splits}: {summary}; coverage data in {out}")
    return 0


def verdict(
    *,
    cwd: Path,
    folder: Path,
    base_ref: str | None = "auto",
    coverage_xml: Path | None = None,
    as_json: bool = False,
) -> int:
    """The gate's verdict on the shards' combined coverage data: the exact total, the floor, the
    ratchet and the changed lines against ``base_ref`` (`auto`: the CI's target, as `check --base auto`)."""
    from stepcommit import shards
    from stepcommit.commands.check import resolve_base
    from stepcommit.gates.baseline import base_coverage
    from stepcommit.message import CoverageFigure, format_lowest

    repo = git.find_repo(cwd)
    cfg = config_mod.load(repo.root)
    found = shards.read_shards(folder)
    shards.refuse_other_commits(found, git.head_commit(repo.root))
    if found.problems:
        raise GateFailed(
            "The gate failed: " + "; ".join(found.problems) + ".",
            hint="Each shard's own log names its failing tests.",
        )
    report, _data = shards.combine(repo, cfg, found.data_files, found.roots)
    merged = shards.read_durations(folder)
    if merged:
        shards.write_durations(folder / "test_durations", merged)
    base = resolve_base(repo, base_ref) if base_ref is not None else None
    floor = shards.project_floor_of(repo, cfg)
    previous, source, changed = None, "no base to compare with", None
    if base is not None:
        head = git.head_commit(repo.root) or "HEAD"
        changed = git.changed_lines(repo.root, base, head)
        early = shards.verdict(report, floor=floor, previous=None, previous_source="", ratchet=False,
                               tolerance=0.0, changed=changed, fail_under_changed=cfg.fail_under_changed)  # fmt: skip
        if cfg.ratchet:
            baseline = base_coverage(repo, cfg, base, measure=early.ok)
            previous, source = baseline.display, baseline.source
    result = shards.verdict(
        report, floor=floor, previous=previous, previous_source=source, ratchet=cfg.ratchet,
        tolerance=cfg.ratchet_tolerance, changed=changed, fail_under_changed=cfg.fail_under_changed,
    )  # fmt: skip
    if coverage_xml is not None:
        shards.write_xml(repo, cfg, coverage_xml)
    if as_json:
        output.emit_json({
            "ok": result.ok, "problems": list(result.problems), "notes": list(result.notes),
            "shards": found.splits, "tests": found.tests.summary(), "coverage": report.total,
            "coverage_display": report.display, "previous_coverage": previous,
            "changed_lines": None if result.patch is None else {
                "covered": result.patch[0], "measured": result.patch[1], "display": result.patch_display},
        })  # fmt: skip
        return 0 if result.ok else GateFailed.exit_code
    if not result.ok:
        raise GateFailed(
            f"The gate failed: {'; '.join(result.problems)}.",
            hint="`stepcommit coverage --prompt` on your machine says what to test next.",
        )
    output.say(f"Tests: {found.tests.summary()} ({found.splits} shards)")
    figure = CoverageFigure(report.total, report.display, previous, changed_lines=result.patch_display)
    # GitLab's coverage regex reads this line: keep it starting with "Coverage: NN.NN%".
    output.say(f"Coverage: {figure.line()}")
    if report.lowest():
        output.say(f"Lowest: {format_lowest(report.lowest())}")
    for note in result.notes:
        output.note(f"note: {note}")
    return 0


def durations(*, cwd: Path, source: Path | None = None, as_json: bool = False) -> int:
    """Write .test_durations: from the shards' own files in ``source`` (a CI run's artifacts), or
    from one full run of the suite here."""
    from stepcommit import shards

    repo = git.find_repo(cwd)
    path = repo.root / shards.DURATIONS
    if source is not None:
        found = shards.read_durations(source)
        if not found:
            raise shards.ShardError(
                f"{source} holds no shard durations (shard-N.durations).",
                hint="Download the shards' artifacts of one pipeline run into it.",
            )
        shards.write_durations(path, found)
    else:
        run, found = shards.measure_durations(repo, config_mod.load(repo.root))
        if not run.ok:
            raise GateFailed(
                f"The test run failed ({run.problem}); {shards.DURATIONS} holds the times of the tests that ran.",
                hint="Fix the failing tests and run `stepcommit ci durations` again.",
            )
    if as_json:
        output.emit_json({"path": str(path), "tests": len(found), "seconds": round(sum(found.values()), 3)})
    else:
        output.say(f"{shards.DURATIONS}: {len(found)} tests, {sum(found.values()):.2f}s in all")
    return 0
