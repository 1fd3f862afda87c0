"""`python <this file> JOB.json`: the runner in the project's interpreter (see run.py).

Run by path, so nothing of stepcommit but this package is importable: the working directory goes
first on sys.path (as `coverage run -m` has it), and the folder holding only this package is appended,
where it shadows nothing and pytest-xdist workers (which get this sys.path) find the plugins.
"""

import os
import sys


def _measure_self(settings: str) -> object:
    """The runner's own lines, for a measuring parent (stepcommit's own suite): coverage pauses this
    measurement while the project's runs (one tracer at a time) and resumes it afterwards."""
    import coverage

    cov = coverage.Coverage(config_file=":data:" + settings)
    for quiet in ("_warn_no_data", "_warn_unimported_source", "_warn_preimported_source"):
        setattr(cov, quiet, False)  # as coverage's own start-up hook does
    before = os.environ.get("COVERAGE_PROCESS_CONFIG")
    cov.start()
    # The parent's `patch = subprocess` set this for the processes started from here: the project's
    # tests and workers measure with the project's settings only.
    if before is None:
        os.environ.pop("COVERAGE_PROCESS_CONFIG", None)
    else:
        os.environ["COVERAGE_PROCESS_CONFIG"] = before
    return cov


if __name__ == "__main__":
    _here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == _here:
        sys.path[0] = os.getcwd()
    if os.path.dirname(_here) not in sys.path:
        sys.path.append(os.path.dirname(_here))
    _settings = os.environ.pop("STEPCOMMIT_MEASURE_RUNNER", None)  # job.MEASURE_RUNNER_ENV
    _own = _measure_self(_settings) if _settings else None
    from stepcommit_runner.run import entry  # type: ignore[import-not-found]  # the name it has there

    _code = entry(sys.argv[1:])
    if _own is not None:
        _own.stop()  # type: ignore[attr-defined]
        _own.save()  # type: ignore[attr-defined]
    sys.exit(_code)
