"""Secrets taken out of text stepcommit stores or prints (progress entries, commit messages).

Two layers: stepcommit's own patterns for the token shapes agents paste most (and that
detect-secrets does not know: `Bearer ...`, Google `AIza...`, bare npm tokens, a bare 40-character
AWS secret), and detect-secrets' findings. detect-secrets costs ~0.7 s to import, and `log` runs on
every agent tool call, so it is asked only when a cheap pattern (`might_hold_secret`) says a text
might hold something one of its plugins finds.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from stepcommit.lazy_re import lazy

MASK = "[REDACTED]"

_SECRETS = (
    lazy(r"\b(?:sk|pk|rk)-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}"),
    lazy(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"),
    lazy(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    lazy(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    lazy(r"\bgl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_\-]{20,}"),
    lazy(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    lazy(r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    lazy(r"\bAIza[0-9A-Za-z_\-]{30,}"),
    lazy(r"\bnpm_[A-Za-z0-9]{30,}"),
    lazy(r"\bpypi-[A-Za-z0-9_\-]{50,}"),
    lazy(r"\bSG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}"),
    lazy(r"\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}"),
    lazy(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)"
    ),
    lazy(r"(?i)(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
    # An AWS secret access key on its own: 40 base64 characters, mixed case and digits (a git
    # object id is 40 lower-case hex digits, so it stays).
    lazy(
        r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])"
        r"[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
    ),
)
# An HTTP credential: random, so it holds a digit (which "Basic authentication" does not).
_BEARER = lazy(r"(?i)\b(Bearer|Basic)(\s+)(?=[A-Za-z._~+/\-]*[0-9])([A-Za-z0-9._~+/\-]{12,}=*)")
# `NAME=value`, `NAME: value`, `"name": "value"` where NAME says it is a secret.
_ASSIGNED_SECRET = lazy(
    r"(?i)\b([A-Z0-9_.-]*(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|AUTH_?KEY|ACCESS_?KEY|CREDENTIALS?)"
    r"[A-Z0-9_]*)(['\"]?\s*[=:]\s*)(['\"]?)([^\s'\"]{4,})\3"
)
# Characters a token is made of: a value detect-secrets reports (sometimes only a part of the
# token, as its regex's group) is widened over them, so no tail of it is left.
_TOKEN_CHARS = r"[A-Za-z0-9_\-+/=.~]*"

# When none of these matches, none of detect-secrets' plugins (as configured in
# stepcommit.secret_scan) can find anything: the words its keyword-like plugins need followed by
# an assignment or a long value, and the fixed parts of the token formats it knows.
_HINT_WORDS = lazy(
    r"(?i)(?:key|pass|pwd|pw\b|secret|token|contrase|cloudant|softlayer)[^\s=:(]*\s*(?:[=:(]|['\"`]|\s+['\"]?[\w\-]{20,})"
    r"|['\"`]\s*[!=]={1,2}\s*\w*(?:key|pass|pwd|secret)"
)
_HINT_SHAPES = lazy(
    r"://\S*@|A3T|AKIA|ASIA|ABIA|ACCA|gh[pousr]_|xox|hooks\.slack\.com|[sr]k_live_|sk-|eyJ|npm_|_authToken|SG\.|sq0csp-"
    r"|pypi-|AccountKey=|BEGIN|PuTTY|AKC|AP[0-9A-F]|AC[a-z0-9]{32}|SK[a-z0-9]{32}|[MNO][\w\-]{23,25}\.|\d{8,10}:"
    r"|[0-9a-z]{32}-us\d|gl[a-z]+-|GR1348941"
)


def might_hold_secret(text: str) -> bool:
    """A cheap test: False means no detect-secrets plugin stepcommit runs finds anything in ``text``."""
    return bool(_HINT_SHAPES.search(text) or _HINT_WORDS.search(text))


def _own_patterns(text: str) -> str:
    for pattern in _SECRETS:
        text = pattern.sub(MASK, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    return _ASSIGNED_SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{MASK}{m.group(3)}", text)


def redact_all(texts: Sequence[str], *, detector: bool = True) -> list[str]:
    """Each text with every secret in it replaced by [REDACTED] (one detect-secrets pass for all;
    with ``detector=False`` only stepcommit's own patterns, which never import detect-secrets)."""
    values: set[str] = set()
    suspects = [t for t in texts if detector and might_hold_secret(t)]
    if suspects:
        from stepcommit import secret_scan

        values = {v for v in secret_scan.secret_values(suspects) if len(v) >= 3 and v != MASK}
    widened = [
        re.compile(_TOKEN_CHARS + re.escape(v) + _TOKEN_CHARS) for v in sorted(values, key=len, reverse=True)
    ]
    result = []
    for text in texts:
        for pattern in widened:
            text = pattern.sub(MASK, text)
        result.append(_own_patterns(text))
    return result


def redact(text: str) -> str:
    """``text`` with every secret in it replaced by [REDACTED]."""
    return redact_all([text])[0]
