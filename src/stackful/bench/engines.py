"""``python -m stackful.bench engines``: the echo benchmark's stackful server on each
event engine of ``_engines`` (how the default engine was chosen)."""

from __future__ import annotations

from ._report import Result
from ._timing import Progress, Scale
from .echo import run_engines


def run(scale: Scale, progress: Progress) -> Result:
    return run_engines(scale, progress)
