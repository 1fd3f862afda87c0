"""`python <this file> ARGS...`: pytest-watcher with ARGS, ending quietly (exit 130) on Ctrl-C.

pytest-watcher lets a Ctrl-C escape as a traceback; `stepcommit watch` runs it through this file.
"""

import sys

from pytest_watcher.watcher import run  # type: ignore[import-untyped]

if __name__ == "__main__":
    try:
        run()
    except KeyboardInterrupt:
        sys.exit(130)
