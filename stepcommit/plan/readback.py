"""A tick read back from the one checkbox mark it changed, without reading a big plan again whole.

A status change is checked before it is written: the step must read back in its place, with its
id and title, in the status asked. Reading a 20 MB plan again costs seconds; when the change is one
checkbox's mark and nothing else, the rest of the plan reads exactly as before (the reader looks at
the mark only for the step's own status and, for `/`, the Antigravity flavour), so the step as read
back is known without a read. Any other change is read again whole. `tests/plan/test_readback.py`
compares this with the whole read for every status of a sample of the steps of each markdown corpus
plan and of generated ones: a reading rule that makes the mark matter elsewhere fails it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from stepcommit.plan.model import Step

if TYPE_CHECKING:
    from stepcommit.plan.reading import Parsed


def ticked_step(parsed: Parsed, old: str, new: str, step: Step) -> Step | None:
    """``step`` (of ``parsed``, the markdown reading of ``old``) as reading ``new`` gives it, when
    ``new`` is ``old`` with only that step's checkbox mark changed; None for any other change.

    Not for a plan with joined steps (a tracker's rows and sections: their statuses join), nor a
    mark that reopens a step (its title's own words then say its status), nor one that adds or
    takes away a `/` the flavour may hang on.
    """
    from stepcommit.plan.patterns import MARK_STATUS as marks  # the reader's own table

    if any(parsed.places) or len(old) != len(new) or not 0 <= step.index < len(parsed.markers):
        return None
    marker = parsed.markers[step.index]
    at = marker.start
    if marker.kind != "checkbox" or marker.end != at + 1 or marker.line.number != step.line:
        return None
    was, now = old[at], new[at]
    status = marks.get(now)
    if was not in marks or status is None or status == "todo":
        return None
    if "/" in (was, now) and not (was != "/" and parsed.flavor == "antigravity"):
        return None  # a `/` mark is what makes a plan Antigravity's: the last one may go, or the first come
    # Both comparisons are memcmp: milliseconds on a big plan, against seconds to read it.
    if new[:at] != old[:at] or new[at + 1 :] != old[at + 1 :]:
        return None
    # The reader's own rule for a checkbox: a step that is not open is never deferred.
    return replace(step, status=status, deferred=False)
