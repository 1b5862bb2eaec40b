"""The event engine: the one replaceable part of the scheduler.

Design principles:

* Small and obvious.  An engine answers one question, "which of the file descriptors
  that tasks wait on are ready?", and has a way to be woken from another thread.  It
  knows nothing of tasks, timers or cancellation: the scheduler keeps those.
* The scheduler says what tasks wait for, the engine decides how to watch it.  The
  scheduler calls ``wait_for(fd, events)`` whenever the set of events that tasks wait
  for on ``fd`` changes (``0``: nobody waits any more), and ``forget(fd)`` before the
  descriptor is closed.  An engine with ``level_triggered = False`` is only told when
  a wait starts (the events of that wait).  An edge-triggered engine (the epoll one) registers a
  descriptor once and keeps it registered between waits; a level-triggered engine (an
  engine on asyncio's loop) adds and removes its reader and writer as the events change.
* Spurious readiness is allowed, lost readiness is not.  ``poll`` may report an fd that
  turns out not to be ready (the task retries the system call and waits again), but an
  fd that becomes ready for an event waited for must be reported by a later ``poll``.

A second engine drops in with ``stackful.run(main, engine=MyEngine())``.
"""

from __future__ import annotations

import abc

__all__ = ["Engine", "HANGUP", "READABLE", "WRITABLE"]

#: Event bits of ``wait_for`` and ``poll``.
READABLE = 1
WRITABLE = 2
#: Reported by ``poll`` (with READABLE) when the peer ended its stream or an error is
#: pending.  An edge-triggered engine must report it: a read that drained the buffer
#: does not see an end of stream that is already there, and no later edge will come.
HANGUP = 4


class Engine(abc.ABC):
    """What the scheduler needs from an event engine (see the module's docstring)."""

    #: False for an engine that registers a descriptor once and reports edges (the
    #: epoll one): the scheduler then tells it only ``wait_for(fd, event)`` when a wait
    #: starts, not each change of the set of events waited for.
    level_triggered: bool = True

    @abc.abstractmethod
    def wait_for(self, fd: int, events: int) -> None:
        """Tasks now wait for ``events`` (READABLE | WRITABLE, or 0) on ``fd``."""

    @abc.abstractmethod
    def forget(self, fd: int) -> None:
        """``fd`` is about to be closed (or no longer used here): drop what you keep for it."""

    @abc.abstractmethod
    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        """Wait at most ``timeout`` seconds (``None``: no limit, ``0``: do not block) and
        return ``(fd, events)`` for descriptors ready for some of the events waited for
        (``HANGUP`` added with READABLE at the end of the peer's stream).  Returns
        early, possibly with nothing, after ``wake()``."""

    @abc.abstractmethod
    def wake(self) -> None:
        """Make a ``poll`` in progress (or the next one) return soon. Thread-safe and
        async-signal-safe: any thread and signal handlers may call it."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the engine's own resources; it is not used afterwards."""
