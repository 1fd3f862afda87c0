"""stepcommit: one verified commit per plan step."""

__version__ = "0.1.0"
