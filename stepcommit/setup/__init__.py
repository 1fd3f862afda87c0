"""What `init`, `env`, `ci` and `install` write into a project, and the hooks they install.

Kept empty: the agent hooks import `hookspec` from here, and their path must stay light.
"""
