"""sqlite_store.py, in-process on real coverage data files, each result read back by coverage's own
CoverageData: the per-test merge, the union, the moved lines and the flattening."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from coverage import CoverageData

from stepcommit.runner.stepcommit_runner.job import PerTest
from stepcommit.runner.stepcommit_runner.sqlite_store import UNION, MergeError, flatten, index_store, merge

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
        rows = set(con.execute(f"select fromno, tono, n from {UNION}"))
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
        index_store(con)
    con.close()
    new = data_file(
        tmp_path / "new.db", {"": {source: [(-1, 1), (1, 3)]}, "t1": {source: [(5, 6), (6, 7), (7, -5)]}}
    )
    job = PerTest("out", "info", moves={source: [[1, 4, 0], [7, 12, 1]]})
    out = tmp_path / "out.db"
    merge(str(old), str(new), str(out), job, "", ["t1"], ["t1", "t2"])
    assert arcs_of(out, source, "t2") == [(11, 12), (12, -11)]
    assert arcs_of(out, source, "t1") == [(5, 6), (6, 7), (7, -5)]
    everything = arcs_of(out, source)
    assert everything == [(-1, 1), (1, 3), (5, 6), (6, 7), (7, -5), (11, 12), (12, -11)]
    assert {(a, b) for a, b, _n in union_table(out)} == set(everything)
    flat = tmp_path / "flat.db"
    flatten(str(out), str(flat))
    assert arcs_of(flat, source) == everything


def test_a_kept_test_on_a_changed_line_fails_the_merge(tmp_path: Path, source: str) -> None:
    old = data_file(tmp_path / "old.db", {"": {source: [(-1, 1)]}, "t2": {source: [(5, 6)]}})
    new = data_file(tmp_path / "new.db", {"": {source: [(-1, 1)]}})
    with pytest.raises(MergeError, match="ran line 5, inside a changed function"):
        merge(
            str(old),
            str(new),
            str(tmp_path / "out.db"),
            PerTest("out", "info", moves={source: [[1, 4, 0], [7, 12, 1]]}),
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
    job = PerTest(
        "out", "info", collect=("a",), recollect_old=("a::t1", "a::gone"), drop_tests=("b::deleted",)
    )
    out = tmp_path / "out.db"
    merge(str(old), str(new), str(out), job, "", ["a::t1"], ["a::t1"])
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
    merge(
        str(old),
        str(new),
        str(out),
        PerTest("out", "info", deleted=(str(other),)),
        "ci",
        ["t1"],
        ["t1", "t2"],
    )
    data = CoverageData(str(out))
    data.read()
    assert sorted(data.measured_files()) == [source]
    assert sorted(data.lines(source) or []) == [1, 2, 3, 5, 6, 7]
    flat = tmp_path / "flat.db"
    flatten(str(out), str(flat))
    flat_data = CoverageData(str(flat))
    flat_data.read()
    assert sorted(flat_data.lines(source) or []) == [1, 2, 3, 5, 6, 7] and not flat_data.has_arcs()


def test_other_schemas_and_mixed_measurements_are_refused(tmp_path: Path, source: str) -> None:
    old = data_file(tmp_path / "old.db", {"": {source: [(1, 2)]}})
    lines = data_file(tmp_path / "lines.db", {"": {source: [(1, 2)]}}, arcs=False)
    with pytest.raises(MergeError, match="lines or branches"):
        merge(str(old), str(lines), str(tmp_path / "out.db"), PerTest("out", "info"), "", [], [])
    with sqlite3.connect(old) as con:
        con.execute("update coverage_schema set version = 6")
    con.close()
    with pytest.raises(MergeError, match="schema"):
        merge(
            str(old),
            str(tmp_path / "missing.db"),
            str(tmp_path / "out.db"),
            PerTest("out", "info"),
            "",
            [],
            [],
        )
