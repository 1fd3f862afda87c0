"""Names vulture (tests/test_house.py) sees as unused that are used: by typer, pytest, or a format.

Never imported: vulture reads each bare name as a use."""
# ruff: noqa
# mypy: ignore-errors

# typer commands: the decorator registers them.
plan_mark, ci_gitlab, ci_github, ci_shard, ci_verdict, ci_durations
# pytest plugin hooks: pytest calls them by name; their parameters are pytest's names.
pytest_configure, pytest_sessionstart, pytest_configure_node, pytest_testnodedown
pytest_collection_modifyitems, pytest_runtest_protocol, pytest_sessionfinish
pytest_runtest_logreport, pytest_collectreport, pytest_collection_finish
pytest_xdist_node_collection_finished, pytest_xdist_setupnodes
nextitem, specs
# coverage's plugin API and git's hook arguments: parameters whose names the caller fixes.
file_reporter, sha
# The runner's result record: fields read back as JSON by stepcommit.
rerun, missing_count, recorded, collection, sessionfinish, deselected, skipped_run
# ruamel.yaml settings, read by the library.
preserve_quotes
# The oracle of tests/plan/test_blocks.py.
markdown_it_only
