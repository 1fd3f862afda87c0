"""`python <this file> MODULE...`: exit 0 when the project's interpreter imports every MODULE, else 1.

Run by path like the runner (so no source code goes on a command line), from the working directory.
It prints, as one JSON object, what stepcommit keys its probe cache on: the interpreter, its
site-packages folders, and which MODULEs imported (stepcommit/gates/testrun.py, `probe_modules`).
"""

import importlib
import json
import os
import site
import sys


def site_dirs() -> list[str]:
    """The folders packages are installed in, as this interpreter sees them."""
    found = [*site.getsitepackages(), site.getusersitepackages()]
    found += [p for p in sys.path if os.path.basename(p) in ("site-packages", "dist-packages")]
    return sorted({os.path.abspath(p) for p in found if os.path.isdir(p)})


if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = os.getcwd()  # as `python -c` has it: this folder is not the project's
    imported: dict[str, bool] = {}
    for name in sys.argv[1:]:
        try:
            importlib.import_module(name)
            imported[name] = True
        except ImportError:
            imported[name] = False
    print(json.dumps({"executable": os.path.abspath(sys.executable), "site": site_dirs(), "found": imported}))
    sys.exit(0 if all(imported.values()) else 1)
