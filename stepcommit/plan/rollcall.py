"""Status said by a roll-call of ids: prose that names steps under a status label.

A backlog of bare `- **M1** ...` bullets (no box, no status word of their own) often keeps its status
elsewhere, in the words of a person or an agent: `**Shipped this session:** M1 M2 M3 · L1 L2 ...`,
`**Also shipped since:**` over `- **G4 ownerReferences walk** — ...`, `**Deliberately DEFERRED:**` over
`- **P5 remove legacy shim** — ...`. Such a label holds a done or a deferred word and ends with a
colon; the ids it calls are the step ids that appear in its paragraph, or that open a bold span in
each item of the list right below it (`- **P5 ...**`; an id only mentioned in an item's text, `C2 put
the plumbing in`, is not called). Only a step without a mark of its own takes a status this way, and
done wins over deferred.
"""

from __future__ import annotations

from collections.abc import Sequence

from stepcommit.lazy_re import lazy
from stepcommit.plan.patterns import ITEM_ID
from stepcommit.plan.text import Line

# `**Shipped this session:**`, `**Deliberately DEFERRED (do after X) — with rationale:**`, `Done:`.
LABEL = lazy(
    r"^[ \t]*(?:[-*+][ \t]+)?(?P<mark>\*\*|__)(?P<label>[^*_\n]{1,120}?)(?P=mark)[ \t]*(?P<colon>:?)(?P<rest>.*)$"
)
DONE_WORDS = lazy(r"(?i)\b(?:shipped|done|completed?|finished|merged|implemented|landed|delivered)\b")
DEFERRED_WORDS = lazy(
    r"(?i)\b(?:deferred|postponed|dropped|descoped|de-scoped|parked|won'?t[ \t]+do|out[ \t]+of[ \t]+scope)\b"
)
NOT_YET = lazy(r"(?i)\b(?:not|never|remaining|to[ \t]+do|todo|yet)\b")
ID_TOKEN = lazy(r"(?<![\w.-])" + ITEM_ID + r"(?![\w-])")
ITEM_BOLD_ID = lazy(r"(?:\*\*|__)(?P<id>" + ITEM_ID + r")(?![\w-])")
BULLET = lazy(r"^(?P<indent>[ \t]*)[-*+][ \t]+(?P<rest>.*)$")


def called(
    lines: Sequence[Line], skip: set[int] | frozenset[int], own: set[int], ids: set[str]
) -> tuple[set[str], set[str]]:
    """The ids of ``ids`` that a roll-call in ``lines`` calls done, and those it calls deferred
    (none of them done). ``skip``: lines of code, comments and templates; ``own``: the steps' own
    lines (0-based), which are never a roll-call."""
    done: set[str] = set()
    deferred: set[str] = set()
    count = len(lines)
    for index in range(count):
        body = lines[index].body
        if "**" not in body and "__" not in body:
            continue
        if index in skip or index in own:
            continue
        match = LABEL.match(body)
        if match is None:
            continue
        label = match.group("label").strip()
        if not (label.endswith(":") or match.group("colon")):
            continue
        if DONE_WORDS.search(label) and not NOT_YET.search(label):
            into = done
        elif DEFERRED_WORDS.search(label):
            into = deferred
        else:
            continue
        rest = match.group("rest")
        if rest.strip(" \t:"):
            # The paragraph: this line's rest and the lines that continue it.
            paragraph = [rest]
            follow = index + 1
            while follow < count and lines[follow].body.strip() and not BULLET.match(lines[follow].body):
                if follow in skip or follow in own:
                    break
                paragraph.append(lines[follow].body)
                follow += 1
            into.update(token for token in ID_TOKEN.findall(" ".join(paragraph)) if token in ids)
            continue
        # The list right below the label: each item's bold-opening id.
        follow = index + 1
        while follow < count and not lines[follow].body.strip():
            follow += 1
        while follow < count:
            body = lines[follow].body
            if not body.strip():
                # A blank line ends the list unless another item follows it (a loose list).
                after = follow + 1
                while after < count and not lines[after].body.strip():
                    after += 1
                nxt = BULLET.match(lines[after].body) if after < count else None
                if nxt is None or nxt.group("indent"):
                    break
                follow = after
                continue
            if follow in own or follow in skip:
                break
            item = BULLET.match(body)
            if item is not None and not item.group("indent"):
                text = item.group("rest")
                for bold in ITEM_BOLD_ID.finditer(text):
                    # The item's own id opens it; `, **P6 dev/ docs**` names a second item.
                    joined = bold.start() == 0 or text[: bold.start()].rstrip().endswith(
                        (",", "+", " and", "&")
                    )
                    if joined and bold.group("id") in ids:
                        into.add(bold.group("id"))
            elif item is None and not body[:1].isspace():
                break  # a line of prose after the list ends it
            follow += 1
    return done, deferred - done
