"""`log`: entries stored and echoed with tokens redacted, cheaply (real CLI, real repository)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stepcommit.agents.capture import capture
from stepcommit.agents.model import Observed
from stepcommit.cli import main
from stepcommit.redact import redact
from tests.conftest import git

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY"
# (what the agent logs, the secret in it)
TOKENS = [
    ("Called the API with Authorization: Bearer abcDEF123456ghiJKL789", "abcDEF123456ghiJKL789"),
    ("Stripe key sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + " set", "4eC39HqLyjWDarjtT1zdp7dc"),
    (
        "Maps key AIza" + "SyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe" + " works",
        "SyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
    ),
    ("Published with npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"),
    ('Config now {"api_key": "f00ba7d3adb33fc0ffee1234"}', "f00ba7d3adb33fc0ffee1234"),
    (f"Set aws_secret_access_key={AWS_SECRET}", AWS_SECRET),
    (f"Keys: AKIA{'IOSFODNN7EXAMPLE'} {AWS_SECRET}", AWS_SECRET),
    (f"{AWS_SECRET}", AWS_SECRET),
    (
        "Slack hook https://hooks.slack.com/services/T0AB12CD3/B0AB12CD3/abcdefABCDEF123456",
        "abcdefABCDEF123456",
    ),
    ("Twilio SK" + "a1" * 16 + " added", "a1" * 16),
]


@pytest.fixture
def in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(project)
    return project


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


@pytest.mark.parametrize(("text", "secret"), TOKENS)
def test_a_token_is_redacted_in_the_echo_status_and_progress_file(
    in_project: Path, capsys: pytest.CaptureFixture[str], text: str, secret: str
) -> None:
    assert run(["start"], capsys)[0] == 0
    code, out, err = run(["log", text], capsys)
    assert code == 0, err
    assert "[REDACTED]" in out and secret not in out + err
    code, out, _ = run(["status"], capsys)
    assert code == 0 and "[REDACTED]" in out and secret not in out
    code, out, _ = run(["status", "--json"], capsys)
    assert code == 0 and secret not in out
    assert "[REDACTED]" in json.loads(out)["progress"][0]["text"]
    stored = (in_project / ".git" / "stepcommit" / "progress.jsonl").read_text(encoding="utf-8")
    assert secret not in stored and "[REDACTED]" in stored


def test_plain_text_and_git_ids_are_kept(in_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = git(in_project, "rev-parse", "HEAD").strip()
    text = f"Rebased on {head}; Basic authentication and token refresh done; see docs/Key handling."
    code, out, _ = run(["log", text], capsys)
    assert code == 0 and out.strip() == f"1 {text}"


def test_an_entry_written_by_an_older_version_is_redacted_by_status(
    in_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = in_project / ".git" / "stepcommit" / "progress.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(json.dumps({"text": f"key {AWS_SECRET}", "time": "t", "source": "cli"}) + "\n")
    code, out, _ = run(["status", "--json"], capsys)
    assert code == 0 and AWS_SECRET not in out


def test_an_agent_entry_with_a_token_is_logged_once_and_its_seen_set_holds_no_token(project: Path) -> None:
    observed = Observed("claude", "PostToolUse", session="s1", completed=(f"Stored {AWS_SECRET} in vault",))
    first = capture(project / ".git", project, observed)
    again = capture(project / ".git", project, observed)
    assert [e.text for e in first] == ["Stored [REDACTED] in vault"] and again == []
    seen = (project / ".git" / "stepcommit" / "agent-seen.json").read_text(encoding="utf-8")
    assert AWS_SECRET not in seen


def test_log_of_plain_text_does_not_import_detect_secrets(project: Path) -> None:
    """`log` runs on every agent tool call: detect-secrets (~0.7 s to import) only when needed."""
    probe = (
        "import sys\nfrom stepcommit.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('detect_secrets' in sys.modules, file=sys.stderr)\n"
    )
    plain = subprocess.run(
        [sys.executable, "-c", probe, "log", "Created docker-compose.yml for SurrealDB."],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert plain.stderr.strip().splitlines()[-1] == "False"
    secret = subprocess.run(
        [sys.executable, "-c", probe, "log", 'Set password = "hunter2hunter2"'],
        cwd=project, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert secret.stderr.strip().splitlines()[-1] == "True"
    assert "hunter2" not in secret.stdout


def test_detect_secrets_findings_widen_to_the_whole_token() -> None:
    # detect-secrets reports only the "ghp" group of a GitHub token and 24 characters of a Stripe key.
    assert redact("x ghp_" + "a1B2" * 9 + " y") == "x [REDACTED] y"
    assert redact("sk_live_" + "a1B2" * 8) == "[REDACTED]"


def test_status_does_not_import_detect_secrets_for_redacted_entries(project: Path) -> None:
    probe = (
        "import sys\nfrom stepcommit.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('detect_secrets' in sys.modules, file=sys.stderr)\n"
    )
    subprocess.run([sys.executable, "-m", "stepcommit", "log", 'Set password = "hunter2hunter2"'], cwd=project,
                   check=True, capture_output=True)  # fmt: skip
    shown = subprocess.run([sys.executable, "-c", probe, "status", "--json"], cwd=project, capture_output=True,
                           text=True, check=True)  # fmt: skip
    assert shown.stderr.strip().splitlines()[-1] == "False"
    assert '"Set password = \\"[REDACTED]\\""' in shown.stdout
