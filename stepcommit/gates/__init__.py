"""Gates: the checks a change must pass before stepcommit commits it."""
