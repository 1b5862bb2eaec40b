"""``Condition``: wait until notified, with a lock (threading.Condition's API).

Design principles:

* ``wait()`` releases the lock, waits, and takes the lock back before returning,
  whatever happened: notified, timed out or cancelled (the ``Cancelled`` is raised with
  the lock held again, so a ``with cond:`` block still leaves it released exactly once).
* FIFO: ``notify(n)`` wakes the ``n`` tasks that waited longest.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from .._annotations import coroutine_fn
from ._cancel import CancelScope
from ._clock import clock
from ._lock import Lock
from ._task import TIMED_OUT
from ._traps import current_task_or_none, task_for
from ._waitqueue import AcquireRelease, WaitQueue

__all__ = ["Condition"]

T = TypeVar("T")


class Condition(AcquireRelease):
    """A condition variable for tasks: ``with cond: cond.wait()`` / ``cond.notify()``."""

    __slots__ = ("_lock", "_waiters")

    def __init__(self, lock: Lock | None = None) -> None:
        if lock is not None and not isinstance(lock, Lock):
            raise TypeError("Condition(lock) needs a stackful.Lock, got %s"
                            % type(lock).__name__)
        self._lock = Lock()
        if lock is not None:
            self._lock = lock
        self._waiters = WaitQueue(self, "wait")

    @coroutine_fn
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()

    def _check_owned(self, what: str) -> None:
        if self._lock.owner is None or self._lock.owner is not current_task_or_none():
            raise RuntimeError("Condition.%s() needs the condition's lock held by this task "
                               "(use `with cond:`)" % what)

    @coroutine_fn
    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, wait for a notify (at most ``timeout`` seconds), take the
        lock back.  Returns False on timeout."""
        self._check_owned("wait")
        task = task_for("Condition.wait()")
        self._lock.release()
        try:
            notified = self._waiters.wait(task, timeout) is not TIMED_OUT
        finally:
            # Take the lock back even when cancelled, so the caller's `with` releases it.
            with CancelScope(shield=True):
                self._lock.acquire()
        return notified

    @coroutine_fn
    def wait_for(self, predicate: Callable[[], T], timeout: float | None = None) -> T:
        """Wait until ``predicate()`` is true (at most ``timeout`` seconds in all);
        returns its last value."""
        deadline = None if timeout is None else clock() + timeout
        result = predicate()
        while not result:
            remaining = None if deadline is None else deadline - clock()
            if remaining is not None and remaining <= 0:
                break
            self.wait(remaining)
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Wake up to ``n`` waiting tasks (they run once they get the lock back)."""
        self._check_owned("notify")
        waiters = self._waiters
        while n > 0 and waiters:
            waiters.wake_first(True)
            n -= 1

    def notify_all(self) -> None:
        self._check_owned("notify_all")
        self._waiters.wake_all(True)

    def __repr__(self) -> str:
        return "<stackful.Condition %r, %d waiting>" % (self._lock, len(self._waiters))
