"""Status words and emoji as people write them (DONE, In Progress, ✅, YES), read and rewritten alike."""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from stepcommit.lazy_re import LazyPattern, lazy
from stepcommit.plan.model import Status

_WORDS: dict[str, Status] = {
    "done": "done",
    "complete": "done",
    "completed": "done",
    "finished": "done",
    "passed": "done",
    "pass": "done",
    "yes": "done",
    "y": "done",
    "true": "done",
    "in progress": "in_progress",
    "in-progress": "in_progress",
    "inprogress": "in_progress",
    "assigned": "in_progress",
    "wip": "in_progress",
    "started": "in_progress",
    "ongoing": "in_progress",
    "active": "in_progress",
    "doing": "in_progress",
    "partial": "in_progress",
    "not started": "todo",
    "todo": "todo",
    "to do": "todo",
    "pending": "todo",
    "planned": "todo",
    "open": "todo",
    "blocked": "todo",
    "on hold": "todo",
    "postponed": "todo",
    "deferred": "todo",
    "no": "todo",
    "n": "todo",
    "false": "todo",
    "skipped": "skipped",
    "cancelled": "skipped",
    "canceled": "skipped",
    "descoped": "skipped",
    "abandoned": "skipped",
    "won't do": "skipped",
    "wont do": "skipped",
    "n/a": "skipped",
    # GSD's word for a phase inserted after the roadmap was planned (`| 5. Fixes | v1.0 | 0/0 | Inserted |`);
    # a status only as a whole cell (`Hotfix (INSERTED)` in a title names no status).
    "inserted": "todo",
    # Portuguese and Spanish trackers (`| Fase | Nome | Estado |`, `✓ Completa`, `Pendente`).
    "completa": "done",
    "completo": "done",
    "concluída": "done",
    "concluído": "done",
    "concluido": "done",
    "completado": "done",
    "completada": "done",
    "terminado": "done",
    "em curso": "in_progress",
    "em progresso": "in_progress",
    "em andamento": "in_progress",
    "en progreso": "in_progress",
    "en curso": "in_progress",
    "pendente": "todo",
    "pendiente": "todo",
    # Chinese plans (`（进行中）` after a phase title, a legend `- [x] 已完成（Done）`).
    "已完成": "done",
    "完成": "done",
    "进行中": "in_progress",
    "待办": "todo",
    "未开始": "todo",
    "待开始": "todo",
    "已取消": "skipped",
    # Korean plans (`### API Server (완료) ✅`, `**상태**: 진행 중`).
    "완료": "done",
    "진행 중": "in_progress",
    "진행중": "in_progress",
    "대기": "todo",
    "미완료": "todo",
}
# Open, but not to be begun now: read as "todo" with the step marked deferred.
_DEFERRAL = {"deferred", "blocked", "on hold", "postponed"}
_BOOLEAN = {"yes", "no", "y", "n", "true", "false"}
_WHOLE_CELL_ONLY = {"inserted"}
# Words that say a status only as a whole table cell, never in a title or as a legend's entry: the row a
# tracker says comes next (`| 2 | #24 | Next | Introduce tuples |`) is open work.
_CELL_ONLY: dict[str, Status] = {"next": "todo", "up next": "todo", "next up": "todo"}

_EMOJI: dict[str, Status] = {
    "✅": "done",
    "✔": "done",
    "☑": "done",
    "🟢": "done",
    "✓": "done",
    "🔄": "in_progress",
    "🚧": "in_progress",
    "🟡": "in_progress",
    "⏳": "in_progress",
    "🏗": "in_progress",
    "⬜": "todo",
    "☐": "todo",
    "🔲": "todo",
    "⭕": "todo",
    "❌": "todo",
    "🔴": "todo",
    "⏭": "skipped",
    "◐": "in_progress",
    "◑": "in_progress",
    "◒": "in_progress",
    "◓": "in_progress",
}
_DEFAULT_EMOJI: dict[Status, str] = {"done": "✅", "in_progress": "🔄", "todo": "⬜", "skipped": "⏭️"}
_DEFAULT_WORD: dict[Status, str] = {
    "done": "done",
    "in_progress": "in progress",
    "todo": "not started",
    "skipped": "skipped",
}

# An emoji keeps its variation selector (U+FE0F / U+FE0E) as part of it, so both are replaced together.
EMOJI = "(?:" + "|".join(re.escape(e) for e in sorted(_EMOJI, key=len, reverse=True)) + ")[\ufe0e\ufe0f]?"
_WORD_ALT = "|".join(
    re.escape(w).replace(r"\ ", r"[ \t]+")
    for w in sorted(_WORDS, key=len, reverse=True)
    if len(w) > 1 and w not in _WHOLE_CELL_ONLY
)
WORD = rf"(?<![\w/-])(?i:{_WORD_ALT})(?![\w/-])"
_EMOJI_RE = lazy(EMOJI)
_WORD_RE = lazy(WORD)


def emoji_status(text: str) -> Status | None:
    return _EMOJI.get(text.rstrip("\ufe0e\ufe0f"))


_BLANKS = lazy(r"[ \t]+")


def word_status(text: str) -> Status | None:
    key = text.strip().lower()
    if "\t" in key or "  " in key:  # most texts hold single spaces only: no regex pass
        key = _BLANKS.sub(" ", key)
    return _WORDS.get(key)


_MARKUP = lazy(r"[*_`]")
_GLOSS = lazy(r"[(\uff08](?P<inner>[^()\uff08\uff09]*)[)\uff09]")


def is_legend_entry(text: str) -> bool:
    """Whether a list item only names a status (`Done`, `待办（Todo）`, `✅ Complete`): a legend's
    entry, not a step."""
    # Every step's title is asked: the guards spare the regex passes that cannot change a thing
    # (no markup, no bracket, no emoji, which are never ASCII).
    plain = (_MARKUP.sub("", text) if "*" in text or "_" in text or "`" in text else text).strip()
    glosses: list[str] = []
    rest = plain
    if "(" in plain or "\uff08" in plain:
        glosses = [m.group("inner") for m in _GLOSS.finditer(plain)]
        rest = _GLOSS.sub(" ", plain).strip()
    if not rest.isascii():
        rest = _EMOJI_RE.sub("", rest)
    rest = rest.strip(" \t:-–—=")
    if not rest and not glosses:
        return False
    if not glosses:  # the commonest: one part, no generator
        return not rest.strip() or word_status(rest) is not None
    return all(word_status(part) is not None for part in (rest, *glosses) if part.strip())


# A priority's rank, 0 first: Task Master's high / medium / low, and P0-P4.
_PRIORITY = lazy(
    r"^[^\w]*(?:(?i:p)(?P<p>\d)\b|(?P<word>(?i:very[ \t]+high|very[ \t]+low|critical|urgent|blocker|highest|"
    r"high|medium|normal|moderate|lowest|low|minor|trivial))\b)"
)
_PRIORITY_RANK = {
    "critical": 0, "urgent": 0, "blocker": 0, "highest": 0, "very high": 0,
    "high": 1, "medium": 2, "normal": 2, "moderate": 2,
    "low": 3, "lowest": 4, "very low": 4, "minor": 4, "trivial": 4,
}  # fmt: skip


def priority_rank(value: str) -> int | None:
    """The rank a `Priority:` field's value says (0 first: `P0`, `Critical`; `High` 1, `Medium` 2,
    `Low` 3), or None when it says none (`TBD`)."""
    match = _PRIORITY.compiled.match(value)
    if match is None:
        return None
    if match.group("p") is not None:
        return min(int(match.group("p")), 4)
    return _PRIORITY_RANK[" ".join(match.group("word").lower().split())]


def is_deferral(text: str) -> bool:
    """Whether a status word says "not now" (DEFERRED, BLOCKED, ON HOLD) rather than "not yet"."""
    return re.sub(r"[ \t]+", " ", text.strip().lower()) in _DEFERRAL


@dataclass(frozen=True)
class Cell:
    """A status written in free text: an emoji, a word, or both (``✅ DONE``), with their offsets."""

    status: Status | None
    emoji: tuple[int, int] | None
    word: tuple[int, int] | None
    share: tuple[int, int] | None = None  # `85%` in `✅ 85% Complete`


_LEGEND = lazy(r"^[ \t>*+-]*(?:\*\*|__)?(?i:(?:status[ \t]+)?(?:key|legend))(?:\*\*|__)?[ \t]*:(?:\*\*|__)?")
_LEGEND_PAIR = lazy(rf"(?P<glyph>{EMOJI})[ \t]*(?P<word>[^·•,;|/]+?)[ \t]*(?=[·•,;|/]|{EMOJI}|$)")


def read_legend(lines: Iterable[str]) -> dict[str, Status]:
    """The glyphs a file's legend line defines (`Status key: ☐ not started · ◐ in progress · ☑ merged`).

    In that file a defined glyph says the cell's status even where a word beside it says another
    (`◐ complete on branch (PR open)` is in progress): the legend is the file's own key.
    """
    legend: dict[str, Status] = {}
    for line in lines:
        head = _LEGEND.match(line) if ":" in line else None  # every line is asked: most have no colon
        if head is None:
            continue
        for pair in _LEGEND_PAIR.finditer(line, head.end()):
            status = word_status(pair.group("word").strip("*_`"))
            if status is not None:
                legend[pair.group("glyph").rstrip("\ufe0e\ufe0f")] = status
    return legend


# Words that grade a row (`✅ Good`, `⚠️ Weak`): a coverage or health assessment, not its progress.
_GRADES = frozenset(
    {"good", "great", "excellent", "solid", "strong", "fair", "adequate", "weak", "poor", "bad", "ok", "okay"}
)


def is_grade(text: str) -> bool:
    """Whether a cell grades its row (`✅ Good`, `**Poor**`) rather than saying where its work is."""
    found = re.findall(r"[^\W\d_]+", text.lower())
    return len(found) == 1 and found[0] in _GRADES


# A share written right before a status word (`85% Complete`, `60 % done`): under way below 100%.
SHARE = r"(?<![\w.])\d{1,3}(?:\.\d+)?[ \t]*%"
_SHARE_BEFORE = lazy(rf"(?P<share>{SHARE})[ \t]*(?:\*\*)?[ \t]*$")


def _share_before(text: str, word: re.Match[str] | None) -> tuple[int, int] | None:
    """The offsets of the share written right before the status word, if any."""
    if word is None or "%" not in text[: word.start()]:
        return None
    share = _SHARE_BEFORE.compiled.search(text, 0, word.start())
    return share.span("share") if share else None


def read_cell(text: str, legend: Mapping[str, Status] | None = None) -> Cell:
    """The status of a table cell's text; ``status`` is None when the text names none. A glyph
    the file's ``legend`` defines decides over a word. A share before a done word (`✅ 85% Complete`)
    is work under way: only all of it (`100%`) is done."""
    stripped = text.strip().strip("*_`[]()").strip()
    emoji = _EMOJI_RE.search(text)
    whole = word_status(stripped) or _CELL_ONLY.get(stripped.lower())
    word = _WORD_RE.search(text)
    status: Status | None = None
    if word is not None:
        status = word_status(word.group())
    if status is None and whole is not None:
        status = whole
    if emoji is not None and status is None:
        status = emoji_status(emoji.group())
    if emoji is not None and legend and (defined := legend.get(emoji.group().rstrip("\ufe0e\ufe0f"))):
        status = defined
    share = _share_before(text, word)
    if share is not None and status == "done" and float(text[share[0] : share[1]].rstrip(" \t%")) < 100:
        status = "in_progress"
    if word is None and whole is not None:
        # one-letter words (Y/N) are too common to look for inside longer text; as a whole cell they count.
        start = text.index(stripped)
        word = re.compile(re.escape(stripped)).search(text, start)
    return Cell(
        status,
        (emoji.start(), emoji.end()) if emoji else None,
        (word.start(), word.end()) if word else None,
        share,
    )


def _case_like(word: str, model: str) -> str:
    if model.isupper():
        return word.upper()
    if model[:1].isupper():
        return " ".join(part.capitalize() for part in word.split(" "))
    return word.lower()


def pick_word(status: Status, old: str, seen: Iterable[str]) -> str | None:
    """The word to write for ``status`` where ``old`` stood: one the file already uses, in ``old``'s case.

    None when ``old`` is a yes/no answer and ``status`` is in progress: such a column has no word for it.
    """
    # A deferral word is the file's word for "not now", never the one to write for "not started".
    known = [w for w in seen if word_status(w) == status and not is_deferral(w)]
    boolean = old.strip().lower() in _BOOLEAN
    if boolean:
        known = [w for w in known if w.strip().lower() in _BOOLEAN]
        if not known:
            if status == "in_progress":
                return None
            yes_no = {"done": "yes", "todo": "no", "skipped": "no"}[status]
            return _case_like(yes_no if len(old.strip()) > 1 else yes_no[0], old)
    same_case = [w for w in known if _case_like(w, old) == w]
    choices = same_case or known
    if choices:
        return Counter(choices).most_common(1)[0][0]
    return _case_like(_DEFAULT_WORD[status], old)


def pick_emoji(status: Status, seen: Iterable[str]) -> str:
    known = [e for e in seen if emoji_status(e) == status]
    if known:
        return Counter(known).most_common(1)[0][0]
    return _DEFAULT_EMOJI[status]


def rewrite_cell(text: str, status: Status, seen_words: list[str], seen_emoji: list[str]) -> str | None:
    """``text`` with its status emoji and word changed to ``status``; None when it cannot say ``status``."""
    cell = read_cell(text)
    if cell.emoji is None and cell.word is None:
        return None
    out = text
    # Right part first, so the left offsets stay valid.
    parts = sorted(
        (p for p in (("emoji", cell.emoji), ("word", cell.word), ("share", cell.share)) if p[1] is not None),
        key=lambda p: p[1][0] if p[1] else 0,
        reverse=True,
    )
    for kind, span in parts:
        assert span is not None
        old = text[span[0] : span[1]]
        if kind == "share":
            # The share says the status too: all of it for done, none for not started.
            new: str | None = {"done": "100%", "todo": "0%"}.get(status, old)
        elif kind == "emoji":
            new = pick_emoji(status, seen_emoji)
        else:
            new = pick_word(status, old, seen_words)
        if new is None:
            return None
        rest = out[span[1] :]
        if kind == "word" and is_deferral(old) and new.lower() != old.lower():
            # `Blocked by #24`, `Deferred (needs the API)`: the reason goes with the wait it explains.
            rest = rest[len(rest.rstrip()) :]
        out = out[: span[0]] + new + rest
    return out


def words_in(texts: Iterable[str]) -> tuple[list[str], list[str]]:
    """The status words and emoji a file uses, as written, to copy its style."""
    words: list[str] = []
    emoji: list[str] = []
    for text in texts:
        cell = read_cell(text)
        if cell.word:
            words.append(text[cell.word[0] : cell.word[1]])
        if cell.emoji:
            emoji.append(text[cell.emoji[0] : cell.emoji[1]])
    return words, emoji


# Status said in a step's title, as people write it: `— DEFERRED (requires Playwright)`,
# `(✅ COMPLETED)`, `✅ DONE`, `(OPTIONAL)`, `BLOCKED: waiting on the API`, `**SKIPPED**`.
TitleTag = Literal["done", "skipped", "deferred", "optional", "in_progress"]
_TAGS: dict[str, TitleTag] = {
    "done": "done",
    "complete": "done",
    "completed": "done",
    "finished": "done",
    "skipped": "skipped",
    "descoped": "skipped",
    "de-scoped": "skipped",
    "won't do": "skipped",
    "won\u2019t do": "skipped",
    "wont do": "skipped",
    "cancelled": "skipped",
    "canceled": "skipped",
    "dropped": "skipped",
    "abandoned": "skipped",
    "obsolete": "skipped",
    "superseded": "skipped",
    "out of scope": "skipped",
    "deferred": "deferred",
    "blocked": "deferred",
    "on hold": "deferred",
    "postponed": "deferred",
    "optional": "optional",
    "in progress": "in_progress",
    "wip": "in_progress",
}
_TAG_ALT = "|".join(re.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(_TAGS, key=len, reverse=True))
_TAG_UPPER = "|".join(
    re.escape(w.upper()).replace(r"\ ", r"[ \t]+") for w in sorted(_TAGS, key=len, reverse=True)
)
_TAG_CAP = "|".join(
    re.escape(w.capitalize()).replace(r"\ ", r"[ \t]+") for w in sorted(_TAGS, key=len, reverse=True)
)
_TAG_END = r"!*(?![\w'\u2019])"  # `✅ COMPLETE!`: its exclamation marks are the tag's
# A bare capital tag right after a preposition or article is a noun of the title (`complete items in
# WIP`, `move the cards to DONE`: a board's column), not its status: one fixed-width look-behind a word.
_AFTER_NO_NOUN = "".join(
    rf"(?<!\b(?i:{w})[ \t])"
    for w in (
        "in",
        "into",
        "to",
        "onto",
        "from",
        "of",
        "for",
        "on",
        "the",
        "a",
        "an",
        "as",
        "at",
        "by",
        "with",
    )
)
# (kind of match, pattern): a bracketed or bold tag is removed alone; an emoji, dash or capitals tag
# starts a status clause, and the rest of the title (its reason) goes with it.
_TAG_RES: tuple[tuple[bool, LazyPattern], ...] = (
    (
        False,
        lazy(
            rf"[ \t]*[(\[][ \t]*(?:{EMOJI}[ \t]*)?(?:\*\*)?(?P<w>(?i:{_TAG_ALT})){_TAG_END}(?:\*\*)?[ \t]*[)\]]"
        ),
    ),
    # A bracket that opens with the tag and gives its reason: `(optional but recommended)`,
    # `(deferred to Phase 2)`, `[blocked by #12]`.
    (
        False,
        lazy(
            rf"[ \t]*[(\[][ \t]*(?P<w>(?i:optional|deferred|blocked|postponed|on[ \t]+hold|skipped|dropped))"
            rf"{_TAG_END}[ \t,:;]+[^()\[\]]*[)\]]"
        ),
    ),
    (False, lazy(rf"[ \t]*\*\*[ \t]*(?:{EMOJI}[ \t]*)?(?P<w>(?i:{_TAG_ALT})){_TAG_END}:?\*\*")),
    (True, lazy(rf"[ \t]*(?:[-–—:|][ \t]*)?{EMOJI}[ \t]*(?P<w>(?i:{_TAG_ALT})){_TAG_END}")),
    # After a dash, a tag in lower case followed by more words (`— optional, implicit narrow
    # default`) describes something in the title; in capitals (`— DEFERRED, needs the API`) or
    # alone it is the step's status.
    (
        True,
        lazy(
            rf"(?:^|[ \t]+)[-–—|]{{1,2}}[ \t]*(?P<w>(?i:{_TAG_ALT})){_TAG_END}"
            r"(?=[ \t]*(?:$|[(:!—–-]|[,;.][ \t]*$))"
        ),
    ),
    (
        True,
        lazy(rf"(?:^|[ \t]+)[-–—|]{{1,2}}[ \t]*(?P<w>{_TAG_UPPER}|{_TAG_CAP}){_TAG_END}(?=[ \t]*[,;.])"),
    ),
    (
        True,
        lazy(rf"(?:^|[ \t]+)(?<![\w']){_AFTER_NO_NOUN}(?P<w>{_TAG_UPPER}){_TAG_END}(?=[ \t]*(?:$|[(:—–-]))"),
    ),
)


# Substrings one of which every tag holds: a cheap test that passes over most titles untouched.
_TAG_HINTS = (
    "done",
    "complete",
    "finished",
    "skipped",
    "scoped",
    "won",
    "cancel",
    "dropped",
    "obsolete",
    "superseded",
    "scope",
    "deferred",
    "blocked",
    "hold",
    "postponed",
    "optional",
    "progress",
    "wip",
)


@functools.cache
def _tag_hint() -> re.Pattern[str]:
    return re.compile("|".join(map(re.escape, _TAG_HINTS)))


class TitleWords(NamedTuple):
    """What a title says in words: the title without them, and the status, deferral and optional they give."""

    text: str
    status: Status | None
    deferred: bool
    optional: bool


_TAG_RANK: dict[TitleTag, int] = {"done": 0, "skipped": 1, "in_progress": 2, "deferred": 3, "optional": 4}


def title_words(text: str) -> TitleWords:
    """The status words of a step's title read, and dropped from the text (the file keeps them)."""
    found: list[TitleTag] = []
    low = text.lower()
    if not _tag_hint().search(low):
        return TitleWords(text.strip(), None, False, False)  # most titles: one search, not five
    for cuts, pattern in _TAG_RES:
        while (match := pattern.search(text)) is not None:
            tag = _TAGS[re.sub(r"[ \t]+", " ", match.group("w").lower())]
            found.append(tag)
            before = text[: match.start()]
            if cuts and before.strip(" \t*_"):
                text = before
            else:
                # At the start (`BLOCKED: waiting on the API`) or bracketed: only the tag goes.
                rest = text[match.end() :]
                if not before.strip(" \t*_"):
                    rest = re.sub(r"^(?:\*\*)?[ \t]*[:\-–—]?[ \t]*", "", rest)
                text = before + (" " if before and rest else "") + rest
    tags = sorted(set(found), key=_TAG_RANK.__getitem__)
    status: Status | None = None
    for tag in tags:
        if tag in ("done", "skipped", "in_progress"):
            status = tag
            break
    return TitleWords(text.strip(), status, "deferred" in tags, "optional" in tags)


def status_tag_span(text: str) -> tuple[int, int] | None:
    """Where ``text`` says a step is done or skipped in words (`(done)`, `✅ DONE`), with the
    space before it; None when it says neither."""
    low = text.lower()
    if not any(hint in low for hint in _TAG_HINTS):
        return None
    for _, pattern in _TAG_RES:
        for match in pattern.finditer(text):
            if _TAGS[re.sub(r"[ \t]+", " ", match.group("w").lower())] in ("done", "skipped"):
                return match.start(), match.end()
    return None
