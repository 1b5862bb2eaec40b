"""``await stackful.aio.run(fn)``: the whole runtime inside an asyncio application.

Design principles:

* Nothing new below the scheduler: ``run`` is ``stackful.run(main, engine=...)`` in a
  ``run_sync`` bridge, with the asyncio engine.  Tasks, primitives, sockets and timers
  are the runtime's own, unchanged; only the engine's wait is an ``await_``.
* A cancellation of the awaiting asyncio task (``task.cancel()``, ``asyncio.timeout``,
  Ctrl-C under ``asyncio.run``) cancels the main stackful task, which cancels the
  others when it is done, as when the main task of ``stackful.run`` ends: every
  ``finally`` runs, then ``run`` raises that ``CancelledError``.  The run cannot be
  resumed after it (the runtime's cancellation is level-triggered), so a main task
  that catches ``Cancelled`` and returns does not stop the ``CancelledError``; an
  exception other than ``Cancelled`` from the main task is raised instead of it, so
  that no error is hidden.
* One scheduler per thread, as everywhere in the runtime: a second ``run`` in the same
  thread while one is active is refused (start more work with ``stackful.spawn``).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, TypeVar

from .. import CoroutineError
from ..runtime import Cancelled, Task, current_task
from ..runtime import run as run_scheduler
from ..runtime._scheduler import current_scheduler
from ._bridge import run_sync
from ._engine import AsyncioEngine

__all__ = ["run"]

T = TypeVar("T")


class _Run:
    """One ``run`` call: its main task, and the cancellation that came from asyncio."""

    __slots__ = ("fn", "args", "main", "cancelled")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.main: Task | None = None
        self.cancelled: asyncio.CancelledError | None = None

    def main_task(self) -> Any:
        self.main = current_task()
        return self.fn(*self.args)

    def on_cancel(self, exc: asyncio.CancelledError) -> None:
        if self.cancelled is None:
            self.cancelled = exc
        if self.main is not None:
            self.main.cancel()


async def run(fn: Callable[..., T], /, *args: Any) -> T:
    """Run ``fn(*args)`` as the main task of a stackful scheduler that shares the running
    asyncio loop; return its result (or raise its exception) once it and every task it
    started are done.  ``stackful.sleep``, ``stackful.socket``, the primitives and
    ``spawn`` work in it, side by side with asyncio code."""
    if not callable(fn):
        raise TypeError("stackful.aio.run() runs a plain callable, got %s object %r"
                        % (type(fn).__name__, fn))
    loop = asyncio.get_running_loop()
    if current_scheduler() is not None:
        raise CoroutineError(
            "stackful.aio.run() called while a stackful scheduler already runs in this "
            "thread (another run() is active): one scheduler per thread; start more work "
            "in it with stackful.spawn()")
    record = _Run(fn, args)
    engine = AsyncioEngine(loop, record.on_cancel)
    try:
        result: T = await run_sync(run_scheduler, record.main_task, engine=engine)
    except Cancelled:
        if record.cancelled is not None:
            raise record.cancelled from None
        raise
    if record.cancelled is not None:
        raise record.cancelled
    return result
