"""`python <this file> MODULE...`: exit 0 when the project's interpreter imports every MODULE, else 1.

Run by path like the runner (so no source code goes on a command line), from the working directory.
"""

import importlib
import os
import sys

if __name__ == "__main__":
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == os.path.dirname(os.path.abspath(__file__)):
        sys.path[0] = os.getcwd()  # as `python -c` has it: this folder is not the project's
    try:
        for name in sys.argv[1:]:
            importlib.import_module(name)
    except ImportError:
        sys.exit(1)
