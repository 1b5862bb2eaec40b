"""The asyncio engine: readiness from asyncio's loop, for a scheduler it drives.

Design principles:

* The scheduler never blocks in this engine.  It is hosted: where it would poll, its
  loop returns to its driver (``stackful.aio.run``, an asyncio coroutine), which
  awaits ``wait(timeout)``: asyncio's loop runs everything else (its own tasks, its
  sockets) until a descriptor a stackful task waits on is ready, the next stackful
  timer is due, or ``wake()`` is called.  ``poll`` only hands over what the loop's
  callbacks collected meanwhile.
* Every pass is one turn of asyncio's loop at least (``wait(0)`` yields once): a busy
  stackful task cannot starve asyncio code, nor asyncio code the stackful tasks.
* Level-triggered, on the loop's own readers and writers: ``wait_for`` adds and
  removes them as tasks' waits change.  A callback that fires records the readiness
  and removes its reader (or writer) at once, so a descriptor that stays ready does
  not spin asyncio's loop until the scheduler gets to it.
"""

from __future__ import annotations

import asyncio
import types
from typing import Generator

from ..runtime import READABLE, WRITABLE, Engine

__all__ = ["AsyncioEngine"]


@types.coroutine
def _one_turn() -> Generator[None, None, None]:
    """Awaited, lets asyncio's loop run one iteration (what ``asyncio.sleep(0)`` does)."""
    yield


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class AsyncioEngine(Engine):
    """An engine on ``loop``, for a hosted scheduler that ``stackful.aio.run`` drives."""

    level_triggered = True

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._watching: dict[int, int] = {}
        self._ready: dict[int, int] = {}
        self._waiter: asyncio.Future[None] | None = None

    def _watch(self, fd: int, events: int) -> None:
        loop = self._loop
        old = self._watching.get(fd, 0)
        changed = old ^ events
        if changed & READABLE:
            if events & READABLE:
                loop.add_reader(fd, self._fired, fd, READABLE)
            else:
                loop.remove_reader(fd)
        if changed & WRITABLE:
            if events & WRITABLE:
                loop.add_writer(fd, self._fired, fd, WRITABLE)
            else:
                loop.remove_writer(fd)
        if events:
            self._watching[fd] = events
        else:
            self._watching.pop(fd, None)

    def _fired(self, fd: int, event: int) -> None:
        self._ready[fd] = self._ready.get(fd, 0) | event
        self._watch(fd, self._watching.get(fd, 0) & ~event)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def wait_for(self, fd: int, events: int) -> None:
        self._watch(fd, events)

    def forget(self, fd: int) -> None:
        self._watch(fd, 0)
        self._ready.pop(fd, None)

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        # Hosted: the driver did the waiting (``wait``); this is the answer.
        ready = list(self._ready.items())
        self._ready.clear()
        return ready

    async def wait(self, timeout: float | None) -> None:
        """Let asyncio's loop run until there is something to ``poll``, ``timeout``
        seconds passed (``None``: no limit) or ``wake()`` was called; at least one turn
        of the loop, even with ``timeout == 0``."""
        if self._ready or timeout == 0:
            await _one_turn()
            return
        waiter = self._waiter = self._loop.create_future()
        timer = None if timeout is None else self._loop.call_later(timeout, _release, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def wake(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._wake_here)
        except RuntimeError:
            pass                          # the loop is closed: nobody polls any more

    def _wake_here(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            _release(waiter)

    def close(self) -> None:
        for fd in list(self._watching):
            self._watch(fd, 0)
        self._ready.clear()
