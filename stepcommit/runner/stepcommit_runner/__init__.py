"""The part of stepcommit that runs inside the project's interpreter: pytest under coverage (see run.py).

Imports nothing but the standard library, coverage and pytest, and nothing of stepcommit outside this
package (the project's environment may not have stepcommit installed); modules import each other
relatively, so the same files load as `stepcommit.runner.stepcommit_runner` in stepcommit's own
process and as `stepcommit_runner` in the project's.
"""
