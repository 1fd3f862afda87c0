"""Small programs stepcommit runs by path (never as source on a command line); this folder holds nothing else."""
