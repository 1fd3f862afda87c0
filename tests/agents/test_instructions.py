"""The loop written into the agent's instruction file: once, in a marked block, updated in place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stepcommit.agents.instructions import BEGIN, END, block, instruction_file, template, with_block
from stepcommit.commands.install import install
from tests.conftest import write


def test_the_template_names_the_loop() -> None:
    text = template()
    for part in ("stepcommit start", "stepcommit log", "stepcommit check --json", "`prompt`",
                 "stepcommit finish", "--no-verify"):  # fmt: skip
        assert part in text


def test_agents_md_gets_the_block_once_and_keeps_its_own_text(project: Path) -> None:
    write(project, {"AGENTS.md": "# Notes for agents\n\nUse uv.\n"})
    install(cwd=project, agents=["codex", "cursor"])
    text = (project / "AGENTS.md").read_text(encoding="utf-8")
    assert text.startswith("# Notes for agents\n\nUse uv.\n\n" + BEGIN)
    assert text.count(BEGIN) == 1 and text.endswith(END + "\n")
    install(cwd=project, agents=["codex"])
    assert (project / "AGENTS.md").read_text(encoding="utf-8") == text


def test_an_old_block_is_replaced_in_place(project: Path) -> None:
    write(project, {"AGENTS.md": f"Intro\n\n{BEGIN}\nold loop\n{END}\n\nOutro\n"})
    install(cwd=project, agents=["gemini"])
    text = (project / "AGENTS.md").read_text(encoding="utf-8")
    assert text == f"Intro\n\n{block()}\n\nOutro\n"


def test_claude_md_when_it_exists_or_is_configured(project: Path) -> None:
    assert instruction_file(project, "claude") == "AGENTS.md"
    write(project, {"CLAUDE.md": "# Project\n"})
    assert instruction_file(project, "claude") == "CLAUDE.md"
    assert instruction_file(project, "codex") == "AGENTS.md"
    install(cwd=project, agents=["claude"])
    assert BEGIN in (project / "CLAUDE.md").read_text(encoding="utf-8")
    assert not (project / "AGENTS.md").exists()


def test_configured_file(project: Path) -> None:
    write(
        project,
        {
            "pyproject.toml": '[project]\nname = "calc"\n\n[tool.stepcommit]\nagent_instructions = "CLAUDE.md"\n'
        },
    )
    install(cwd=project, agents=["claude"])
    assert (project / "CLAUDE.md").read_text(encoding="utf-8") == block() + "\n"


def test_dry_run_shows_the_block_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    install(cwd=project, agents=["codex"], dry_run=True)
    shown = capsys.readouterr().out
    assert "AGENTS.md: would be created" in shown and block() in shown
    assert not (project / "AGENTS.md").exists()
    install(cwd=project, agents=["codex"])
    capsys.readouterr()
    install(cwd=project, agents=["codex"], dry_run=True, as_json=True)
    assert json.loads(capsys.readouterr().out)["files"]["AGENTS.md"] == "unchanged"


def test_crlf_files_keep_their_line_endings() -> None:
    text = with_block("Intro\r\n", block("x"))
    assert text == f"Intro\r\n\r\n{BEGIN}\r\nx\r\n{END}\r\n"
    assert with_block(text, block("x")) == text


def test_gemini_is_told_to_read_agents_md(project: Path) -> None:
    write(project, {".gemini/settings.json": json.dumps({"context": {"fileName": "CONTEXT.md"}})})
    install(cwd=project, agents=["gemini"])
    data = json.loads((project / ".gemini/settings.json").read_text(encoding="utf-8"))
    assert data["context"]["fileName"] == ["AGENTS.md", "CONTEXT.md"]
    assert BEGIN in (project / "AGENTS.md").read_text(encoding="utf-8")
