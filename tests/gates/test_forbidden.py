from __future__ import annotations

import pytest

from stepcommit.gates.forbidden import forbidden, why_forbidden


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
