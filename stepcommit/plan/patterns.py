"""The regular expressions a markdown plan is read and written with, and the marks they find.

Steps' lines (checkboxes, step headings, emoji bullets, numbered items), the parts of a step's text
(ids, tags, timestamps, status words at the end of a heading, `Verify:` lines), and the sections
and labels that are no steps. Each is compiled on first use (`stepcommit.lazy_re`), not at import.
"""

from __future__ import annotations

import re

from stepcommit.lazy_re import lazy
from stepcommit.plan import words
from stepcommit.plan.model import Status

CHECKBOX = lazy(
    r"^(?P<indent>[ \t]*)(?P<bullet>[-*+]|\d{1,9}[.)])[ \t]+\[(?P<mark>[ xX/~-])\](?P<star>\\?\*)?(?=[ \t]|$)"
    r"(?P<rest>.*)$"
)
EMOJI_BULLET = lazy(
    rf"^(?P<indent>[ \t]*)(?:[-*+]|\d{{1,9}}[.)])[ \t]+(?P<emoji>{words.EMOJI})[ \t]*(?P<rest>.*)$"
)
ATX = lazy(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*$")
_KEYWORD = r"(?i:phase|step|stage|milestone|part|subtask|task|sprint|epic|iteration|slice|fase|etapa)"
# `Phase A`, `Step 3`, `Task 1.2`, `Milestone M2`: a label that names a step but not its work.
KEYWORD_AND_ID = lazy(rf"{_KEYWORD}[ \t]+(?:[A-Z]{{1,3}}\d*|\d+(?:\.\d+)*)[a-z]?")
# `## Current Phase: 2 - Data`, `## Fase Atual: 0 - Preparação`: the section of the phase now worked on.
_CURRENT_BEFORE = r"(?:(?i:current|active)[ \t]+)?"
_CURRENT_AFTER = r"(?:[ \t]+(?i:atual|actual|ativa|activa))?[ \t]*:?"
# `Phase 0 -- Title` (two dashes), `## Phase 3 Build` (no separator at all).
_HEADING_SEP = r"(?:\*\*)?(?:[ \t]*(?:-{1,2}|[:.)–—|])[ \t]*|[ \t]+|[ \t]*$)"
STEP_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?:\*\*)?{_CURRENT_BEFORE}{_KEYWORD}{_CURRENT_AFTER}[ \t]+"
    r"(?P<num>\d+(?:\.\d+)*[a-z]?|T\d{3,}|[A-Z][A-Z0-9]*-\d+)"
    rf"(?:[ \t]+(?P<mark>{words.EMOJI}))?"  # `## Phase 1 ✅ — Define the contract`
    rf"{_HEADING_SEP}(?P<title>.*)$"
)
# An issue catalog's items: `### A1 — Per-session secret key` (a letter-number id needs a separator).
ITEM_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?:\*\*)?(?P<num>[A-Z]{{1,2}}\d{{1,3}})(?:\*\*)?"
    r"[ \t]*(?:[:.)–—|]|--?(?=[ \t]))[ \t]*(?P<title>.+)$"
)
# A task heading with a compound id after its status glyph: `#### ✅ P1-T1: Add params`,
# `#### ⬜️ FU-TASK-EVIDENCE-1: Lint archives` (without the glyph, `GPT-4: results` is no task).
COMPOUND_HEADING = lazy(
    rf"^(?P<lead>{words.EMOJI}[ \t]*)(?:\*\*)?(?P<num>(?=[A-Z0-9-]*\d)[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)"
    r"(?:\*\*)?[ \t]*(?:[:.)–—|]|--?(?=[ \t]))[ \t]*(?P<title>.+)$"
)
# spec-kit tasks written as headings: `### T001 Verify the toolchain`.
TASK_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?:\*\*)?(?P<num>T\d{{3,}}){_HEADING_SEP}(?P<title>.*)$"
)
# A template's heading: `## Phase N ✅`, `### Step X: <name>`.
TEMPLATE_HEADING = lazy(
    rf"^(?:{words.EMOJI}[ \t]*)?{_KEYWORD}[ \t]+(?:[NXn]|<[^>]*>|\{{[^}}]*\}})(?:\.[NXn\d]+)*\b"
)
# `**Status**: ✅ Completed` under a heading gives the heading's status.
STATUS_LINE = lazy(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)?(?i:status)(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*"
    r"(?P<value>.*?)[ \t]*(?:\*\*|__)?[ \t]*$"
)
# `**Priority**: High - accurate status is critical`, `- Priority: P1`: a task's priority field.
PRIORITY_LINE = lazy(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__)?(?i:priority)(?:\*\*|__)?[ \t]*:[ \t]*(?:\*\*|__)?[ \t]*"
    r"(?P<value>.*?)[ \t]*$"
)
# Headings (or bold label lines) whose checkboxes are a step's criteria, not steps.
CRITERIA = lazy(
    r"(?i:(?:success|acceptance|exit|entry|completion|quality|release|done)[ \t]+criteri(?:a|on)"
    r"|definition[ \t]+of[ \t]+(?:done|ready)|dod\b|done[ \t]+when\b|checklist[ \t]+before\b"
    r"|(?:pre-?merge|pre-?commit|review|verification|validation|completion|release|final|quality|acceptance"
    r"|(?:post|pre)-[a-z]+"
    r"|(?:manual[ \t]+)?test(?:ing)?)[ \t]+check(?:list|s)?\b|dod[ \t]+verification"
    r"|gate[ \t]+status|(?:quality|exit)[ \t]+gates?\b"
    # Other languages: `## Критерии готовности 0.3.0`, `Akzeptanzkriterien`, `Criterios de aceptación`,
    # `Critérios de aceitação`, `验收标准`, `완료 조건`.
    r"|критери[йия][ \t]+(?:готовности|при[её]мки|успеха|завершения)|определение[ \t]+готовности"
    r"|akzeptanzkriterien|abnahmekriterien|criterios[ \t]+de[ \t]+(?:aceptaci[oó]n|éxito|exito)"
    r"|crit[ée]rios[ \t]+de[ \t]+(?:aceita[cç][aã]o|sucesso|conclus[aã]o)|crit[èe]res[ \t]+d'acceptation"
    r"|验收标准|完成标准|완료[ \t]*조건|수락[ \t]*기준|인수[ \t]*조건)"
)
CRITERIA_LABEL = lazy(
    r"^(?P<indent>[ \t]*)(?:[-*+][ \t]+)?(?:\*\*|__)(?P<name>[^*_]{3,60}?):?(?:\*\*|__):?[ \t]*$"
    r"|^(?P<indent2>[ \t]*)(?P<name2>[A-Z][\w ]{2,60}):[ \t]*$"
)
# A heading whose sub-headings are tasks: `## Tasks`, `## Completed Tasks`, `## Backlog`.
TASKS_PARENT = lazy(r"(?i:\b(?:tasks?|to-?dos?|backlog|work[ \t]+items|subtasks)\b)")
# A template's step: `<Concrete deliverable-oriented task>`, `{{task}}`, `[Task description]`.
# A box that says its list is empty: `- [ ] None currently tracked`, `- [ ] Nothing yet`, `- [ ] N/A`.
EMPTY_ITEM = lazy(
    r"(?i)^(?:none|nothing|n/?a|tbd)(?:[ \t]+(?:currently|yet|so[ \t]+far|at[ \t]+the[ \t]+moment|right[ \t]+now))?"
    r"(?:[ \t]+(?:tracked|listed|known|open|reported|found|planned))?[ \t]*\.?$"
)
PLACEHOLDER = lazy(r"^(?:<[^<>]+>|\{\{[^{}]*\}\}|\[[^\[\]]* [^\[\]]*\])\.?$")
NUMBERED_HEADING = lazy(
    rf"^(?P<lead>(?:{words.EMOJI}[ \t]*)?)(?P<num>\d+(?:\.\d+)*[a-z]?)(?:[.:)][ \t]*|[ \t]+)(?P<title>.+)$"
)
# A status at the end of a heading: `✅ COMPLETED`, `(DONE)`, `- 🚧 In Progress`, `✅`.
HEADING_STATUS = lazy(
    rf"(?P<sep>[ \t]*(?:[-–—:|][ \t]*)?)"
    rf"(?P<marker>(?:{words.EMOJI}[ \t]*)?[(\[]?(?:\*\*)?(?:{words.EMOJI}[ \t]*)?(?:{words.SHARE}[ \t]*)?{words.WORD}(?:\*\*)?[)\]]?"
    rf"|{words.EMOJI})(?P<date>[ \t]+(?:\(\d{{4}}-\d\d-\d\d\)|\d{{4}}-\d\d-\d\d))?[ \t]*$"  # `✅ (2026-02-08)`, `✅ DONE 2026-07-09`
)
VERIFY = lazy(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__|_|\*)?Verify(?:\*\*|__|_|\*)?:(?:\*\*|__|_|\*)?"
    r"[ \t]*(?P<cmd>.+?)[ \t]*$"
)
# Labels that end a wrapped title: `Verify: ...`, `_Requirements: 1.1_`, `**Files**: ...`.
LABEL = lazy(r"^[ \t]*(?:[-*+][ \t]+)?(?:\*\*|__|_|\*)?[A-Z][\w ]{0,30}(?:\*\*|__|_|\*)?:")
ID = lazy(
    r"^(?:(?P<kw>(?i:step|task|phase|stage|milestone|story))[ \t]+)?"
    r"(?P<id>T\d{3,}|[A-Z][A-Z0-9]{0,5}-\d+(?:\.\d+)*[a-z]?|\d+(?:\.\d+)+[a-z]?|\d+[a-z]?)"
    r"(?P<sep>\.?(?:\*\*|__)?[ \t]*[:.)–—-](?=[ \t]|$|\*\*|__)|\.(?=[ \t]|$)|(?=[ \t])|$)"
)
TAGS = lazy(r"^(?:\[(?:P|US\d+|Story|[A-Z]{1,3}\d{0,3})\][ \t]*)+")
ANTIGRAVITY_ID = lazy(r"<!--[ \t]*id:[ \t]*(?P<id>[^ \t>]+?)[ \t]*-->")
COMMENT = lazy(r"<!--.*?-->")
TIMESTAMP = lazy(r"^\((?:\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?Z?)?|YYYY-MM-DD[^)]*)\)[ \t]*")
EXECPLAN_SECTIONS = ("surprises & discoveries", "decision log", "outcomes & retrospective")

# A checkbox's mark and the status it says.
MARK_STATUS: dict[str, Status] = {
    " ": "todo",
    "x": "done",
    "X": "done",
    "-": "in_progress",
    "/": "in_progress",
    "~": "skipped",
}
# A status said in bold beside other text in a table cell: `Dev **COMPLETE**`.
BOLD_WORD = lazy(r"(?:\*\*|__)(?P<word>[^*_]+?)(?:\*\*|__)")
# `<details>` folds: examples and templates, never steps.
DETAILS_OPEN = lazy(r"<details\b", re.IGNORECASE)
DETAILS_CLOSE = lazy(r"</details\s*>", re.IGNORECASE)
# A code span, whose underscores are no bold.
CODE_SPAN = lazy(r"(`+)[^`].*?\1|`+")
# Markup a title is shown without: images, links, autolinks, struck text.
IMAGE = lazy(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
LINK = lazy(r"\[(?P<text>[^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
AUTOLINK = lazy(r"<(?P<url>(?:https?|file)://[^>]+)>")
STRUCK = lazy(r"~~(?P<text>[^~]+)~~")
# The end of a title's first sentence: a period after a word (not `e.g.`, not `v1.2`) before a capital.
SENTENCE_END = lazy(r"(?<=[\w)\]`'\"]{2})\.[ \t]+(?=[A-Z])")
# A table's sum row (`**CORE TOTAL**`, `Total`), and a status cell that says the row is optional.
TOTAL_ROW = lazy(r"(?i)^(?:[\w-]+[ \t]+)?(?:grand[ \t]+)?totals?$|^(?i:sum|overall)$")
OPTIONAL_CELL = lazy(r"(?i)(?<![\w-])optional(?![\w-])")
SPACES = lazy(r"\s+")
# A section for keeping the file itself (a todo-list template's `## Progress Tracking` of "Update this
# section as items are completed" boxes, `## Lessons Learned`): what is in it is no step.
BOOKKEEPING_SECTION = lazy(
    r"(?i)^(?:progress[ \t]+(?:tracking|log)|lessons[ \t]+learned|retrospectives?"
    # A report of work done: `## Key Achievements Today`, `## Recent Wins 🎉`.
    r"|(?:(?:key|recent|today'?s|notable|session)[ \t]+)?(?:achievements|wins|accomplishments|highlights)(?:[ \t]+today)?[^\w]*"
    # A record of decisions taken: `## All implementation decisions (from grilling)`, `## Decision Log`.
    r"|(?:[\w'-]+[ \t]+){0,3}decisions?(?:[ \t]+(?:log|records?|made|taken))?(?:[ \t]*\([^)]*\))?[^\w]*)$"
)
# Sections of a document that are about the plan, not steps of it.
NOT_STEP_SECTIONS = lazy(
    r"(?i)^(?:overview|introduction|intro|summary|description|notes?|references?|background|goals?|non-goals|purpose|"
    r"scope|(?:table[ \t]+of[ \t]+)?contents|appendix|faq|licen[cs]e|changelog|context|motivation|"
    r"glossary|resources|links|status|progress|legend|open[ \t]+questions|risks?|out[ \t]+of[ \t]+scope)\b"
)
# An item of a top-level numbered list: `1. Per-feature error boundaries: wrap each feature...`.
NUMBERED_ITEM = lazy(r"^\d{1,9}[.)][ \t]+(?P<rest>\S.*)$")
# A backlog item's own id (`M1`, `SEC-2`, `Q1.2b`), and one shared by two areas (`G3/P3`).
ITEM_ID = r"[A-Z]{1,4}-?\d+(?:\.\d+)*[a-z]?"
SHARED_ITEM_ID = ITEM_ID + r"(?:/[A-Z]{1,4}-?\d+)*"
# `**M1** trend buckets`, `__G3/P3__ honor TimeWindow`: a backlog item's id in bold, then its text.
BOLD_ID = lazy(r"(?P<mark>\*\*|__)(?P<id>" + SHARED_ITEM_ID + r")(?P=mark)[ \t]+(?=\S)")
# What a bold span holding only an item's own id holds (`**M1** trend buckets`, `**SEC-2** ...`).
BOLD_ONLY_ID = lazy(
    SHARED_ITEM_ID + r"|[A-Z][A-Z0-9]{1,11}(?:-[A-Z0-9]+)*-\d+(?:\.\d+)*"
)  # `**BACKEND-001**`
# Sections of work for later: `## Future Enhancements`, `### Nice to have`, `## Someday`, `## 향후 계획`.
LATER_SECTION = lazy(
    r"(?i)^\W*(?:future(?![-\w])|later|someday|some[ \t]+day|nice[ \t-]+to[ \t-]+haves?|ideas|wish[ \t-]?list|stretch"
    r"|long(?:er)?[ \t-]+term|icebox|parking[ \t]+lot|post[- ]?(?:mvp|launch|1\.0)|maybe)\b|^\W*(?:향후|未来|以后)"
)
# A section whose heading says its work is under way: `## v2.1.0 - IN PROGRESS (Target: Q1 2026)`,
# `## 🚧 In Progress`, `### Sprint 3 (current)`. The words stand alone (the whole heading, or set off by a
# dash, colon, bracket or bold), so `## Progress Reports` and `## Phase 2: Active Directory` are no such mark.
UNDER_WAY_SECTION = lazy(
    r"(?i)(?:^|[-–—:|(\[]|\*\*)[ \t]*(?:in[ \t-]?progress|wip|under[ \t-]?way|ongoing|current|active"
    r"|진행[ \t]*중|进行中|em[ \t]+(?:curso|andamento))(?:\*\*)?[ \t]*(?=$|[-–—:|)\](,]|\*\*)|🚧|🔄"
)
# A heading naming a stretch of time (a schedule's): `### Q1 2026 (1-3월)`, `### Week 1 Goals`, `## 이번 주 목표`.
TIME_PERIOD = lazy(
    r"(?i)(?<!\w)(?:Q[1-4][ \t]*['’]?\d{2,4}|\d{4}[ \t]*-?[ \t]*Q[1-4]|H[12][ \t]+\d{4}|weeks?[ \t]*\d+|this[ \t]+week"
    r"|next[ \t]+week|(?:january|february|march|april|june|july|august|september|october|november|december)[ \t]+\d{4})"
    r"(?!\w)|이번[ \t]*주|다음[ \t]*주|本周|下周"
)
PLAIN_BULLET = lazy(r"^(?P<indent>[ \t]*)[-*+][ \t]+(?P<rest>\S.*)$")
# Sections whose bullets are work still to do: `### Planned for 0.9.x`, `## Next`, `## Longer term`.
PLANNED_SECTION = lazy(
    r"(?i)^\W*(?:planned|upcoming|next(?:[ \t]+steps?)?|up[ \t]+next|what'?s[ \t]+next|to[ \t-]?dos?|backlog|"
    r"future(?:[ \t]+work)?|later|long(?:er)?[ \t-]+term)\b"
)
