"""Text from agents, files and processes made harmless: one set of rules for terminal escapes.

`clean` keeps the text's lines (the terminal boundary, `stepcommit.output`, prints through it);
`clean_line` makes one line of it (progress entries, commit lines); `redacted_line` also masks
secrets (`stepcommit.redact`), for text that is stored or committed.
"""

from __future__ import annotations

import re

from stepcommit.lazy_re import lazy
from stepcommit.redact import redact

# CSI (ESC [ or the 8-bit 0x9b), OSC/DCS/APC/PM/SOS strings up to their terminator (or the line's end),
# other two-byte ESC sequences.
ESCAPE = lazy(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# Every C0/C1 control character but newline and tab.
_CONTROL = lazy(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Every control character (newline and tab too): a line has none.
_LINE_CONTROL = lazy(r"[\x00-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without terminal escape sequences or control characters (newline and tab kept)."""
    return _CONTROL.sub("", ESCAPE.sub("", text))


def clean_line(text: str) -> str:
    """One line of agent text made safe: no terminal escapes or control characters, spaces folded."""
    text = _LINE_CONTROL.sub(" ", ESCAPE.sub("", text))
    return re.sub(r" {2,}", " ", text).strip()


def redacted_line(text: str) -> str:
    """``clean_line`` with every secret masked: text that is stored or committed."""
    return redact(clean_line(text))
