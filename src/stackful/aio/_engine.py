"""The asyncio engine: the runtime's scheduler as a guest of a running asyncio loop.

Design principles:

* The scheduler runs inside a ``run_sync`` bridge, so the engine's blocking ``poll``
  becomes an ``await_``: the bridge's coroutine suspends, the asyncio task awaits a
  future, and asyncio's loop runs everything else (its own tasks, its sockets) until
  a descriptor a stackful task waits on is ready, the next stackful timer is due, or
  ``wake()`` is called.  ``poll(0)`` still gives asyncio one turn (``hosted``): a
  busy stackful task cannot starve asyncio code, nor asyncio code stackful tasks.
* Level-triggered, on the loop's own readers and writers: ``wait_for`` adds and
  removes them as tasks' waits change.  A callback that fires records the readiness
  and removes its reader (or writer) at once, so a descriptor that stays ready does
  not spin asyncio's loop until the scheduler gets to it; the next ``poll`` reports it.
* A cancellation of the awaiting asyncio task arrives at ``poll``'s ``await_``; the
  engine hands it to its owner (``on_cancel``) and returns, so the scheduler goes on
  to cancel its tasks and run their ``finally`` blocks, instead of being torn down
  in the middle of a pass.
"""

from __future__ import annotations

import asyncio
import types
from typing import Callable, Generator

from ..runtime import READABLE, WRITABLE, Engine
from ._bridge import await_

__all__ = ["AsyncioEngine"]


@types.coroutine
def _one_turn() -> Generator[None, None, None]:
    """Awaited, lets asyncio's loop run one iteration (what ``asyncio.sleep(0)`` does)."""
    yield


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class AsyncioEngine(Engine):
    """An engine on ``loop``, for a scheduler that runs in a ``run_sync`` bridge."""

    level_triggered = True
    hosted = True

    def __init__(self, loop: asyncio.AbstractEventLoop,
                 on_cancel: Callable[[asyncio.CancelledError], None]) -> None:
        self._loop = loop
        self._on_cancel = on_cancel
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
        try:
            if self._ready or timeout == 0:
                await_(_one_turn())
            else:
                waiter = self._waiter = self._loop.create_future()
                timer = (None if timeout is None
                         else self._loop.call_later(timeout, _release, waiter))
                try:
                    await_(waiter)
                finally:
                    self._waiter = None
                    if timer is not None:
                        timer.cancel()
        except asyncio.CancelledError as exc:
            self._on_cancel(exc)
        ready = list(self._ready.items())
        self._ready.clear()
        return ready

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
