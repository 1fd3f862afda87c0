"""One module per command; each exposes a function of the same name returning an exit code."""
