"""Status words and emoji as people write them (DONE, In Progress, ✅, YES), read and rewritten alike."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

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
    "no": "todo",
    "n": "todo",
    "false": "todo",
    "skipped": "skipped",
    "cancelled": "skipped",
    "canceled": "skipped",
    "deferred": "skipped",
    "n/a": "skipped",
}
_BOOLEAN = {"yes", "no", "y", "n", "true", "false"}

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
    re.escape(w).replace(r"\ ", r"[ \t]+") for w in sorted(_WORDS, key=len, reverse=True) if len(w) > 1
)
WORD = rf"(?<![\w/-])(?i:{_WORD_ALT})(?![\w/-])"
_EMOJI_RE = re.compile(EMOJI)
_WORD_RE = re.compile(WORD)


def emoji_status(text: str) -> Status | None:
    return _EMOJI.get(text.rstrip("\ufe0e\ufe0f"))


def word_status(text: str) -> Status | None:
    return _WORDS.get(re.sub(r"[ \t]+", " ", text.strip().lower()))


@dataclass(frozen=True)
class Cell:
    """A status written in free text: an emoji, a word, or both (``✅ DONE``), with their offsets."""

    status: Status | None
    emoji: tuple[int, int] | None
    word: tuple[int, int] | None


def read_cell(text: str) -> Cell:
    """The status of a table cell's text; ``status`` is None when the text names none."""
    stripped = text.strip().strip("*_`[]()").strip()
    emoji = _EMOJI_RE.search(text)
    whole = word_status(stripped)
    word = _WORD_RE.search(text)
    status: Status | None = None
    if word is not None:
        status = word_status(word.group())
    if status is None and whole is not None:
        status = whole
    if emoji is not None and status is None:
        status = emoji_status(emoji.group())
    if word is None and whole is not None:
        # one-letter words (Y/N) are too common to look for inside longer text; as a whole cell they count.
        start = text.index(stripped)
        word = re.compile(re.escape(stripped)).search(text, start)
    return Cell(
        status,
        (emoji.start(), emoji.end()) if emoji else None,
        (word.start(), word.end()) if word else None,
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
    known = [w for w in seen if word_status(w) == status]
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
        (p for p in (("emoji", cell.emoji), ("word", cell.word)) if p[1] is not None),
        key=lambda p: p[1][0] if p[1] else 0,
        reverse=True,
    )
    for kind, span in parts:
        assert span is not None
        old = text[span[0] : span[1]]
        if kind == "emoji":
            new: str | None = pick_emoji(status, seen_emoji)
        else:
            new = pick_word(status, old, seen_words)
        if new is None:
            return None
        out = out[: span[0]] + new + out[span[1] :]
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
