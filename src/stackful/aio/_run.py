"""``await stackful.aio.run(fn)``: the whole runtime inside an asyncio application.

Design principles:

* Nothing new below the scheduler: tasks, primitives, sockets and timers are the
  runtime's own, unchanged.  The scheduler is hosted: it makes its passes in the
  asyncio task that awaits ``run``, and where it would block in its engine it returns,
  and this coroutine awaits the asyncio engine instead (the loop's readers, writers
  and timers), then hands the scheduler what came.
* A cancellation of the awaiting asyncio task (``task.cancel()``, ``asyncio.timeout``,
  Ctrl-C under ``asyncio.run``) is to this run what Ctrl-C is to ``stackful.run``:
  every stackful task is cancelled, every ``finally`` runs, and then ``run`` raises
  that ``CancelledError``, whatever the main task returned (the run cannot go on: the
  runtime's cancellation is level-triggered).  An exception other than ``Cancelled``
  that the main task raised meanwhile is raised instead, so that no error is hidden.
* One scheduler per thread, as everywhere in the runtime: a second ``run`` in the same
  thread while one is active is refused (start more work with ``stackful.spawn``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from .. import CoroutineError
from ..runtime import Cancelled
from ..runtime._scheduler import OVER, Scheduler, current_scheduler
from ._engine import AsyncioEngine

__all__ = ["run"]

T = TypeVar("T")


async def run(fn: Callable[..., T], /, *args: Any) -> T:
    """Run ``fn(*args)`` as the main task of a stackful scheduler that shares the running
    asyncio loop; return its result (or raise its exception) once it and every task it
    started are done.  ``stackful.sleep``, ``stackful.socket``, the primitives and
    ``spawn`` work in it, side by side with asyncio code."""
    if not callable(fn):
        raise TypeError("stackful.aio.run() runs a plain callable, got %s object %r"
                        % (type(fn).__name__, fn))
    engine = AsyncioEngine(asyncio.get_running_loop())
    if current_scheduler() is not None:
        raise CoroutineError(
            "stackful.aio.run() called while a stackful scheduler already runs in this "
            "thread (another run() is active): one scheduler per thread; start more work "
            "in it with stackful.spawn()")
    scheduler = Scheduler(engine, hosted=True)
    cancelled: asyncio.CancelledError | None = None
    main = scheduler.start(fn, args)
    try:
        while (timeout := scheduler.run_passes()) != OVER:
            try:
                await engine.wait(timeout)
            except asyncio.CancelledError as exc:
                if cancelled is None:
                    cancelled = exc
                    scheduler.stop(exc)
            scheduler.after_wait(engine.poll(0.0))
    finally:
        stopping = scheduler.end()
    if stopping is not None:
        if stopping is cancelled:
            try:
                error = main.exception()
            except Cancelled:
                error = None
            if error is not None:
                raise error
        raise stopping
    result: T = main.result()
    return result
