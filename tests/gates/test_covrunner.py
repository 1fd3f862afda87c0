"""The per-test merge, the union, the flattening and the parse cache of covrunner.py, in-process on
real coverage data files (the gate tests run the same code in the project's interpreter, where
coverage cannot see it)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from coverage import CoverageData
from coverage.config import CoverageConfig

from stepcommit.gates import covrunner
from stepcommit.gates.covrunner import MergeError, _flatten, _index_store, _merge

SOURCE = "".join(f"x{n} = {n}\n" for n in range(1, 13))


def data_file(
    path: Path, contexts: dict[str, dict[str, list[tuple[int, int]]]], *, arcs: bool = True
) -> Path:
    data = CoverageData(str(path))
    for context, files in contexts.items():
        data.set_context(context)
        if arcs:
            data.add_arcs(files)
        else:
            data.add_lines(
                {name: sorted({n for arc in pairs for n in arc if n > 0}) for name, pairs in files.items()}
            )
    data.write()
    return path


def arcs_of(path: Path, source: str, context: str | None = None) -> list[tuple[int, int]]:
    data = CoverageData(str(path))
    data.read()
    if context is not None:
        data.set_query_contexts([f"^{context}$"])
    return sorted(data.arcs(source) or [])


def union_table(path: Path) -> set[tuple[int, int, int]]:
    with sqlite3.connect(path) as con:
        rows = set(con.execute(f"select fromno, tono, n from {covrunner._UNION}"))
    con.close()
    return rows


@pytest.fixture
def source(tmp_path: Path) -> str:
    path = tmp_path / "mod.py"
    path.write_text(SOURCE)
    return str(path)


def test_rerun_tests_replace_theirs_kept_tests_move_and_the_union_follows(
    tmp_path: Path, source: str
) -> None:
    old = data_file(tmp_path / "old.db", {
        "": {source: [(-1, 1), (1, 3)]},
        "t1": {source: [(5, 6), (6, -5)]},  # ran the function body at 5-6, which the edit changes
        "t2": {source: [(10, 11), (11, -10)]},  # below it: moves down by one
    })  # fmt: skip
    with sqlite3.connect(old) as con:
        _index_store(con)
    con.close()
    new = data_file(
        tmp_path / "new.db", {"": {source: [(-1, 1), (1, 3)]}, "t1": {source: [(5, 6), (6, 7), (7, -5)]}}
    )
    job = {"moves": {source: [[1, 4, 0], [7, 12, 1]]}}
    out = tmp_path / "out.db"
    _merge(str(old), str(new), str(out), job, "", ["t1"], ["t1", "t2"])
    assert arcs_of(out, source, "t2") == [(11, 12), (12, -11)]
    assert arcs_of(out, source, "t1") == [(5, 6), (6, 7), (7, -5)]
    everything = arcs_of(out, source)
    assert everything == [(-1, 1), (1, 3), (5, 6), (6, 7), (7, -5), (11, 12), (12, -11)]
    assert {(a, b) for a, b, _n in union_table(out)} == set(everything)
    flat = tmp_path / "flat.db"
    _flatten(str(out), str(flat))
    assert arcs_of(flat, source) == everything


def test_a_kept_test_on_a_changed_line_fails_the_merge(tmp_path: Path, source: str) -> None:
    old = data_file(tmp_path / "old.db", {"": {source: [(-1, 1)]}, "t2": {source: [(5, 6)]}})
    new = data_file(tmp_path / "new.db", {"": {source: [(-1, 1)]}})
    with pytest.raises(MergeError, match="ran line 5, inside a changed function"):
        _merge(
            str(old),
            str(new),
            str(tmp_path / "out.db"),
            {"moves": {source: [[1, 4, 0], [7, 12, 1]]}},
            "",
            [],
            ["t2"],
        )


def test_a_partial_collection_keeps_the_import_time_context_and_drops_vanished_tests(
    tmp_path: Path, source: str
) -> None:
    old = data_file(tmp_path / "old.db", {
        "": {source: [(-1, 1), (1, 2)]},
        "a::t1": {source: [(3, 4)]},
        "a::gone": {source: [(8, 9)]},
        "b::deleted": {source: [(10, 11)]},
        "c::kept": {source: [(3, 4), (5, 6)]},
    })  # fmt: skip
    new = data_file(tmp_path / "new.db", {"": {source: [(-1, 1)]}, "a::t1": {source: [(3, 4), (4, 5)]}})
    job = {"collect": ["a"], "recollect_old": ["a::t1", "a::gone"], "drop_tests": ["b::deleted"]}
    out = tmp_path / "out.db"
    _merge(str(old), str(new), str(out), job, "", ["a::t1"], ["a::t1"])
    with sqlite3.connect(out) as con:
        contexts = sorted(c for (c,) in con.execute("select context from context"))
    con.close()
    assert contexts == ["", "a::t1", "c::kept"]
    assert arcs_of(out, source, "") == [(-1, 1), (1, 2)]  # the import-time arcs, counted once
    assert union_table(out) == {(-1, 1, 1), (1, 2, 1), (3, 4, 2), (4, 5, 1), (5, 6, 1)}


def test_static_contexts_deleted_files_and_line_data(tmp_path: Path, source: str) -> None:
    other = tmp_path / "gone.py"
    old = data_file(tmp_path / "old.db", {
        "ci": {source: [(1, 2)], str(other): [(1, 2)]},
        "ci|t1": {source: [(3, 4)]},
        "ci|t2": {source: [(5, 6)]},
    }, arcs=False)  # fmt: skip
    new = data_file(tmp_path / "new.db", {"ci": {source: [(1, 2)]}, "ci|t1": {source: [(3, 7)]}}, arcs=False)
    out = tmp_path / "out.db"
    _merge(str(old), str(new), str(out), {"deleted": [str(other)]}, "ci", ["t1"], ["t1", "t2"])
    data = CoverageData(str(out))
    data.read()
    assert sorted(data.measured_files()) == [source]
    assert sorted(data.lines(source) or []) == [1, 2, 3, 5, 6, 7]
    flat = tmp_path / "flat.db"
    _flatten(str(out), str(flat))
    flat_data = CoverageData(str(flat))
    flat_data.read()
    assert sorted(flat_data.lines(source) or []) == [1, 2, 3, 5, 6, 7] and not flat_data.has_arcs()


def test_other_schemas_and_mixed_measurements_are_refused(tmp_path: Path, source: str) -> None:
    old = data_file(tmp_path / "old.db", {"": {source: [(1, 2)]}})
    lines = data_file(tmp_path / "lines.db", {"": {source: [(1, 2)]}}, arcs=False)
    with pytest.raises(MergeError, match="lines or branches"):
        _merge(str(old), str(lines), str(tmp_path / "out.db"), {}, "", [], [])
    with sqlite3.connect(old) as con:
        con.execute("update coverage_schema set version = 6")
    con.close()
    with pytest.raises(MergeError, match="schema"):
        _merge(str(old), str(tmp_path / "missing.db"), str(tmp_path / "out.db"), {}, "", [], [])


PARSE_TWICE = """
import json, sys
from coverage import Coverage
from stepcommit.gates import covrunner

folder, data, out = sys.argv[1:]
created_counts = []
for name in ("first", "second"):
    cov = Coverage(data_file=data, config_file=False)
    cov.load()
    covrunner._lean_json_report()
    created = covrunner._cache_parsers(folder)
    cov.json_report(outfile=out + name)
    covrunner._save_parsers(folder, created)
    created_counts.append(len(created))
print(json.dumps(created_counts))
"""


def test_the_parse_cache_gives_coverage_the_same_report(tmp_path: Path) -> None:
    # In a process of its own: a Coverage object created in a measured pytest-xdist worker would
    # keep that worker's own measurement from being saved.
    module = tmp_path / "branchy.py"
    module.write_text("def f(x):\n    if x:\n        return 1\n    return 2\n")
    data_file(tmp_path / ".coverage", {"": {str(module): [(-1, 1), (1, -1), (-1, 2), (2, 3), (3, -1)]}})
    cache = tmp_path / "cache"
    cache.mkdir()
    out = tmp_path / "report"
    result = subprocess.run(
        [sys.executable, "-c", PARSE_TWICE, str(cache), str(tmp_path / ".coverage"), str(out)],
        capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    assert json.loads(result.stdout) == [1, 0]  # parsed once, then read back from the cache
    assert len(list(cache.iterdir())) == 1
    first, second = (Path(f"{out}{n}").read_text().split('"files"', 1)[1] for n in ("first", "second"))
    assert first == second and '"executed_lines": [1, 2, 3]' in first


def test_the_environment_decides_between_a_selection_and_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the plugin's folder goes on it
    cov = SimpleNamespace(config=CoverageConfig())  # what covrunner reads of a Coverage object
    env = covrunner._environment(cov, ["-x"])
    assert env["pytest_args"] == ["-x"] and set(env) >= {
        "python",
        "coverage",
        "pytest",
        "packages",
        "settings",
    }
    same = covrunner._setup_per_test({"select": ["t"], "env": env}, cov, ["-x"], str(tmp_path))
    assert same["mode"] == "incremental" and same["select"] == ["t"]
    other = covrunner._setup_per_test({"select": ["t"], "env": env}, cov, ["-q"], str(tmp_path))
    assert other["mode"] == "full" and other["reason"] == "the test environment changed (pytest_args)"
    dynamic = SimpleNamespace(config=CoverageConfig())
    dynamic.config.dynamic_context = "test_function"
    off = covrunner._setup_per_test({"select": ["t"], "env": env}, dynamic, ["-x"], str(tmp_path))
    assert off["disabled"].startswith("the project sets coverage's dynamic_context")
    assert (tmp_path / "_stepcommit_contexts.py").is_file()
