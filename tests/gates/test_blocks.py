"""Which part of an edited file a test can notice: function bodies versus import-time code."""

from __future__ import annotations

from stepcommit.gates.blocks import compare, layout

SOURCE = '''\
"""Doc."""

LIMIT = 10


def first(x):
    return x + 1


class Box:
    size = 3

    @property
    def area(self):
        return self.size * self.size

    def grow(self, by=1):
        def inner():
            return by
        self.size += inner()
'''


def test_layout_finds_module_and_class_level_function_bodies() -> None:
    found = layout(SOURCE)
    assert [(b.name, b.start, b.end) for b in found.blocks] == [
        ("first", 7, 7),
        ("Box.area", 15, 15),
        ("Box.grow", 18, 20),
    ]
    assert "\0block Box.grow\0" in found.skeleton
    assert found.line_count == 20


def test_a_body_edit_changes_only_that_function_and_moves_the_lines_below() -> None:
    edited = SOURCE.replace("    return x + 1\n", "    if x < 0:\n        return 0\n    return x + 1\n")
    change = compare(SOURCE, edited)
    assert not change.whole_file
    assert change.changed == ((7, 7),)
    assert change.new_line(3) == 3  # above the edit
    assert change.new_line(7) is None  # inside the changed body
    assert change.new_line(15) == 17  # Box.area's body, two lines further down
    assert change.new_line(20) == 22


def test_nested_function_edits_belong_to_the_outer_function() -> None:
    change = compare(SOURCE, SOURCE.replace("return by", "return by * 2"))
    assert change.changed == ((18, 20),)
    assert change.new_line(15) == 15


def test_import_time_edits_reach_every_caller() -> None:
    for old, new in [
        ("LIMIT = 10", "LIMIT = 11"),  # a constant functions read
        ("def grow(self, by=1):", "def grow(self, by=2):"),  # a default, evaluated at import
        ("    @property\n", ""),  # a decorator
        ("class Box:\n", "class Box(object):\n"),
        ("\n\nclass Box", "\n\ndef second():\n    return 2\n\n\nclass Box"),  # a new function
    ]:
        assert old in SOURCE
        assert compare(SOURCE, SOURCE.replace(old, new)).whole_file, old


def test_files_that_do_not_parse_and_one_line_functions_count_as_whole_file_changes() -> None:
    assert compare(SOURCE, SOURCE + "def broken(:\n").whole_file
    one_liner = "def f(): return 1\n"
    assert compare(one_liner, "def f(): return 2\n").whole_file
    signature_on_body_line = "def f(\n    a): return a\n"
    assert layout(signature_on_body_line).blocks == ()


def test_an_unchanged_file_moves_nothing() -> None:
    change = compare(SOURCE, SOURCE)
    assert not change.whole_file and change.changed == ()
    assert all(change.new_line(n) == n for n in range(1, 21))
