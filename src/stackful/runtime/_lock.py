"""``Lock``: a FIFO mutual-exclusion lock for tasks (QEMU's CoMutex, threading's API).

Design principles:

* Owned: the lock knows the task that holds it; releasing it from another task is an
  error, not a silent corruption.
* Fair by hand-over: ``release()`` with tasks waiting gives the lock to the first of
  them directly, so the releaser cannot take it back before the waiter runs, and
  10,000 contending tasks get it in the order they asked.
* Uncontended acquire and release never suspend and cost a few attribute updates.
"""

from __future__ import annotations

from .._annotations import coroutine_fn
from ._task import TIMED_OUT, Task
from ._traps import current_task_or_none, task_for
from ._waitqueue import AcquireRelease, WaitQueue

__all__ = ["Lock"]


class Lock(AcquireRelease):
    """A mutual-exclusion lock for tasks: ``with lock:``, or ``acquire()``/``release()``.

    Waiting tasks get it in FIFO order; only the task that holds it may release it.
    """

    __slots__ = ("_owner", "_waiters")

    def __init__(self) -> None:
        self._owner: Task | None = None
        self._waiters = WaitQueue(self, "acquire")

    def locked(self) -> bool:
        return self._owner is not None

    @property
    def owner(self) -> Task | None:
        """The task holding the lock, if any."""
        return self._owner

    @coroutine_fn
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take the lock, waiting (at most ``timeout`` seconds) if another task holds it.
        Returns whether it was taken (``blocking=False``: never waits)."""
        task = task_for("Lock.acquire()")
        if self._owner is None:
            self._owner = task
            return True
        if self._owner is task:
            raise RuntimeError("task %r already holds this Lock (it is not reentrant)" % task.name)
        if not blocking:
            return False
        return self._waiters.wait(task, timeout) is not TIMED_OUT

    def release(self) -> None:
        """Release the lock; the first waiting task gets it."""
        task = current_task_or_none()
        if self._owner is None:
            raise RuntimeError("Lock.release() of a lock that is not held")
        if self._owner is not task:
            raise RuntimeError("Lock.release() by %s, but the lock is held by task %r: only "
                               "the task that acquired a Lock may release it" % (
                                   "task %r" % task.name if task else "code outside a task",
                                   self._owner.name))
        if self._waiters:
            self._owner = self._waiters.wake_first(True)
        else:
            self._owner = None

    def __repr__(self) -> str:
        owner = "held by %r" % self._owner.name if self._owner else "unlocked"
        return "<stackful.Lock %s, %d waiting>" % (owner, len(self._waiters))
