"""``spawn``: start a task in the scheduler of this thread."""

from __future__ import annotations

from typing import Any, Callable

from .. import CoroutineError, current
from ._scheduler import current_scheduler
from ._task import Task, TaskCoroutine

__all__ = ["spawn"]


def spawn(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Task:
    """Start ``fn(*args, **kwargs)`` as a new task; it runs once the caller suspends.
    The task is independent of its spawner (cancelling one does not cancel the other);
    ``join()`` it for its result, or use a ``TaskGroup`` to tie tasks to a block."""
    co = current()
    if type(co) is TaskCoroutine:
        return co._task._scheduler.spawn(fn, args, kwargs)
    scheduler = current_scheduler()
    if scheduler is None:
        raise CoroutineError("stackful.spawn() called outside stackful.run(): start the "
                             "scheduler with stackful.run(main) and spawn from its tasks")
    return scheduler.spawn(fn, args, kwargs)
