"""A step's own text read: its id, its clean title, and what its words say of its status."""

from __future__ import annotations

import re
from typing import NamedTuple

from stepcommit.plan import words
from stepcommit.plan.model import Status
from stepcommit.plan.patterns import (
    AUTOLINK,
    BOLD_ONLY_ID,
    CODE_SPAN,
    COMMENT,
    ID,
    IMAGE,
    KEYWORD_AND_ID,
    LINK,
    SENTENCE_END,
    SPACES,
    STRUCK,
    TAGS,
    TIMESTAMP,
)


def _unbold(text: str) -> str:
    """``text`` without bold markers, except inside code spans: `calc/__init__.py` keeps its underscores."""
    if "**" not in text and "__" not in text:
        return text  # most titles: nothing to take out
    parts: list[str] = []
    pos = 0
    for span in CODE_SPAN.finditer(text):
        parts.append(re.sub(r"(\*\*|__)", "", text[pos : span.start()]))
        parts.append(span.group())
        pos = span.end()
    parts.append(re.sub(r"(\*\*|__)", "", text[pos:]))
    return "".join(parts)


TITLE_MAX = 100


_SEPARATORS = "-–—:|"


def _trim_separators(text: str) -> str:
    """``text`` without separators at its ends: the stray `- ` of `Phase 0 -- Title`, a trailing `|`."""
    text = text.strip(" \t")
    if not text or (text[0] not in _SEPARATORS and text[-1] not in _SEPARATORS):
        return text  # most texts: nothing to trim
    if text[:1] in _SEPARATORS and text:
        text = text.lstrip(_SEPARATORS).lstrip(" \t")
    if text[-1:] in _SEPARATORS and text:
        text = text.rstrip(_SEPARATORS).rstrip(" \t")
    return text


class Title(NamedTuple):
    """A step's text read: its own id, its clean title, and what its words say of its status."""

    ident: str | None
    text: str
    status: Status | None = None
    deferred: bool = False
    optional: bool = False


def _clean(title: str) -> str:
    """Display text: no link, image or strike markup, no wrapped description, whitespace collapsed."""
    if "[" in title:
        title = IMAGE.sub("", title)
        title = LINK.sub(lambda m: m.group("text"), title)
    if "<" in title:
        title = AUTOLINK.sub(lambda m: m.group("url"), title)
    # `\s` other than a single space is a run of spaces or a character str.isprintable refuses.
    if "  " in title or not title.isprintable():
        title = SPACES.sub(" ", title)
    title = _trim_separators(title.strip())
    # A wrapped description: keep the first sentence, or the part before ` — `.
    dash = title.find(" — ")
    if dash > 0:
        title = title[:dash].rstrip()
    sentence = SENTENCE_END.search(title) if ". " in title else None
    if sentence:
        title = title[: sentence.start() + 1]
    if len(title) > TITLE_MAX:
        # `Worktree support: Add top-level ...` (a paragraph after a short name): the name; not
        # `Phase A: Upgrade ...`, whose label names no work.
        colon = title.find(": ")
        if (
            0 < colon <= TITLE_MAX // 2
            and title.count("`", 0, colon) % 2 == 0
            and not KEYWORD_AND_ID.compiled.fullmatch(title[:colon].rstrip())
        ):
            return title[:colon].rstrip()
        cut = title[: TITLE_MAX + 1]
        space = cut.rfind(" ")
        title = (cut[:space] if space > TITLE_MAX // 2 else cut[:TITLE_MAX]).rstrip(" ,;:-–—")
        # A cut inside a code span closes it: `Run `pnpm exec vitest run test/x.ts`…`.
        title += "`…" if title.count("`") % 2 else "…"
    return title


_BOLD_LABEL = re.compile(r"(?i)(?:todo|to[ \t]+do|fixme|next|wip|action(?:[ \t]+item)?|task)[ \t]*:?")


def read_title(text: str) -> Title:
    """A step's text read: `**1.1. Title**`, `T012 [P] [US1] Title`, `P0-1: Title`, `Step 3: Title`,
    `6 Title`, with its status words (`— DEFERRED (needs X)`, `(✅ COMPLETED)`, `(OPTIONAL)`,
    a title struck through whole) read and dropped from the title."""
    # The guards skip a regex pass over most titles (no comment, no timestamp).
    text = (COMMENT.sub("", text) if "<!--" in text else text).strip()
    text = _trim_separators(TIMESTAMP.sub("", text) if text[:1] == "(" else text)
    said = words.title_words(text)
    text = said.text
    status = said.status
    if "~~" in text:
        if STRUCK.fullmatch(text.strip(" \t*_")):
            status = status or "skipped"
            text = text.replace("~~", "")
        elif STRUCK.search(text) and STRUCK.sub("", text).strip(" \t*_"):
            text = STRUCK.sub("", text)  # the struck part is the old wording
        else:
            text = text.replace("~~", "")
    text = text.strip()
    after = ""
    source = text
    for bold in ("**", "__"):
        if text.startswith(bold):
            close = text.find(bold, 2)
            if close > 2:
                source, after = text[2:close], text[close + 2 :]
            else:
                source = text[2:]  # bold that never closes
            break
    ident = None
    match = ID.compiled.match(source)  # once a step: the compiled pattern's own method
    # An id before a bare space is one only before a capital (`6 Caching layer`, `SC-801 Completed`):
    # before a lower-case word it is a count (`3 tests for the parser`) or a name (`UTF-8 handling`,
    # `SIP-010 fungible token swaps`).
    if match and (
        match.group("kw")
        or match.group("sep")
        or not (match.group("id").isdigit() or (match.group("id")[:1].isalpha() and "-" in match.group("id")))
        or re.match(r"[ \t]+[^\W\d_a-z]", source[match.end() :])
    ):
        ident = match.group("id")
        source = source[match.end() :]
        # `**1.1.** Title`: the bold held only the number.
        if not source.strip(" \t*_:.-–—"):
            source, after = after, ""
    elif after.strip(" \t:-–—") and BOLD_ONLY_ID.compiled.fullmatch(source):
        # `**M1** trend buckets`: the bold held only the item's own id (as a bare backlog bullet's).
        ident, source, after = source, after, ""
    elif after.strip(" \t:-–—") and _BOLD_LABEL.fullmatch(source.strip()):
        # `**TODO:** Create the GitHub repository`: the bold is a label; the words after it are the step.
        source, after = after.strip(" \t:-–—"), ""
    source = source.strip()
    if source[:1] == "[":  # TAGS starts with one
        source = TAGS.sub("", source)
    title = _unbold(source).strip().strip(":").strip()
    if not title and after:
        title = _unbold(after).strip(" \t:-–—")
    return Title(ident, _clean(title), status, said.deferred, said.optional)


def split_title(text: str) -> tuple[str | None, str]:
    """``(own id or None, clean title)`` of a step's text (see `read_title`)."""
    read = read_title(text)
    return read.ident, read.text
