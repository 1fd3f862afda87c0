"""The folder put on the project interpreter's sys.path: it holds only the `stepcommit_runner` package."""
