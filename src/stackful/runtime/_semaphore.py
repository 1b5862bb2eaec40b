"""``Semaphore`` and ``BoundedSemaphore`` (threading's API), FIFO.

Design principles:

* A released permit goes straight to the first waiting task, so waiters are served in
  order and a task that did not wait cannot take the permit first.
* ``BoundedSemaphore`` turns a release beyond the initial value into a ``ValueError``:
  it is almost always a bug (a release without an acquire).
"""

from __future__ import annotations

from .._annotations import coroutine_fn
from ._task import TIMED_OUT
from ._traps import task_for
from ._waitqueue import AcquireRelease, WaitQueue

__all__ = ["BoundedSemaphore", "Semaphore"]


class Semaphore(AcquireRelease):
    """A counter of permits: ``acquire()`` takes one (waiting while there is none),
    ``release()`` gives one back."""

    __slots__ = ("_value", "_waiters")

    def __init__(self, value: int = 1) -> None:
        if not isinstance(value, int) or value < 0:
            raise ValueError("a semaphore's initial value must be an int >= 0, got %r" % (value,))
        self._value = value
        self._waiters = WaitQueue(self, "acquire")

    @property
    def value(self) -> int:
        """The permits available now."""
        return self._value

    @coroutine_fn
    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        """Take a permit, waiting (at most ``timeout`` seconds) if none is available.
        Returns whether one was taken."""
        if self._value > 0 and not self._waiters:
            self._value -= 1
            return True
        if not blocking:
            return False
        task = task_for("Semaphore.acquire()")
        return self._waiters.wait(task, timeout) is not TIMED_OUT

    def release(self, n: int = 1) -> None:
        """Give back ``n`` permits; each goes to the first waiting task, if any."""
        if n < 1:
            raise ValueError("release(n) needs n >= 1, got %r" % (n,))
        for _ in range(n):
            if self._waiters:
                self._waiters.wake_first(True)
            else:
                self._value += 1

    def __repr__(self) -> str:
        return "<stackful.%s value=%d, %d waiting>" % (type(self).__name__, self._value,
                                                       len(self._waiters))


class BoundedSemaphore(Semaphore):
    """A ``Semaphore`` whose releases may not exceed its initial value."""

    __slots__ = ("_initial",)

    def __init__(self, value: int = 1) -> None:
        super().__init__(value)
        self._initial = value

    def release(self, n: int = 1) -> None:
        if n < 1:
            raise ValueError("release(n) needs n >= 1, got %r" % (n,))
        if self._value + n > self._initial:
            raise ValueError("BoundedSemaphore released more times than acquired "
                             "(initial value %d)" % self._initial)
        super().release(n)
