"""``Queue``: a FIFO queue between tasks, bounded or not, that can be closed.

Design principles:

* Hand-over, not polling: a ``put`` with a task waiting in ``get`` gives the item to
  that task directly, and a ``get`` from a full queue moves the first waiting
  producer's item in and wakes it.  No item is ever dropped by a cancellation: a
  waiter is either still queued (and is removed) or already has its item.
* Bounded queues give back-pressure: ``put`` suspends while ``maxsize`` items wait.
* ``close()`` ends the stream: ``put`` raises ``QueueClosed`` from then on, ``get``
  returns what is left and then raises ``QueueClosed``, and ``for item in queue``
  stops.  The errors of the non-waiting calls are the standard library's
  ``queue.Full`` and ``queue.Empty`` (also raised on timeouts).
"""

from __future__ import annotations

import collections
import queue as _stdlib_queue
from typing import Any, Generic, Iterator, TypeVar

from .._annotations import coroutine_fn
from ._task import TIMED_OUT
from ._traps import task_for
from ._waitqueue import WaitQueue

__all__ = ["Queue", "QueueClosed"]

T = TypeVar("T")

_CLOSED: Any = type("Closed", (), {"__repr__": lambda self: "<closed>"})()


class QueueClosed(Exception):
    """``put`` on a closed ``Queue``, or ``get`` on a closed one that is empty."""


class Queue(Generic[T]):
    """A FIFO queue for tasks; ``maxsize`` > 0 bounds it (``put`` then waits)."""

    __slots__ = ("_items", "_maxsize", "_getters", "_putters", "_closed", "__weakref__")

    def __init__(self, maxsize: int = 0) -> None:
        if not isinstance(maxsize, int) or maxsize < 0:
            raise ValueError("maxsize must be an int >= 0 (0: unbounded), got %r" % (maxsize,))
        self._items: collections.deque[T] = collections.deque()
        self._maxsize = maxsize
        self._getters = WaitQueue(self, "get")
        self._putters = WaitQueue(self, "put")
        self._closed = False

    @property
    def maxsize(self) -> int:
        return self._maxsize

    @property
    def closed(self) -> bool:
        return self._closed

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self._maxsize <= len(self._items)

    def put_nowait(self, item: T) -> None:
        """Add ``item`` without waiting: ``queue.Full`` if the queue is full."""
        if self._closed:
            raise QueueClosed("put on a closed Queue")
        if self._getters:
            self._getters.wake_first(item)
        elif self._maxsize and len(self._items) >= self._maxsize:
            raise _stdlib_queue.Full
        else:
            self._items.append(item)

    @coroutine_fn
    def put(self, item: T, timeout: float | None = None) -> None:
        """Add ``item``, waiting (at most ``timeout`` seconds, then ``queue.Full``) while
        the queue is full."""
        if self._closed:
            raise QueueClosed("put on a closed Queue")
        if self._getters:
            self._getters.wake_first(item)
        elif not self._maxsize or len(self._items) < self._maxsize:
            self._items.append(item)
        else:
            outcome = self._putters.wait(task_for("Queue.put()"), timeout, item)
            if outcome is TIMED_OUT:
                raise _stdlib_queue.Full
            if outcome is _CLOSED:
                raise QueueClosed("the Queue was closed while put() waited")

    def _take(self) -> T:
        item = self._items.popleft()
        if self._putters:
            self._items.append(self._putters.first()._wait_key)
            self._putters.wake_first(True)
        return item

    def get_nowait(self) -> T:
        """Remove and return the first item: ``queue.Empty`` if there is none,
        ``QueueClosed`` if there is none and the queue is closed."""
        if self._items:
            return self._take()
        if self._closed:
            raise QueueClosed("get on a closed, empty Queue")
        raise _stdlib_queue.Empty

    @coroutine_fn
    def get(self, timeout: float | None = None) -> T:
        """Remove and return the first item, waiting (at most ``timeout`` seconds, then
        ``queue.Empty``) while there is none; ``QueueClosed`` once closed and empty."""
        if self._items:
            return self._take()
        if self._closed:
            raise QueueClosed("get on a closed, empty Queue")
        item = self._getters.wait(task_for("Queue.get()"), timeout)
        if item is TIMED_OUT:
            raise _stdlib_queue.Empty
        if item is _CLOSED:
            raise QueueClosed("the Queue was closed while get() waited")
        return item  # type: ignore[no-any-return]

    def close(self) -> None:
        """No more puts: waiting producers get ``QueueClosed``; consumers get the items
        left, then ``QueueClosed`` (iteration ends)."""
        self._closed = True
        self._getters.wake_all(_CLOSED)
        self._putters.wake_all(_CLOSED)

    @coroutine_fn
    def __iter__(self) -> Iterator[T]:
        """The items, as they come, until the queue is closed and empty."""
        while True:
            try:
                item = self.get()
            except QueueClosed:
                return
            yield item

    def __repr__(self) -> str:
        return "<stackful.Queue %d items%s%s>" % (
            len(self._items), ", maxsize %d" % self._maxsize if self._maxsize else "",
            ", closed" if self._closed else "")
