"""`stepcommit.shards`: shard folders a CI job can leave incomplete or mixed, read from real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepcommit.shards import ShardError, data_name, read_durations, read_shards


def _shard(folder: Path, group: int, splits: int, *, data: bool = True, problem: str | None = None) -> None:
    folder.mkdir(exist_ok=True)
    record = {"group": group, "splits": splits, **({"problem": problem} if problem else {})}
    (folder / f"shard-{group}.json").write_text(json.dumps(record), encoding="utf-8")
    if data:
        (folder / data_name(group)).write_bytes(b"")


def test_shards_of_different_splits_are_refused(tmp_path: Path) -> None:
    _shard(tmp_path, 1, 2)
    _shard(tmp_path, 2, 3)
    with pytest.raises(ShardError, match=r"come from different splits \(2, 3\)") as caught:
        read_shards(tmp_path)
    assert caught.value.hint == "Use the artifacts of one pipeline run only."


def test_a_passed_shard_without_its_coverage_data_is_refused(tmp_path: Path) -> None:
    _shard(tmp_path, 1, 2)
    _shard(tmp_path, 2, 2, data=False)
    (tmp_path / "shard-notes.json").write_text("not a shard record")  # other files are not read
    with pytest.raises(
        ShardError, match=r"Shard 2 of 2 passed but left no coverage data \(shard-2\.coverage\)\."
    ):
        read_shards(tmp_path)


def test_a_failed_shard_without_data_is_reported_not_refused(tmp_path: Path) -> None:
    _shard(tmp_path, 1, 2)
    _shard(tmp_path, 2, 2, data=False, problem="tests failed")
    shards = read_shards(tmp_path)
    assert "shard 2 of 2: tests failed" in shards.problems


def test_durations_files_that_are_not_objects_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "shard-1.durations").write_text(json.dumps({"tests/test_a.py::test_a": 1.5}))
    (tmp_path / "shard-2.durations").write_text(json.dumps(["not", "a", "mapping"]))
    assert read_durations(tmp_path) == {"tests/test_a.py::test_a": 1.5}
