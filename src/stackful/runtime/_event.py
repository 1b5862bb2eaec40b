"""``Event``: a flag that tasks wait for (threading.Event's API).

Design principles:

* ``set()`` wakes every waiter at once and they stay woken even if the flag is cleared
  before they run (each was given ``True``): a waiter woken by a set is never lost.
* A cancelled or timed-out waiter leaves the queue first; ``set()`` after that does not
  count it.
"""

from __future__ import annotations

from .._annotations import coroutine_fn
from ._task import TIMED_OUT
from ._traps import task_for
from ._waitqueue import WaitQueue

__all__ = ["Event"]


class Event:
    """A flag, initially false; ``wait()`` suspends until it is set."""

    __slots__ = ("_flag", "_waiters")

    def __init__(self) -> None:
        self._flag = False
        self._waiters = WaitQueue(self, "wait")

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        """Set the flag and wake every waiting task."""
        self._flag = True
        self._waiters.wake_all(True)

    def clear(self) -> None:
        self._flag = False

    @coroutine_fn
    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the flag is set (at most ``timeout`` seconds); returns the flag."""
        if self._flag:
            return True
        task = task_for("Event.wait()")
        return self._waiters.wait(task, timeout) is not TIMED_OUT

    def __repr__(self) -> str:
        return "<stackful.Event %s, %d waiting>" % ("set" if self._flag else "clear",
                                                    len(self._waiters))
