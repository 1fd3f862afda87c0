"""message.annotate: what the prepare-commit-msg hook adds to an ordinary commit's message."""

from __future__ import annotations

from stepcommit.message import Annotation, annotate

NOTE = Annotation(("Created the model.", "Wired the API."), "3 passed in 0.10s", "91.30")


def test_m_message_keeps_its_text_and_gets_all_three() -> None:
    assert annotate("fix: parse dates\n", NOTE) == (
        "fix: parse dates\n\nProgress Updates\n1 Created the model.\n2 Wired the API.\n\n"
        "Tests: 3 passed in 0.10s\n\nCoverage: 91.30\n"
    )


def test_nothing_to_add_leaves_the_message_byte_for_byte() -> None:
    assert annotate("fix: x\n\n# comment\n", Annotation()) == "fix: x\n\n# comment\n"


def test_a_second_run_adds_nothing() -> None:
    once = annotate("fix: x\n", NOTE)
    assert annotate(once, NOTE) == once


def test_amend_continues_the_block_without_repeating() -> None:
    once = annotate("fix: x\n", Annotation(("Created the model.",), None, "90.00"))
    again = annotate(once, Annotation(("Created the model.", "Wired the API."), None, "91.30"))
    assert again == "fix: x\n\nProgress Updates\n1 Created the model.\n2 Wired the API.\n\nCoverage: 90.00\n"


def test_existing_trailers_stay_one_block_with_coverage() -> None:
    text = "feat: y\n\nBody.\n\nSigned-off-by: A <a@example.invalid>\n"
    assert annotate(text, Annotation(("Did it.",), None, "80.00")) == (
        "feat: y\n\nBody.\n\nProgress Updates\n1 Did it.\n\nSigned-off-by: A <a@example.invalid>\nCoverage: 80.00\n"
    )


def test_editor_template_comments_and_scissors_stay_at_the_end() -> None:
    text = (
        "\n# Please enter the commit message for your changes.\n#\n"
        "# ------------------------ >8 ------------------------\ndiff --git a/x b/x\n"
    )
    out = annotate(text, Annotation(("Did it.",)))
    assert out.startswith("\n\nProgress Updates\n1 Did it.\n\n# Please enter")
    assert out.endswith("diff --git a/x b/x\n")


def test_entries_are_cleaned_and_redacted() -> None:
    out = annotate("chore: z\n", Annotation(("\x1b[31mred\x1b[0m token=abcd1234efgh",)))
    assert "1 red token=[REDACTED]" in out and "\x1b" not in out


def test_other_comment_char() -> None:
    out = annotate("fix: x\n; note\n", Annotation(("Did it.",)), comment_char=";")
    assert out == "fix: x\n\nProgress Updates\n1 Did it.\n\n; note\n"


def test_an_empty_m_message_stays_empty_so_git_aborts() -> None:
    assert annotate("\n# comment\n", NOTE, editing=False) == "\n# comment\n"
