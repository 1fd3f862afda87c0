"""The only code that knows coverage's SQLite schema (7, coverage 5 to 7): merging per-test data,
the arc union stepcommit adds, moving kept lines, flattening contexts away, and naming a store's
files under another checkout.

tests/runner/test_sqlite_store.py checks each against coverage's own reading of the files.
"""

from __future__ import annotations

import os
import shutil
import sqlite3

from .job import PerTest


class MergeError(Exception):
    """The stored per-test data cannot be carried forward exactly: the caller runs everything."""


def merge(
    old_db: str,
    new_db: str,
    out_db: str,
    job: PerTest,
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

        partial = job.collect is not None
        if partial:
            # Only some test files were collected: the import-time context stays (the new run's is a
            # subset of it), the tests rerun go, and so do the tests those files no longer hold.
            gone = set(ran) | set(job.drop_tests) | (set(job.recollect_old) - set(collected))
            gone_names = {name(n) for n in gone}
            stale = [cid for cid, ctx in con.execute("select id, context from context") if ctx in gone_names]
        else:
            alive = {name(n) for n in collected} - {name(n) for n in ran}
            stale = [
                cid for cid, ctx in con.execute("select id, context from context") if ctx not in alive
            ]  # the import-time context, tests rerun, tests gone
        index_store(con)
        con.execute("create temp table stale (id integer primary key)")
        con.executemany("insert into stale (id) values (?)", [(c,) for c in stale])
        # The union's counts lose what the stale contexts held, then their rows go.
        con.execute(
            "create temp table gone as select file_id, fromno, tono, count(*) as c from arc "
            "where context_id in (select id from stale) group by file_id, fromno, tono"
        )
        con.execute(
            f"update {UNION} as u set n = u.n - g.c from gone g "
            "where g.file_id = u.file_id and g.fromno = u.fromno and g.tono = u.tono"
        )
        con.execute(f"delete from {UNION} where n <= 0")
        for table, column in (("line_bits", "context_id"), ("arc", "context_id"), ("context", "id")):
            con.execute(f"delete from {table} where {column} in (select id from stale)")
        for path in job.deleted:
            row = con.execute("select id from file where path = ?", (path,)).fetchone()
            if row:
                for table in ("line_bits", "arc", "tracer", UNION):
                    con.execute(f"delete from {table} where file_id = ?", row)
                con.execute("delete from file where id = ?", row)
        for path, moves in job.moves.items():
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
            f"insert into {UNION} (file_id, fromno, tono, n) select file_id, fromno, tono, count(*) "
            "from added group by file_id, fromno, tono "
            "on conflict (file_id, fromno, tono) do update set n = n + excluded.n"
        )
        con.execute(f"delete from {UNION} where n <= 0")
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


UNION = "stepcommit_arc_union"
"""A table stepcommit adds to the store: each arc once, with how many contexts hold it."""


def index_store(con: sqlite3.Connection) -> None:
    """Add what makes a merge cheap to a per-test data file (once): an index of arcs by context and
    the union of all arcs with their counts, kept up to date by each merge. coverage ignores both."""
    con.execute("create index if not exists stepcommit_arc_context on arc (context_id)")
    exists = con.execute("select 1 from sqlite_master where type = 'table' and name = ?", (UNION,)).fetchone()
    if not exists:
        con.execute(
            f"create table {UNION} (file_id integer, fromno integer, tono integer, n integer, "
            "primary key (file_id, fromno, tono)) without rowid"
        )
        con.execute(
            f"insert into {UNION} select file_id, fromno, tono, count(*) from arc group by file_id, fromno, tono"
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
    for table in ("arc", UNION):
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


def flatten(src_db: str, flat_db: str) -> None:
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
                "select 1 from sqlite_master where type = 'table' and name = ?", (UNION,)
            ).fetchone()
            query = (
                f"select file_id, fromno, tono from {UNION}"
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


def move_root(src_db: str, dst_db: str, old_root: str, new_root: str) -> None:
    """Write ``dst_db``: ``src_db`` with every measured file under ``old_root`` named under ``new_root``
    instead (the same repository checked out elsewhere: another worktree, a throw-away checkout).

    coverage records absolute paths; the per-test store is shared by every checkout of a repository,
    so a checkout reads the data of another through such a copy. Files outside ``old_root`` keep their
    names; a name the move would make twice is an sqlite3 error (the caller runs everything)."""
    shutil.copyfile(src_db, dst_db)
    old_prefix, new_prefix = old_root.rstrip(os.sep) + os.sep, new_root.rstrip(os.sep) + os.sep
    con = sqlite3.connect(dst_db)
    try:
        con.execute(
            "update file set path = ? || substr(path, ?) where substr(path, 1, ?) = ?",
            (new_prefix, len(old_prefix) + 1, len(old_prefix), old_prefix),
        )
        con.commit()
    finally:
        con.close()
