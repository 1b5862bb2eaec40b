"""A FIFO queue of waiting tasks: what every synchronisation primitive is built on.

Design principles:

* First come, first served: tasks are woken in the order they started waiting, and a
  primitive hands what it releases (a lock, a permit, an item) straight to the task it
  wakes, so a task that did not wait cannot overtake one that did.
* A waiter that is cancelled or times out is removed from the queue before it runs
  again (``_abort_wait``): a later wake-up goes to the next waiter, never to a task
  that left.
"""

from __future__ import annotations

import collections
import types
from typing import Any, TypeVar

from .._annotations import coroutine_fn
from ._task import Task
from ._traps import park

__all__ = ["AcquireRelease", "WaitQueue"]

Self = TypeVar("Self", bound="AcquireRelease")


class WaitQueue(collections.deque[Task]):
    """Tasks waiting on ``owner`` (for introspection: ``"<owner> <verb>"``).  A deque,
    so that ``if queue:`` and ``len(queue)`` cost no Python call."""

    __slots__ = ("_owner", "_verb")

    def __init__(self, owner: object, verb: str) -> None:
        super().__init__()
        self._owner = owner
        self._verb = verb

    @coroutine_fn
    def wait(self, task: Task, timeout: float | None, key: Any = None) -> Any:
        """Suspend ``task`` at the end of the queue; returns what it is woken with
        (``TIMED_OUT`` after ``timeout``).  ``key`` is kept for the waker."""
        self.append(task)
        return park(task, self, key, timeout)

    def first(self) -> Task:
        return self[0]

    def wake_first(self, value: Any = None) -> Task:
        task = self.popleft()
        task._scheduler._reschedule(task, value)
        return task

    def wake_all(self, value: Any = None) -> None:
        while self:
            task = self.popleft()
            task._scheduler._reschedule(task, value)

    def _abort_wait(self, task: Task, key: Any) -> None:
        self.remove(task)

    def _describe_wait(self, key: Any) -> str:
        return "%s of %r" % (self._verb, self._owner)


class AcquireRelease:
    """``with primitive:`` for the primitives that have ``acquire()`` and ``release()``."""

    __slots__ = ()

    @coroutine_fn
    def acquire(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    @coroutine_fn
    def __enter__(self: Self) -> Self:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: types.TracebackType | None) -> None:
        self.release()
