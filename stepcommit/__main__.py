"""Allows ``python -m stepcommit``, with the same fast paths as the installed program."""

from stepcommit.entry import main

if __name__ == "__main__":
    main()
