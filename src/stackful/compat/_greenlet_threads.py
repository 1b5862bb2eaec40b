"""Per-thread state of the greenlet compatibility layer.

Design principles:
  - One record per thread, created on first use: the thread's main greenlet, the
    greenlet running now, the trace function (greenlet's settrace is per thread), the
    main greenlet's context while it is switched away, and the greenlets collected in
    another thread that wait to be killed here.
  - A thread's end is observed, not polled: a sentinel that only the thread's
    ``threading.local`` storage holds is freed when the thread ends, and marks the record
    (and so the main greenlet) dead; greenlets of that thread then refuse switches with
    greenlet's message instead of reaching a coroutine whose thread is gone.
  - Every record is registered weakly, so that the counts greenlet's test helpers read
    (main greenlets alive, kills pending) cost nothing on the switch path.
"""

from __future__ import annotations

import contextvars
import threading
import weakref
from typing import Any, Callable

Tracer = Callable[[str, tuple[Any, Any]], Any]


class ThreadState:
    """What one thread's greenlets share. ``main`` and ``current`` hold greenlets."""

    __slots__ = ("main", "current", "leaving", "tracer", "exited", "main_context",
                 "main_context_changed", "pending", "__weakref__")

    def __init__(self) -> None:
        self.main: Any = None
        self.current: Any = None
        self.leaving: Any = None        # the greenlet switched away from, until it is left
        self.tracer: Tracer | None = None
        self.exited = False
        self.main_context: contextvars.Context | None = None
        self.main_context_changed = False
        self.pending: list[Any] = []


class _ExitWatch:
    """Held only by the thread's local storage: freed when the thread ends."""

    __slots__ = ("state",)

    def __init__(self, state: ThreadState) -> None:
        self.state = state

    def __del__(self) -> None:
        state = self.state
        state.exited = True
        # The killed-later list is the thread's to run; nobody will now.
        state.pending.clear()
        state.tracer = None
        state.main_context = None
        mark_main_dead(state)


_local = threading.local()
_states: weakref.WeakSet[ThreadState] = weakref.WeakSet()
_mains: weakref.WeakSet[Any] = weakref.WeakSet()

# Set by the greenlet type module: makes a thread's main greenlet, and marks it dead.
make_main: Callable[[ThreadState], Any] = lambda state: None
mark_main_dead: Callable[[ThreadState], None] = lambda state: None


def new_state() -> ThreadState:
    """The calling thread's record, created now (it had none)."""
    state = ThreadState()
    main = make_main(state)
    state.main = state.current = main
    _local.state = state
    _local.watch = _ExitWatch(state)
    _states.add(state)
    _mains.add(main)
    return state


def local() -> threading.local:
    """The thread-local object whose ``state`` attribute is the calling thread's record."""
    return _local


def pending_count() -> int:
    return sum(len(state.pending) for state in list(_states))


def main_count() -> int:
    return len(_mains)
