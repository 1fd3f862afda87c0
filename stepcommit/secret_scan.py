"""The one module that talks to detect-secrets (Yelp): which plugins run, and how lines are scanned.

detect-secrets is imported lazily: it costs ~0.7 s (it imports `requests` for its verifiers), so
nothing on a command's start-up path may import it. Its per-line scan is slow too (~0.7 ms a line
with every plugin and filter), so lines go to it only when one of its own plugins' patterns finds
something in them first (`_prefilter`), which keeps the answer the same and the cost small.

Where this reaches past the public API (`scan._process_line_based_plugins`, the function its own
`scan_file` uses, so that file-type rules and filters apply exactly as in `detect-secrets scan`),
it falls back to the public `scan_line` when that name is gone; a test compares both with
`scan_file`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# High-entropy plugins flag hashes, lock files and test data everywhere; a public IP address is not
# a secret. Every other plugin (known token formats, keywords, private keys, basic auth) runs.
PLUGINS_OFF = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"})


@dataclass(frozen=True)
class Found:
    line: int
    kind: str
    """detect-secrets' own name for it ("AWS Access Key", "Private Key", "Secret Keyword"...)."""
    value: str
    """The secret itself: for redaction only, never shown."""


@lru_cache(maxsize=1)
def plugin_names() -> tuple[str, ...]:
    """The detect-secrets plugins stepcommit runs (class names, as its baselines name them)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    classes: Iterable[type] = get_mapping_from_secret_type_to_class().values()
    return tuple(sorted(c.__name__ for c in classes if c.__name__ not in PLUGINS_OFF))


@contextlib.contextmanager
def _settings() -> Iterator[list[Any]]:
    """detect-secrets' settings set to our plugins for the duration (restored after); yields them."""
    from detect_secrets.settings import get_plugins, transient_settings

    with transient_settings({"plugins_used": [{"name": name} for name in plugin_names()]}):
        yield get_plugins()


# Some plugins' patterns start with optional parts, so `re` tries them at every character: over a
# large diff each costs ~0.3 s. Each of these words occurs in every match of that plugin's patterns
# (a test checks them against the patterns), so a text without any of them is skipped fast.
_TRIGGERS = {
    "KeywordDetector": ("(?i)key|pass|pwd|secret|contrase", "api_?key ... contraseña: every DENYLIST word"),
    "CloudantDetector": ("(?i)key|pw|pass|token|cloudant", "key_or_pass, or a cloudant.com URL"),
    "IbmCloudIamDetector": ("(?i)key|pwd|pass|token", "key_or_pass"),
    "IbmCosHmacDetector": ("(?i)secret", "secret[-_]?(access)?[-_]?key"),
    "SoftlayerDetector": ("(?i)key|pwd|pass|token|softlayer", "key_or_pass, or an api.softlayer.com URL"),
    "ArtifactoryDetector": ("AKC|AP[0-9A-F]", "the token and password prefixes"),
}


def _prefilter(plugins: Sequence[Any]) -> Callable[[list[str]], list[int]] | None:
    """The indexes of the lines any plugin could find something in, by the plugins' own patterns
    (after a plugin's trigger word, when it has one); None when some plugin is of a kind whose
    patterns are not known, so that every line is scanned."""
    from detect_secrets.plugins import keyword
    from detect_secrets.plugins.base import RegexBasedDetector

    checks: list[tuple[re.Pattern[str] | None, list[re.Pattern[str]]]] = []
    for plugin in plugins:
        if isinstance(plugin, keyword.KeywordDetector):
            # Every keyword regex holds one of these words (case-insensitive).
            own = [re.compile(keyword.DENYLIST_REGEX, re.IGNORECASE)]
        elif isinstance(plugin, RegexBasedDetector):
            # Per line, `^` and `$` meant the line's ends: MULTILINE keeps that over the whole text.
            own = [re.compile(p.pattern, p.flags | re.MULTILINE) for p in plugin.denylist]
        else:
            return None
        trigger = _TRIGGERS.get(type(plugin).__name__)
        checks.append((re.compile(trigger[0]) if trigger else None, own))

    def candidates(lines: list[str]) -> list[int]:
        text = "\n".join(lines)
        live = [
            (trigger, own)
            for trigger, own in checks
            if (trigger.search(text) if trigger else any(p.search(text) for p in own))
        ]
        if not live:
            return []
        return [
            i
            for i, line in enumerate(lines)
            if any(
                (trigger is None or trigger.search(line)) and any(p.search(line) for p in own)
                for trigger, own in live
            )
        ]

    return candidates


def _scan(path: str, lines: list[tuple[int, str]]) -> Iterator[Any]:
    from detect_secrets.core import scan

    private = getattr(scan, "_process_line_based_plugins", None)
    if private is not None:
        yield from private(lines=lines, filename=path)
        return
    for number, text in lines:  # pragma: no cover - only with a detect-secrets that renamed it
        for secret in scan.scan_line(text):
            secret.line_number = number
            yield secret


def scan_files(files: Iterable[tuple[str, Sequence[tuple[int, str]]]]) -> list[tuple[str, Found]]:
    """What detect-secrets finds in each file's given (line number, text) lines, by path and line."""
    result: list[tuple[str, Found]] = []
    with _settings() as plugins:
        candidates_of = _prefilter(plugins)
        for path, lines in files:
            if candidates_of is not None:
                lines = [lines[i] for i in candidates_of([text for _n, text in lines])]
            if not lines:
                continue
            found = {Found(s.line_number, s.type, s.secret_value or "") for s in _scan(path, list(lines))}
            result.extend((path, f) for f in sorted(found, key=lambda f: (f.line, f.kind)))
    return result


def secret_values(texts: Sequence[str]) -> set[str]:
    """The secret values detect-secrets' ad-hoc scan (as `detect-secrets scan --string`) finds."""
    from detect_secrets.core import scan

    values: set[str] = set()
    with _settings() as plugins:
        candidates_of = _prefilter(plugins)
        lines = [line for text in texts for line in text.splitlines()]
        chosen = range(len(lines)) if candidates_of is None else candidates_of(lines)
        for i in chosen:
            values.update(s.secret_value for s in scan.scan_line(lines[i]) if s.secret_value)
    return values
