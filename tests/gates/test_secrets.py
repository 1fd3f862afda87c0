"""Secrets on added lines: detect-secrets' findings, read from git objects, fast, never shown."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stepcommit import git as git_mod
from stepcommit import redact, secret_scan
from stepcommit.gates.secrets import MAX_BYTES, secrets_in
from tests.conftest import commit_all, git, write

# One line per plugin stepcommit runs, each a (fake) secret that plugin finds.
SAMPLES = {
    "AWSKeyDetector": "aws_id = AKIAIOSFODNN7EXAMPLE",
    "ArtifactoryDetector": 'art = "AKCp5btAbCdEfGhIjKl"',
    "AzureStorageKeyDetector": "DefaultEndpointsProtocol=https;AccountKey=" + "aB1+" * 22,
    "BasicAuthDetector": "url = https://user:pa55word@example.com/x",
    "CloudantDetector": "https://acct:" + "ab" * 32 + "@acct.cloudant.com",
    "DiscordBotTokenDetector": "M" + "a1" * 12 + "." + "b2c3d4" + "." + "e" * 27,
    "GitHubTokenDetector": "ghp_" + "a1B2" * 9,
    "GitLabTokenDetector": "glpat-" + "a1B2c" * 4,
    "IbmCloudIamDetector": 'ibm_cloud_iam_key = "' + "a1B2" * 11 + '"',
    "IbmCosHmacDetector": 'ibm_cos_hmac_secret_access_key = "' + "a1" * 24 + '"',
    "JwtTokenDetector": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "KeywordDetector": 'password = "hunter2hunter2"',
    "MailchimpDetector": "0123456789abcdef0123456789abcdef-us12",
    "NpmDetector": "//registry.npmjs.org/:_authToken=npm_" + "a1B2" * 9,
    "OpenAIDetector": "sk-" + "a1B2" * 5 + "T3BlbkFJ" + "c3D4" * 5,
    "PrivateKeyDetector": "-----BEGIN RSA PRIVATE KEY-----",
    "PypiTokenDetector": "pypi-AgEIcHlwaS5vcmc" + "a1B2" * 18,
    "SendGridDetector": "SG." + "a1B2" * 5 + "c3" + "." + "d4E5f" * 8 + "g6H",
    "SlackDetector": "xoxb-123456789012-abcdefgh",
    "SoftlayerDetector": 'softlayer_api_key = "' + "a1" * 32 + '"',
    "SquareOAuthDetector": "sq0csp-" + "a1B2" * 10 + "c3D",
    "StripeDetector": "sk_live_" + "a1B2" * 6,
    "TelegramBotTokenDetector": "123456789:" + "a1B2c" * 7,
    "TwilioKeyDetector": "SK" + "a1" * 16,
}


def test_every_plugin_that_runs_has_a_sample_and_high_entropy_is_off() -> None:
    assert set(secret_scan.plugin_names()) == set(SAMPLES)
    assert not secret_scan.PLUGINS_OFF & set(secret_scan.plugin_names())


@pytest.mark.parametrize("plugin", sorted(SAMPLES))
def test_each_plugin_finds_its_sample_through_every_prefilter(plugin: str) -> None:
    """The fast paths (stepcommit's prefilter over the plugins' patterns, redaction's cheap hint)
    must never hide a line detect-secrets would flag."""
    line = SAMPLES[plugin]
    found = secret_scan.scan_files([("conf.txt", [(1, line)])])
    assert found, f"{plugin} found nothing in its sample"
    assert redact.might_hold_secret(line)
    assert secret_scan.secret_values([line])


def test_the_scan_agrees_with_detect_secrets_own_file_scan(tmp_path: Path) -> None:
    """stepcommit reaches past detect-secrets' public API: it must find what `scan_file` finds."""
    from detect_secrets.core.scan import scan_file

    lines = [
        "import os",
        'KEY_ID = "AKIAIOSFODNN7EXAMPLE"',
        'password = "hunter2hunter2"',
        'password = "${PASSWORD}"',
        "password = os.environ['PASSWORD']",
        "digest = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'",
        'api_key = "f00ba7d3adb33fc0ffee12"  # pragma: allowlist secret',
        "URL = 'postgres://app:s3cr3tpw@db/app'",
        *[f"value_{n} = {n}" for n in range(50)],
        'token = "ghp_' + "a1B2" * 9 + '"',
    ]
    path = tmp_path / "settings.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with secret_scan._settings():
        theirs = {(s.line_number, s.type) for s in scan_file(str(path))}
    ours = {(f.line, f.kind) for _p, f in secret_scan.scan_files([(str(path), list(enumerate(lines, 1)))])}
    assert ours == theirs
    assert {line for line, _kind in ours} == {2, 3, 8, len(lines)}


def test_secrets_in_reads_added_lines_from_git_objects_not_the_work_tree(project: Path) -> None:
    base = git(project, "rev-parse", "HEAD").strip()
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    # An added line that itself starts with "++ " or "@@ " must not confuse the diff's reader.
    write(project, {"notes.md": f"++ not a header\n@@ -1 +1 @@ nor this\nid {key}\n"})
    git(project, "add", "-A")
    tree = git(project, "write-tree").strip()
    (project / "notes.md").write_text("clean now\n", encoding="utf-8")
    assert secrets_in(project, base, tree) == [("notes.md", 3, "AWS Access Key")]


def test_binary_and_huge_files_are_skipped_and_renames_scanned(project: Path) -> None:
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    write(project, {"calc/keys.py": f'A = "{key}"\n'})
    base = commit_all(project)
    (project / "blob.bin").write_bytes(b"\x00\x01" + key.encode() + b"\x00")
    (project / "big.txt").write_text("x\n" * (MAX_BYTES // 2) + key + "\n", encoding="utf-8")
    git(project, "mv", "calc/keys.py", "calc/moved.py")
    git(project, "add", "-A")
    tree = git(project, "write-tree").strip()
    # A moved file is an added file: its secret is this change's.
    assert secrets_in(project, base, tree) == [("calc/moved.py", 1, "AWS Access Key")]


def test_a_private_key_block_of_any_kind_is_found(project: Path) -> None:
    base = git(project, "rev-parse", "HEAD").strip()
    write(project, {"k.txt": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG\n"})
    git(project, "add", "-A")
    assert secrets_in(project, base, git(project, "write-tree").strip()) == [("k.txt", 1, "Private Key")]


def test_a_large_change_is_scanned_quickly(project: Path) -> None:
    base = git(project, "rev-parse", "HEAD").strip()
    body = "".join(f"def f{n}(key, value):\n    return {{key: value, 'n': {n}}}\n" for n in range(5000))
    write(project, {"calc/big.py": body + 'password = "hunter2hunter2"\n'})
    git(project, "add", "-A")
    tree = git(project, "write-tree").strip()
    secret_scan.plugin_names()  # the one-off import is not the scan's cost
    started = time.perf_counter()
    found = secrets_in(project, base, tree)
    assert found == [("calc/big.py", 10001, "Secret Keyword")]
    # detect-secrets alone takes ~7 s on these 10,000 lines.
    assert time.perf_counter() - started < 3


def test_added_lines_numbers_follow_the_new_file(project: Path) -> None:
    write(project, {"a.txt": "1\n2\n3\n4\n"})
    base = commit_all(project)
    write(project, {"a.txt": "1\nTWO\n3\n4\nFIVE\n"})
    git(project, "add", "-A")
    tree = git(project, "write-tree").strip()
    assert git_mod.added_lines(project, base, tree) == {"a.txt": [(2, "TWO"), (5, "FIVE")]}
