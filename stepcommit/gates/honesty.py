"""The honesty check: what a step did to the tests' strength, read from the base tree and the step's tree.

Pure functions over file texts (path -> text): ``base`` and ``now`` hold the Python files that differ
between the two trees and every settings file pytest, coverage, ruff and stepcommit read at the root
(so a setting that moved between files is compared as the tool sees it). Marks, calls and assertions
are read with `ast`; comments (`pragma: no cover`, `noqa`) with `tokenize` and coverage's own regexes;
settings with `tomllib` and `configparser`. Only what changed counts: everything is compared per file
and per test function, a test that moved or was renamed with its body is not a removal, a skip that
was there at the base is not new.
"""

from __future__ import annotations

import ast
import configparser
import fnmatch
import io
import re
import shlex
import tokenize
import tomllib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

KINDS = ("removed-tests", "skips", "no-cover", "config", "weak-tests")
POLICIES = ("refuse", "warn", "off")
DEFAULT_POLICY: Mapping[str, str] = {
    "removed-tests": "refuse",
    "skips": "refuse",
    "no-cover": "refuse",
    "config": "refuse",
    "weak-tests": "warn",
}
SETTINGS_FILES = (
    "pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", ".pytest.ini", ".coveragerc", "ruff.toml",
    ".ruff.toml",
)  # fmt: skip
"""The files (at the repository root) the tools read their settings from."""

TRAILER_KEYS = {
    "removed-tests": "Tests-Removed",
    "skips": "Skips-Added",
    "no-cover": "No-Cover-Added",
    "config": "Settings-Loosened",
    "weak-tests": "Weak-Tests",
}

_STRICTNESS = {"off": 0, "warn": 1, "refuse": 2}
_PRAGMA = r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)"  # coverage.py's DEFAULT_EXCLUDE
_NOQA = re.compile(r"#\s*noqa\b", re.IGNORECASE)
_MARK = re.compile(r"(^|\.)mark\.(skip|skipif|xfail)$")
_SKIP_CALLS = {"skip", "xfail", "importorskip", "skipTest"}
_UNITTEST_SKIPS = re.compile(r"(^|\.)(unittest\.)?(skip|skipIf|skipUnless|expectedFailure)$")
_ASSERTING = {"raises", "warns", "approx", "deprecated_call", "fail", "assertRaises", "assertWarns"}
_FILTER_OPTIONS = {"--deselect": "--deselect", "-k": "-k", "-m": "-m", "--ignore": "--ignore",
                   "--ignore-glob": "--ignore-glob"}  # fmt: skip


@dataclass(frozen=True)
class Finding:
    kind: str
    file: str
    line: int | None
    detail: str
    test: str | None = None
    policy: str = "refuse"
    """`refuse`, `warn` or `allowed` once a policy is applied."""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def describe(self) -> str:
        test = f" {self.test}" if self.test else ""
        return f"{self.kind}: {self.where}{test}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "file": self.file, "line": self.line, "test": self.test,
                "detail": self.detail, "policy": self.policy}  # fmt: skip


@dataclass(frozen=True)
class Assessment:
    """The findings with the policy and the allowances applied."""

    findings: tuple[Finding, ...] = ()
    allowed: tuple[tuple[str, str], ...] = ()
    """(kind, reason) of each allowance that let a finding through."""
    renames: tuple[str, ...] = ()

    @property
    def refused(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.policy == "refuse")

    def counts(self) -> dict[str, int]:
        return dict(Counter(f.kind for f in self.findings))

    def problems(self) -> list[str]:
        """One line per refused kind, for the gate's list of problems."""
        by_kind = Counter(f.kind for f in self.refused)
        return [
            f"honesty check: {n} {kind} finding{'s' if n > 1 else ''} ({_first(self.refused, kind)})"
            for kind, n in by_kind.items()
        ]

    def lines(self) -> list[str]:
        return [f"[{f.policy}] {f.describe()}" for f in self.findings]


def _first(found: Iterable[Finding], kind: str) -> str:
    first = next(f for f in found if f.kind == kind)
    return (first.test or first.where) + ("" if first.test is None else f" at {first.where}")


# --- policy -------------------------------------------------------------------------------------


def check_policy(table: Mapping[str, Any]) -> dict[str, str]:
    """The `honesty` table as a full policy; ValueError naming the bad key or value."""
    policy = dict(DEFAULT_POLICY)
    for key, value in table.items():
        kind = key.replace("_", "-")
        if kind not in KINDS:
            raise ValueError(f"unknown finding {key!r} (known: {', '.join(KINDS)})")
        if value not in POLICIES:
            raise ValueError(f"{key} = {value!r} must be one of {', '.join(POLICIES)}")
        policy[kind] = value
    return policy


def parse_allowances(allow: Iterable[str], reasons: Iterable[str]) -> dict[str, str]:
    """``--allow KIND`` paired with ``--reason TEXT`` in order (one reason may serve every allow);
    ValueError when a kind is unknown or a reason is missing or empty."""
    kinds, texts = list(allow), [r.strip() for r in reasons]
    for kind in kinds:
        if kind not in KINDS:
            raise ValueError(f"--allow {kind!r} is not a finding (one of {', '.join(KINDS)})")
    if kinds and (not texts or any(not t for t in texts)):
        raise ValueError("--allow needs --reason TEXT: say why the weakening is right")
    if len(texts) not in (1, len(kinds)):
        raise ValueError(
            f"{len(kinds)} --allow but {len(texts)} --reason: give one reason, or one per --allow"
        )
    return {kind: texts[0] if len(texts) == 1 else texts[i] for i, kind in enumerate(kinds)}


def parse_allow_env(text: str) -> dict[str, str]:
    """`STEPCOMMIT_ALLOW="removed-tests: moved to integration; skips: flaky upstream"` as allowances."""
    kinds = "|".join(re.escape(k) for k in KINDS)
    found: dict[str, str] = {}
    for part in re.split(rf"[;\n]\s*(?=(?:{kinds})\s*:)", text.strip()):
        if not part.strip():
            continue
        kind, sep, reason = part.partition(":")
        kind, reason = kind.strip(), reason.strip().rstrip(";").strip()
        if kind not in KINDS or not sep or not reason:
            raise ValueError(f"STEPCOMMIT_ALLOW entry {part.strip()!r} is not `finding: reason` (findings: "
                             f"{', '.join(KINDS)})")  # fmt: skip
        found[kind] = reason
    return found


def assess(
    found: Iterable[Finding], policy: Mapping[str, str], allow: Mapping[str, str], renames: Iterable[str] = ()
) -> Assessment:
    """Apply the policy (``off`` drops a finding) and the allowances (a reason lets a kind through)."""
    kept: list[Finding] = []
    used: dict[str, str] = {}
    for finding in found:
        rule = policy.get(finding.kind, DEFAULT_POLICY[finding.kind])
        if rule == "off":
            continue
        if finding.kind in allow:
            used[finding.kind] = allow[finding.kind]
            rule = "allowed"
        kept.append(_with_policy(finding, rule))
    return Assessment(tuple(kept), tuple(used.items()), tuple(renames))


def _with_policy(finding: Finding, policy: str) -> Finding:
    return Finding(finding.kind, finding.file, finding.line, finding.detail, finding.test, policy)


# --- the comparison ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    findings: tuple[Finding, ...]
    renames: tuple[str, ...] = ()


def compare(
    base: Mapping[str, str], now: Mapping[str, str], *, base_ids: frozenset[str] | None = None
) -> Result:
    """Every finding from ``base`` to ``now`` (see the module doc). ``base_ids``: the node ids that
    passed at the base when stepcommit stored them; a removed test must be among them."""
    pytest_base, pytest_now = pytest_settings(base), pytest_settings(now)
    patterns = _list(pytest_now.get("python_files")) or ["test_*.py", "*_test.py"]
    patterns_base = _list(pytest_base.get("python_files")) or ["test_*.py", "*_test.py"]
    cov_base, cov_now = coverage_settings(base), coverage_settings(now)
    found: list[Finding] = []
    tests_base = _tests_in(base, patterns_base)
    tests_now = _tests_in(now, patterns)
    removed, renames = _removed(tests_base, tests_now, base_ids)
    found += removed
    found += _skips(base, now, patterns)
    found += _pytest_filters(pytest_base, pytest_now, base, now)
    found += _excluded_lines(base, now, cov_now)
    found += _coverage_changes(cov_base, cov_now, now)
    found += _noqa(base, now)
    found += _ruff_changes(ruff_settings(base), ruff_settings(now), now)
    found += _stepcommit_changes(_stepcommit_table(base), _stepcommit_table(now), now)
    found += _weak(tests_base, tests_now, renames)
    return Result(tuple(found), tuple(f"{old} renamed to {new}" for old, new in renames.items()))


def is_test_file(path: str, patterns: Iterable[str] = ("test_*.py", "*_test.py")) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name == "conftest.py" or any(fnmatch.fnmatch(name, p) for p in patterns)


def _parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None  # the test run reports a file that does not parse


def _python(files: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    return ((p, t) for p, t in sorted(files.items()) if p.endswith(".py"))


# --- tests and their removal ---------------------------------------------------------------------


@dataclass(frozen=True)
class TestFunction:
    id: str
    file: str
    qualname: str
    line: int
    body: str
    """The body's `ast.dump`, without positions: equal bodies are the same test."""
    node: ast.FunctionDef | ast.AsyncFunctionDef = field(compare=False, repr=False)


def _tests_in(files: Mapping[str, str], patterns: list[str]) -> dict[str, TestFunction]:
    found: dict[str, TestFunction] = {}
    for path, text in _python(files):
        if not is_test_file(path, patterns) or path.endswith("conftest.py"):
            continue
        module = _parse(text)
        if module is not None:
            for test in _test_functions(path, module.body, ()):
                found[test.id] = test
    return found


def _test_functions(path: str, body: list[ast.stmt], classes: tuple[str, ...]) -> Iterator[TestFunction]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            qualname = "::".join((*classes, node.name))
            dump = ast.dump(ast.Module(body=node.body, type_ignores=[]))
            yield TestFunction(f"{path}::{qualname}", path, qualname, node.lineno, dump, node)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            yield from _test_functions(path, node.body, (*classes, node.name))


def _function_id(node_id: str) -> str:
    """A node id without its parametrization: `tests/t.py::test_x[1]` -> `tests/t.py::test_x`."""
    return node_id.split("[", 1)[0]


def _removed(
    base: Mapping[str, TestFunction], now: Mapping[str, TestFunction], base_ids: frozenset[str] | None
) -> tuple[list[Finding], dict[str, str]]:
    """(removals, renames old id -> new id): a test gone from its file is moved when its name or its
    body turns up as a test that is new."""
    new = {i: t for i, t in now.items() if i not in base}
    by_name: dict[str, list[str]] = {}
    by_body: dict[str, list[str]] = {}
    for test_id, test in new.items():
        by_name.setdefault(test.qualname.rsplit("::", 1)[-1], []).append(test_id)
        by_body.setdefault(test.body, []).append(test_id)
    passed = None if base_ids is None else {_function_id(i) for i in base_ids}
    findings, renames = [], {}
    taken: set[str] = set()
    for test_id, test in base.items():
        if test_id in now:
            continue
        same = [i for i in by_body.get(test.body, []) if i not in taken]
        # A test of the same name elsewhere is the test moved, unless it no longer asserts anything.
        weak_before = weakness(test.node) is not None
        same = same or [
            i
            for i in by_name.get(test.qualname.rsplit("::", 1)[-1], [])
            if i not in taken and (weak_before or weakness(new[i].node) is None)
        ]
        if same:
            taken.add(same[0])
            renames[test_id] = same[0]
            continue
        if passed is not None and test_id not in passed:
            continue  # it did not pass (or was not collected) at the base
        findings.append(Finding("removed-tests", test.file, test.line, "the test is gone (it existed at the base)",
                                test_id))  # fmt: skip
    return findings, renames


# --- skips -----------------------------------------------------------------------------------------


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    return ""


def _scoped(body: list[ast.stmt], scope: str) -> Iterator[tuple[str, ast.AST]]:
    """Every node with the test, class or `<module>` it belongs to."""
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = node.name if scope == "<module>" else f"{scope}::{node.name}"
            for deco in node.decorator_list:
                yield from ((inner, n) for n in ast.walk(deco))
            yield from _scoped(node.body, inner)
            continue
        yield from ((scope, n) for n in ast.walk(node))


def _skip_marks(text: str) -> list[tuple[tuple[str, str], int, str]]:
    """((scope, what), line, label) for each skip/xfail mark, call and collect_ignore entry."""
    module = _parse(text)
    if module is None:
        return []
    marks = []
    for scope, node in _scoped(module.body, "<module>"):
        if isinstance(node, ast.Attribute):
            name = _dotted(node)
            if _MARK.search(name) or (name.startswith("unittest.") and _UNITTEST_SKIPS.search(name)):
                marks.append(((scope, name), node.lineno, f"mark {name}"))
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            last = name.rsplit(".", 1)[-1]
            if (
                last in _SKIP_CALLS
                and (name.startswith(("pytest.", "self.")) or name == last)
                and not _MARK.search(name)
            ):
                marks.append(((scope, ast.unparse(node)), node.lineno, f"call {ast.unparse(node)[:80]}"))
        elif isinstance(node, ast.Raise) and node.exc is not None and "SkipTest" in ast.unparse(node.exc):
            marks.append(((scope, ast.unparse(node)), node.lineno, "raise SkipTest"))
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_dotted(t) in ("collect_ignore", "collect_ignore_glob") for t in targets):
                for item in ast.walk(node.value):
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        marks.append(((scope, f"collect_ignore {item.value}"), node.lineno,
                                      f"collect_ignore {item.value!r}"))  # fmt: skip
    return marks


def _skips(base: Mapping[str, str], now: Mapping[str, str], patterns: list[str]) -> list[Finding]:
    """New skip marks and calls; a test's own skips are counted by its name, so a test moved with
    its skip brings no new one."""

    def gather(files: Mapping[str, str]) -> list[tuple[str, tuple[str, str], int, str]]:
        out = []
        for path, text in _python(files):
            if is_test_file(path, patterns):
                for (scope, what), line, label in _skip_marks(text):
                    key = (scope if scope != "<module>" else f"<module {path}>", what)
                    out.append((path, key, line, label))
        return out

    before = Counter(key for _, key, _, _ in gather(base))
    findings = []
    for path, key, line, label in gather(now):
        if before[key]:
            before[key] -= 1
            continue
        scope = key[0]
        test = None if scope.startswith("<module") else f"{path}::{scope}"
        findings.append(Finding("skips", path, line, f"new {label}", test))
    return findings


# --- settings files --------------------------------------------------------------------------------


def _toml(files: Mapping[str, str], name: str) -> dict[str, Any]:
    text = files.get(name)
    if text is None:
        return {}
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _ini(files: Mapping[str, str], name: str) -> configparser.RawConfigParser | None:
    text = files.get(name)
    if text is None:
        return None
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


def _list(value: Any, *, commas: bool = True) -> list[str]:
    """An ini or TOML list setting as a list of strings (ini: one per line, or comma-separated)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    parts = re.split(r"[\n,]" if commas else r"\n", str(value))
    return [p.strip() for p in parts if p.strip()]


def pytest_settings(files: Mapping[str, str]) -> dict[str, Any]:
    """pytest's ini options, from the file pytest itself picks (pytest.ini first, then pyproject.toml,
    tox.ini, setup.cfg)."""
    for name in ("pytest.ini", ".pytest.ini"):
        parser = _ini(files, name)
        if parser is not None:
            return dict(parser["pytest"]) if parser.has_section("pytest") else {}
    tool = _toml(files, "pyproject.toml").get("tool", {})
    if isinstance(tool.get("pytest"), dict):
        table = tool["pytest"]
        options = table.get("ini_options", table)
        if isinstance(options, dict):
            return {k: v for k, v in options.items() if k != "ini_options"}
    for name, section in (("tox.ini", "pytest"), ("setup.cfg", "tool:pytest")):
        parser = _ini(files, name)
        if parser is not None and parser.has_section(section):
            return dict(parser[section])
    return {}


def coverage_settings(files: Mapping[str, str]) -> dict[str, Any]:
    """coverage.py's [run] and [report] settings from the first file it reads them from."""
    parser = _ini(files, ".coveragerc")
    if parser is not None:
        found = {
            f"{s}.{k}": v for s in ("run", "report") if parser.has_section(s) for k, v in parser[s].items()
        }
        return {**found, "file": ".coveragerc"}
    for name in ("setup.cfg", "tox.ini"):
        parser = _ini(files, name)
        if parser is not None and any(parser.has_section(f"coverage:{s}") for s in ("run", "report")):
            found = {f"{s}.{k}": v for s in ("run", "report") if parser.has_section(f"coverage:{s}")
                     for k, v in parser[f"coverage:{s}"].items()}  # fmt: skip
            return {**found, "file": name}
    table = _toml(files, "pyproject.toml").get("tool", {}).get("coverage", {})
    found = {f"{s}.{k}": v for s in ("run", "report") for k, v in dict(table.get(s, {})).items()}
    return {**found, "file": "pyproject.toml"}


def ruff_settings(files: Mapping[str, str]) -> dict[str, Any]:
    """ruff's lint settings (top level and [lint]) from the file ruff reads (.ruff.toml, ruff.toml,
    pyproject.toml)."""
    for name in (".ruff.toml", "ruff.toml"):
        if name in files:
            table = _toml(files, name)
            break
    else:
        name, table = "pyproject.toml", _toml(files, "pyproject.toml").get("tool", {}).get("ruff", {})
    merged = {"file": name} | {
        k: v for k, v in table.items() if not isinstance(v, dict) or k == "per-file-ignores"
    }
    lint = table.get("lint", {})
    for key, value in lint.items() if isinstance(lint, dict) else ():
        if key in merged and isinstance(value, list) and isinstance(merged[key], list):
            merged[key] = merged[key] + value
        else:
            merged[key] = value
    return merged


def _stepcommit_table(files: Mapping[str, str]) -> dict[str, Any]:
    table = _toml(files, "pyproject.toml").get("tool", {}).get("stepcommit", {})
    return {k.replace("-", "_"): v for k, v in table.items()} if isinstance(table, dict) else {}


def _settings_file(files: Mapping[str, str], key: str) -> str:
    """The settings file that names ``key`` (for file:line), else pyproject.toml."""
    for name in SETTINGS_FILES:
        if name in files and re.search(rf"(?m)^\s*{re.escape(key)}\s*[=:]", files[name]):
            return name
    return "pyproject.toml"


def _line_of(files: Mapping[str, str], name: str, needle: str, after: str = "") -> int | None:
    """The first line of ``name`` holding ``needle`` (past the first line holding ``after``, a section)."""
    lines = files.get(name, "").splitlines()
    start = next((i for i, line in enumerate(lines) if after in line), 0) if after else 0
    for number, line in enumerate(lines[start:], start + 1):
        if needle in line:
            return number
    return None


def _setting(files: Mapping[str, str], key: str, detail: str, kind: str = "config",
             needle: str | None = None) -> Finding:  # fmt: skip
    name = _settings_file(files, key)
    return Finding(kind, name, _line_of(files, name, needle or key), detail)


def _filters(options: Mapping[str, Any], extra: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(option, value) for every test-selecting option in addopts (and stepcommit's pytest_args)."""
    text = options.get("addopts", "")
    try:
        tokens = [
            *(shlex.split(" ".join(text)) if isinstance(text, list) else shlex.split(str(text))),
            *extra,
        ]
    except ValueError:
        return []
    found = []
    for i, token in enumerate(tokens):
        name, sep, value = token.partition("=")
        if name in _FILTER_OPTIONS:
            found.append((name, value if sep else (tokens[i + 1] if i + 1 < len(tokens) else "")))
        elif token[:2] in ("-k", "-m") and len(token) > 2 and not token.startswith("--"):
            found.append((token[:2], token[2:]))
    return found


def _pytest_filters(
    base: Mapping[str, Any],
    now: Mapping[str, Any],
    base_files: Mapping[str, str],
    now_files: Mapping[str, str],
) -> list[Finding]:
    findings = []
    args_base = _list(_stepcommit_table(base_files).get("pytest_args"), commas=False)
    args_now = _list(_stepcommit_table(now_files).get("pytest_args"), commas=False)
    before = Counter(_filters(base, _split_args(args_base)))
    for option, value in _filters(now, _split_args(args_now)):
        if before[(option, value)]:
            before[(option, value)] -= 1
            continue
        where = _settings_file(now_files, "addopts")
        line = _line_of(now_files, where, value or option) or _line_of(now_files, where, "addopts")
        findings.append(Finding("skips", where, line, f"`{option} {value}` added to the pytest options"))
    paths_base, paths_now = _list(base.get("testpaths")), _list(now.get("testpaths"))
    gone = [p for p in paths_base if p not in paths_now]
    if paths_now and gone:
        findings.append(
            _setting(now_files, "testpaths", f"testpaths narrowed: {', '.join(gone)} no longer collected")
        )
    for key in ("python_files", "python_classes", "python_functions"):
        dropped = [p for p in _list(base.get(key)) if p not in _list(now.get(key))]
        if dropped:
            findings.append(
                _setting(now_files, key, f"{key} narrowed: {', '.join(dropped)} no longer collected")
            )
    added = [p for p in _list(now.get("norecursedirs")) if p not in _list(base.get("norecursedirs"))]
    if added:
        findings.append(
            _setting(now_files, "norecursedirs", f"norecursedirs now skips {', '.join(added)}", "skips")
        )
    return findings


def _split_args(args: list[str]) -> list[str]:
    try:
        return [t for a in args for t in shlex.split(a)]
    except ValueError:
        return args


def _number(value: Any) -> float | None:
    try:
        return None if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def _coverage_changes(
    base: Mapping[str, Any], now: Mapping[str, Any], files: Mapping[str, str]
) -> list[Finding]:
    findings = []
    name = str(now["file"])

    def at(needle: str, key: str) -> int | None:
        section = key.split(".")[0]
        header = {"pyproject.toml": f"[tool.coverage.{section}", ".coveragerc": f"[{section}"}
        return _line_of(files, name, needle, after=header.get(name, f"[coverage:{section}"))

    for key in ("run.omit", "report.omit", "report.exclude_lines", "report.exclude_also"):
        regex = "exclude" in key
        added = [
            p
            for p in _list(now.get(key), commas=not regex)
            if p not in _list(base.get(key), commas=not regex)
        ]
        for entry in added:
            findings.append(
                Finding("no-cover", name, at(entry, key), f"new [{key.replace('.', '] ')} entry {entry!r}")
            )
    for key in ("run.source", "run.include", "report.include"):
        had, has = _list(base.get(key)), _list(now.get(key))
        dropped = [p for p in had if p not in has]
        narrowed = dropped if has else []
        if key != "run.source" and has and not had:
            narrowed = ["(everything)"]
        if narrowed:
            findings.append(Finding("no-cover", name, at(key.split(".")[1], key),
                                    f"[{key.replace('.', '] ')} narrowed: {', '.join(narrowed)} no longer measured"))  # fmt: skip
    old, new = _number(base.get("report.fail_under")), _number(now.get("report.fail_under"))
    if old is not None and (new is None or new < old):
        findings.append(Finding("config", name, at("fail_under", "report"),
                                f"coverage fail_under lowered from {old:g} to {0 if new is None else new:g}"))  # fmt: skip
    return findings


def _comment_lines(text: str, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    """(line, stripped line) of each line whose comment matches ``pattern`` (tokenize, so strings
    that look like comments do not count)."""
    found = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT and pattern.search(token.string):
                found.append((token.start[0], token.line.strip()))
    except (tokenize.TokenError, SyntaxError):
        lines = text.splitlines()
        return [(n, line.strip()) for n, line in enumerate(lines, 1) if pattern.search(line)]
    return found


def _new_lines(base_text: str | None, now_text: str, pick: Any) -> list[tuple[int, str]]:
    """The lines ``pick`` finds in ``now_text`` beyond those it finds (by text) in ``base_text``."""
    before = Counter(text for _, text in pick(base_text)) if base_text is not None else Counter()
    new = []
    for line, text in pick(now_text):
        if before[text]:
            before[text] -= 1
        else:
            new.append((line, text))
    return new


def _excluded_lines(base: Mapping[str, str], now: Mapping[str, str], cov: Mapping[str, Any]) -> list[Finding]:
    """New lines coverage excludes: `pragma: no cover` and the project's own exclusion regexes."""
    patterns = [_PRAGMA, *_list(cov.get("report.exclude_lines"), commas=False),
                *_list(cov.get("report.exclude_also"), commas=False)]  # fmt: skip
    try:
        regex = re.compile("|".join(f"(?:{p})" for p in patterns))
    except re.error:
        regex = re.compile(_PRAGMA)

    def pick(text: str | None) -> list[tuple[int, str]]:
        lines = (text or "").splitlines()
        return [(n, line.strip()) for n, line in enumerate(lines, 1) if regex.search(line)]

    # Files moved between paths keep their exclusions: count what the step removed anywhere.
    everywhere = Counter(t for _, text in _python(base) for _, t in pick(text))
    findings = []
    for path, text in _python(now):
        for line, content in _new_lines(base.get(path), text, pick):
            if everywhere[content] and path not in base:
                everywhere[content] -= 1
                continue
            findings.append(Finding("no-cover", path, line, f"new coverage exclusion: {content[:100]}"))
    return findings


def _noqa(base: Mapping[str, str], now: Mapping[str, str]) -> list[Finding]:
    def pick(text: str | None) -> list[tuple[int, str]]:
        return _comment_lines(text, _NOQA) if text else []

    return [
        Finding("config", path, line, f"new `noqa`: {content[:100]}")
        for path, text in _python(now)
        for line, content in _new_lines(base.get(path), text, pick)
    ]


def _ruff_changes(base: Mapping[str, Any], now: Mapping[str, Any], files: Mapping[str, str]) -> list[Finding]:
    findings = []
    where = str(now["file"])

    def at(needle: str) -> int | None:
        return _line_of(files, where, needle)

    selected_before = set(_list(base.get("select"))) | set(_list(base.get("extend-select")))
    selected_now = set(_list(now.get("select"))) | set(_list(now.get("extend-select")))
    dropped = sorted(selected_before - selected_now)
    if dropped and (selected_now or "select" in now or "extend-select" in now or not now):
        findings.append(Finding("config", where, at("select"), f"ruff rules removed: {', '.join(dropped)}"))
    for key in ("ignore", "extend-ignore", "exclude", "extend-exclude"):
        added = [r for r in _list(now.get(key)) if r not in _list(base.get(key))]
        if added:
            findings.append(Finding("config", where, at(added[0]), f"ruff {key} added: {', '.join(added)}"))
    pfi_base = base.get("per-file-ignores") if isinstance(base.get("per-file-ignores"), dict) else {}
    pfi_now = now.get("per-file-ignores") if isinstance(now.get("per-file-ignores"), dict) else {}
    for pattern, codes in (pfi_now or {}).items():
        added = [c for c in _list(codes) if c not in _list((pfi_base or {}).get(pattern))]
        if added:
            findings.append(
                Finding(
                    "config", where, at(pattern), f"ruff per-file-ignores added: {pattern} {', '.join(added)}"
                )
            )
    return findings


def _stepcommit_changes(
    base: Mapping[str, Any], now: Mapping[str, Any], files: Mapping[str, str]
) -> list[Finding]:
    findings = []

    def at(key: str) -> int | None:
        return _line_of(files, "pyproject.toml", key, after="[tool.stepcommit")

    for key in ("fail_under", "fail_under_changed"):
        old, new = _number(base.get(key)), _number(now.get(key))
        if old is not None and (new is None or new < old):
            findings.append(Finding("config", "pyproject.toml", at(key),
                                    f"[tool.stepcommit] {key} lowered from {old:g} to {'unset' if new is None else f'{new:g}'}"))  # fmt: skip
    for key in ("ratchet", "lint"):
        if base.get(key, True) is not False and now.get(key, True) is False:
            findings.append(Finding("config", "pyproject.toml", at(key), f"[tool.stepcommit] {key} = false"))
    old_tol, new_tol = (
        _number(base.get("ratchet_tolerance")) or 0.0,
        _number(now.get("ratchet_tolerance")) or 0.0,
    )
    if new_tol > old_tol:
        findings.append(Finding("config", "pyproject.toml", at("ratchet_tolerance"),
                                f"[tool.stepcommit] ratchet_tolerance raised from {old_tol:g} to {new_tol:g}"))  # fmt: skip
    old_policy, new_policy = base.get("honesty", {}), now.get("honesty", {})
    if isinstance(old_policy, dict) and isinstance(new_policy, dict):
        for kind in KINDS:
            was = _policy_of(old_policy, kind)
            is_now = _policy_of(new_policy, kind)
            if _STRICTNESS.get(is_now, 2) < _STRICTNESS.get(was, 2):
                findings.append(Finding("config", "pyproject.toml", at("honesty"),
                                        f"[tool.stepcommit] honesty {kind} loosened from {was} to {is_now}"))  # fmt: skip
    return findings


def _policy_of(table: Mapping[str, Any], kind: str) -> str:
    value = table.get(kind, table.get(kind.replace("-", "_"), DEFAULT_POLICY[kind]))
    return str(value)


# --- weak tests ------------------------------------------------------------------------------------


def weakness(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """Why a test function checks nothing (None when it asserts something real)."""
    real = weak = 0
    what = "no assertion of any kind"
    for item in ast.walk(node):
        if isinstance(item, ast.Assert):
            reason = _weak_assert(item.test)
            if reason:
                weak += 1
                what = reason
            else:
                real += 1
        elif isinstance(item, (ast.Call, ast.Attribute, ast.Name)):
            name = _dotted(item.func) if isinstance(item, ast.Call) else _dotted(item)
            last = name.rsplit(".", 1)[-1]
            if last.startswith("assert") or last in _ASSERTING:
                real += 1
    if real:
        return None
    return what if weak else "no assertion of any kind"


def _weak_assert(test: ast.expr) -> str | None:
    if isinstance(test, ast.Constant):
        return f"`assert {ast.unparse(test)}` always passes" if test.value else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Eq, ast.Is)):
        left, right = test.left, test.comparators[0]
        if ast.dump(left) == ast.dump(right):
            return f"`assert {ast.unparse(test)[:80]}` compares a value with itself"
        if isinstance(left, ast.Constant) and isinstance(right, ast.Constant):
            return f"`assert {ast.unparse(test)[:80]}` compares two literals"
    return None


def _weak(
    base: Mapping[str, TestFunction], now: Mapping[str, TestFunction], renames: Mapping[str, str]
) -> list[Finding]:
    """New tests that assert nothing, and changed tests whose assertions were taken out."""
    moved_from = {new: old for old, new in renames.items()}
    findings = []
    for test_id, test in now.items():
        reason = weakness(test.node)
        if reason is None:
            continue
        old = base.get(moved_from.get(test_id, test_id))
        if old is None:
            findings.append(Finding("weak-tests", test.file, test.line, f"new test with {reason}"
                                    if reason.startswith("no ") else f"new test: {reason}", test_id))  # fmt: skip
        elif old.body != test.body and weakness(old.node) is None:
            findings.append(Finding("weak-tests", test.file, test.line, f"its assertions were taken out: {reason}",
                                    test_id))  # fmt: skip
    return findings
