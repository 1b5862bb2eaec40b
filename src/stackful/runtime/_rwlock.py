"""``RWLock``: readers share, writers are alone (QEMU's CoRwlock shape).

Design principles:

* One FIFO queue of readers and writers: a writer waiting blocks the readers that come
  after it, so a stream of readers cannot starve writers, and a release wakes the
  longest waiters first (all the readers at the head of the queue, or one writer).
* QEMU's operations: ``acquire_read`` (rdlock), ``acquire_write`` (wrlock),
  ``release`` (unlock, either kind), ``upgrade`` (read to write: immediate when the task
  is the only reader; otherwise it releases its read lock and queues as a writer, so
  another writer may go first, as in QEMU) and ``downgrade`` (write to read, waking the
  readers at the head of the queue).
* The lock knows its holders; releasing a lock one does not hold is an error.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from .._annotations import coroutine_fn
from ._task import TIMED_OUT, Task
from ._traps import current_task_or_none, task_for
from ._waitqueue import WaitQueue

__all__ = ["RWLock"]

_READ = "read"
_WRITE = "write"


class RWLock:
    """A readers-writer lock: ``with rw.read_locked():`` / ``with rw.write_locked():``."""

    __slots__ = ("_readers", "_writer", "_queue")

    def __init__(self) -> None:
        self._readers: dict[Task, int] = {}
        self._writer: Task | None = None
        self._queue = WaitQueue(self, "lock")

    @property
    def readers(self) -> int:
        """How many read locks are held now."""
        return sum(self._readers.values())

    @property
    def writer(self) -> Task | None:
        return self._writer

    @coroutine_fn
    def acquire_read(self, timeout: float | None = None) -> bool:
        """Take a read lock (shared); waits while a writer holds or waits for the lock."""
        task = task_for("RWLock.acquire_read()")
        if task in self._readers or (self._writer is None and not self._queue):
            # A reader already holding it is let in again (waiting behind a writer that
            # waits for that very reader would never end).
            self._readers[task] = self._readers.get(task, 0) + 1
            return True
        if self._writer is task:
            raise RuntimeError("task %r holds the write lock: downgrade() it instead" % task.name)
        return self._queue.wait(task, timeout, _READ) is not TIMED_OUT

    @coroutine_fn
    def acquire_write(self, timeout: float | None = None) -> bool:
        """Take the write lock (exclusive); waits for every holder to release."""
        task = task_for("RWLock.acquire_write()")
        if self._writer is task or task in self._readers:
            raise RuntimeError("task %r already holds this RWLock (use upgrade() to go from "
                               "read to write)" % task.name)
        if self._writer is None and not self._readers and not self._queue:
            self._writer = task
            return True
        return self._queue.wait(task, timeout, _WRITE) is not TIMED_OUT

    def release(self) -> None:
        """Release the read or write lock this task holds."""
        task = current_task_or_none()
        if task is not None and self._writer is task:
            self._writer = None
        elif task is not None and task in self._readers:
            count = self._readers[task] - 1
            if count:
                self._readers[task] = count
            else:
                del self._readers[task]
        else:
            raise RuntimeError("RWLock.release() by %s, which holds no lock on it" % (
                "task %r" % task.name if task else "code outside a task"))
        self._wake()

    @coroutine_fn
    def upgrade(self) -> None:
        """Turn this task's read lock into the write lock."""
        task = task_for("RWLock.upgrade()")
        if self._readers.get(task) != 1 or self._writer is not None:
            raise RuntimeError("upgrade() needs exactly one read lock held by this task")
        if len(self._readers) == 1:
            del self._readers[task]
            self._writer = task
            return
        del self._readers[task]
        self._wake()
        self._queue.wait(task, None, _WRITE)

    def downgrade(self) -> None:
        """Turn this task's write lock into a read lock; readers waiting first get theirs."""
        task = current_task_or_none()
        if task is None or self._writer is not task:
            raise RuntimeError("downgrade() needs the write lock held by this task")
        self._writer = None
        self._readers[task] = 1
        self._wake()

    def _wake(self) -> None:
        queue = self._queue
        while queue and self._writer is None:
            first = queue.first()
            if first._wait_key == _WRITE:
                if self._readers:
                    return
                self._writer = queue.wake_first(True)
                return
            self._readers[queue.wake_first(True)] = 1

    @contextlib.contextmanager
    @coroutine_fn
    def read_locked(self) -> Iterator[None]:
        """``with rw.read_locked():`` holds a read lock for the block."""
        self.acquire_read()
        try:
            yield
        finally:
            self.release()

    @contextlib.contextmanager
    @coroutine_fn
    def write_locked(self) -> Iterator[None]:
        """``with rw.write_locked():`` holds the write lock for the block."""
        self.acquire_write()
        try:
            yield
        finally:
            self.release()

    def __repr__(self) -> str:
        return "<stackful.RWLock readers=%d writer=%s, %d waiting>" % (
            self.readers, self._writer.name if self._writer else None, len(self._queue))
