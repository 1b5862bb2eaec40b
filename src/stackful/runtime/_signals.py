"""Signals while a scheduler runs: no lost wake-ups, and Ctrl-C that unwinds the tasks.

Design principles:

* Python runs a signal handler in the main thread at the next bytecode boundary, but a
  scheduler blocked in the engine's ``poll`` would only get there when some other
  event ends the wait.  ``signal.set_wakeup_fd`` makes the C-level handler write a byte
  to a socket that the engine watches, so ``poll`` returns and the handler runs at
  once, whatever the timing of the signal.
* Ctrl-C does not raise ``KeyboardInterrupt`` in the middle of whatever runs: the
  handler only notes it, and the scheduler, at its next pass, cancels every task and
  raises ``KeyboardInterrupt`` out of ``run()`` once every ``finally`` has run.  If a
  second Ctrl-C comes while a task still has not given control back (it never
  suspends), the handler raises ``KeyboardInterrupt`` inside that task, which then
  ends the same way.
* Only in the main thread, and only where nobody else handles SIGINT (the handler is
  Python's default one); everything is restored when ``run()`` returns.
"""

from __future__ import annotations

import signal
import socket
import threading
from types import FrameType
from typing import TYPE_CHECKING, Callable

from .. import current
from ._engine import READABLE
from ._task import TaskCoroutine

if TYPE_CHECKING:
    from ._scheduler import Scheduler

__all__ = ["install"]


def _nothing() -> None:
    pass


def install(scheduler: Scheduler) -> Callable[[], None]:
    """Set up the wake-up socket and the SIGINT handler; returns what undoes it."""
    if threading.current_thread() is not threading.main_thread():
        return _nothing
    receiver, sender = socket.socketpair()
    receiver.setblocking(False)
    sender.setblocking(False)
    try:
        previous_fd = signal.set_wakeup_fd(sender.fileno(), warn_on_full_buffer=False)
    except ValueError:                      # not the main interpreter
        receiver.close()
        sender.close()
        return _nothing

    def drain() -> None:
        try:
            while receiver.recv(4096):
                pass
        except BlockingIOError:
            pass

    scheduler._system_fds[receiver.fileno()] = drain
    scheduler._engine.wait_for(receiver.fileno(), READABLE)

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if scheduler._ki_pending and type(current()) is TaskCoroutine:
            scheduler._ki_pending = False
            raise KeyboardInterrupt
        scheduler._ki_pending = True

    handles_sigint = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if handles_sigint:
        signal.signal(signal.SIGINT, on_sigint)

    def restore() -> None:
        if handles_sigint and signal.getsignal(signal.SIGINT) is on_sigint:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.set_wakeup_fd(previous_fd)
        del scheduler._system_fds[receiver.fileno()]
        scheduler._engine.forget(receiver.fileno())
        receiver.close()
        sender.close()

    return restore
