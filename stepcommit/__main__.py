"""Allows ``python -m stepcommit``."""

from stepcommit.cli import main

if __name__ == "__main__":
    main()
