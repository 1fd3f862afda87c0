"""Benchmarks: speed claims come from here, run on real projects fetched from PyPI at run time."""
