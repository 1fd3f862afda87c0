"""`python <this file> DATA RCFILE OUT ROOTS FILE...`: `coverage combine` of CI shards' data files.

Run by path in the project's interpreter (no source code on a command line; stepcommit/shards.py,
`combine`): the shards' FILEs are combined into DATA with coverage's own API under the project's
settings (RCFILE, empty for coverage's default lookup), and coverage's JSON report is written to OUT.
ROOTS, a JSON list, names the folders the shards ran in: more than one (GitLab's concurrent jobs clone
into different folders, and the data holds absolute paths) adds a `[paths]` entry mapping them onto
the first, this checkout.
"""

import json
import os
import sys


def combine(data_file: str, rcfile: str, out: str, roots: list[str], files: list[str]) -> None:
    from coverage import Coverage

    cov = Coverage(data_file=data_file, config_file=rcfile or True)
    if len(roots) > 1:
        paths = dict(cov.get_option("paths") or {})  # type: ignore[arg-type]
        paths["stepcommit-shards"] = [root.rstrip("/") + "/" for root in roots]
        cov.set_option("paths", paths)
    cov.combine(files, keep=True)
    cov.save()
    cov.json_report(outfile=out)


if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = os.getcwd()  # as `python -c` has it: this folder is not the project's
    data, config, report, where, *shards = sys.argv[1:]
    combine(data, config, report, json.loads(where), shards)
