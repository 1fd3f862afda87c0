from __future__ import annotations

from pathlib import Path

import pytest

from stepcommit.gates.forbidden import forbidden, forbidden_in_change, why_forbidden, why_forbidden_content
from stepcommit.git import Repo
from tests.conftest import commit_all, git, write


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        "config/.env.local",
        "prod.env",
        "id_rsa",
        "keys/server.pem",
        "tls.key",
        ".coverage",
        ".coverage.host.123",
        "pkg/__pycache__/m.cpython-311.pyc",
        ".pytest_cache/v/x",
        ".testmondata",
        "a/.venv/bin/python",
        "htmlcov/index.html",
        "deploy/terraform.tfstate",
        ".netrc",
    ],
)
def test_never_committed(path: str) -> None:
    assert why_forbidden(path)


@pytest.mark.parametrize(
    "path", [".env.example", ".env.sample", "id_rsa.pub", "src/env.py", "docs/keys.md", "README.md"]
)
def test_allowed(path: str) -> None:
    assert why_forbidden(path) is None


def test_allow_patterns_override() -> None:
    assert forbidden([".env", "certs/test.pem"], allowed=["certs/*.pem"]) == [
        (".env", "environment file with secrets")
    ]


@pytest.mark.parametrize(
    "path",
    [
        ".aws/credentials",
        "home/.aws/credentials",
        ".envrc",
        ".git-credentials",
        "ID_RSA",
        "Key.PEM",
        "id_rsa.bak",
        "backup/id_ed25519.old",
        "infra/terraform.tfvars",
        "prod.auto.tfvars",
        "certs/Client.P12",
        "store.pfx",
        ".kube/config",
        "CONFIG/.ENV",
        "infra/terraform.tfstate.backup",
    ],
)
def test_never_committed_whatever_the_case_or_suffix(path: str) -> None:
    assert why_forbidden(path)


@pytest.mark.parametrize(
    "path", ["id_rsa.pub", "ID_ED25519.PUB", ".npmrc", "config/app.yaml", "terraform.tf"]
)
def test_public_keys_and_content_dependent_files_pass_by_name(path: str) -> None:
    assert why_forbidden(path) is None


@pytest.mark.parametrize(
    ("text", "forbidden_file"),
    [
        ("//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789\n", True),
        ("_auth = dXNlcjpwYXNz\nemail = me@example.com\n", True),
        ("//npm.example.com/:_password=c2VjcmV0\n", True),
        ("registry=https://registry.npmjs.org/\nsave-exact=true\n", False),
        ("# _authToken=set in CI\n", False),
    ],
)
def test_npmrc_is_forbidden_only_with_an_auth_token(text: str, forbidden_file: bool) -> None:
    assert bool(why_forbidden_content(".npmrc", text)) is forbidden_file


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- cluster: {server: https://k8s.example.com}
  name: prod
users:
- name: admin
  user:
    client-key-data: LS0tLS1CRUdJTi...
"""


def test_a_kubeconfig_with_credentials_is_forbidden_by_content() -> None:
    assert why_forbidden_content("deploy/admin.yaml", KUBECONFIG) == "Kubernetes config with credentials"
    assert why_forbidden_content("kubeconfig", KUBECONFIG.replace("client-key-data", "token"))
    # A manifest, or a kubeconfig without credentials, is ordinary YAML.
    assert (
        why_forbidden_content("deploy/app.yaml", "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: b\n") is None
    )
    no_users = KUBECONFIG.split("users:")[0]
    assert why_forbidden_content("deploy/admin.yaml", no_users) is None


def _staged(repo: Path) -> str:
    git(repo, "add", "-A")
    return git(repo, "write-tree").strip()


def test_forbidden_in_change_combines_names_content_and_secret_lines(project: Path) -> None:
    base = git(project, "rev-parse", "HEAD").strip()
    aws_key = "AKIA" + "IOSFODNN7EXAMPLE"
    write(
        project,
        {
            ".aws/credentials": "[default]\n",
            "ID_RSA": "key\n",
            ".npmrc": "//registry.npmjs.org/:_authToken=npm_" + "a1" * 18 + "\n",
            "deploy/kube.yml": KUBECONFIG,
            "calc/settings.py": f'import os\n\nREGION = "eu"\nKEY_ID = "{aws_key}"\n',
            "docs/key.txt": "notes\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n",
            "calc/ok.py": "def f():\n    return 1\n",
        },
    )
    found = forbidden_in_change(Repo(project, project / ".git"), base, _staged(project))
    assert sorted(found) == [
        (".aws/credentials", "AWS credentials"),
        (".npmrc", "npm config with an auth token"),
        ("ID_RSA", "private SSH key"),
        ("calc/settings.py:4", "holds a secret (AWS Access Key)"),
        ("deploy/kube.yml", "Kubernetes config with credentials"),
        ("docs/key.txt:2", "holds a secret (Private Key)"),
    ]
    # A finding names the file, the line and the kind, never the secret itself.
    assert not any(aws_key in where + reason for where, reason in found)


def test_forbidden_in_change_looks_only_at_what_the_change_adds(project: Path) -> None:
    secret_line = 'password = "hunter2hunter2"\n'
    write(project, {"calc/conf.py": "A = 1\n" + secret_line})
    base = commit_all(project)
    # The secret was already on the base; the change edits another line of the same file.
    write(project, {"calc/conf.py": "A = 2\n" + secret_line})
    repo = Repo(project, project / ".git")
    assert forbidden_in_change(repo, base, _staged(project)) == []
    # A changed line that brings a secret is named by its line in the new file.
    write(project, {"calc/conf.py": "A = 2\n" + secret_line + 'api_key = "f00ba7d3adb33fc0ffee12"\n'})
    assert forbidden_in_change(repo, base, _staged(project)) == [
        ("calc/conf.py:3", "holds a secret (Secret Keyword)")
    ]
    # Deleting a forbidden file is no finding; the allowlist pragma silences a false alarm.
    write(project, {"calc/conf.py": 'api_key = "f00ba7d3adb33fc0ffee12"  # pragma: allowlist secret\n'})
    assert forbidden_in_change(repo, base, _staged(project)) == []


def test_forbidden_in_change_without_a_base_commit(repo: Path) -> None:
    write(repo, {"app.py": "x = 1\n", ".envrc": "export A=1\n"})
    found = forbidden_in_change(Repo(repo, repo / ".git"), None, _staged(repo))
    assert found == [(".envrc", "direnv environment file with secrets")]
