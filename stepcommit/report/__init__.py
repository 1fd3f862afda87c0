"""Reports: what was done, step by step, built from plain data (model, build) and rendered (markdown, html, json)."""
