"""`python <this file> JOB.json`: the runner in the project's interpreter (see run.py).

Run by path, so nothing of stepcommit but this package is importable: the working directory goes
first on sys.path (as `coverage run -m` has it), and the folder holding only this package is appended,
where it shadows nothing and pytest-xdist workers (which get this sys.path) find the plugins.
"""

import os
import sys

if __name__ == "__main__":
    _here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == _here:
        sys.path[0] = os.getcwd()
    if os.path.dirname(_here) not in sys.path:
        sys.path.append(os.path.dirname(_here))
    from stepcommit_runner.run import entry  # type: ignore[import-not-found]  # the name it has there

    sys.exit(entry(sys.argv[1:]))
