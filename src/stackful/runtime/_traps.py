"""The only functions that suspend a task.

Design principles:

* Every runtime call that waits ends in ``park()``: it records what the task waits on
  (an object with ``_abort_wait(task, key)`` and ``_describe_wait(key)``, plus a key),
  arms the timeout if there is one, and suspends the task's coroutine to the
  scheduler.  What wakes it (a lock's release, readiness of a descriptor, a timer,
  a cancellation) reschedules it with the value ``park()`` returns or the exception
  it raises.  Cancellation and timeouts first call ``_abort_wait`` so the waiter is
  removed from whatever it waited on: no lost wake-up, no stale registration.
* A task suspends only on its own coroutine.  ``task_for()`` finds the running task
  from ``stackful.current()`` (a task's coroutine knows its task) and refuses, with a
  message saying what to do, when the running coroutine is not a task's: outside
  ``stackful.run()``, or inside a coroutine or stackful generator that a task runs.
* A pending cancellation is raised before the task would suspend.
"""

from __future__ import annotations

from typing import Any

from .. import CoroutineError, current, suspend
from .._annotations import coroutine_fn
from . import _clock
from ._engine import READABLE, WRITABLE
from ._task import READY, TIMED_OUT, WAITING, Task, TaskCoroutine

__all__ = ["checkpoint", "current_task_or_none", "park", "running_task", "sleep", "task_for",
           "wait_io", "wait_readable", "wait_writable"]


def _not_in_task(what: str) -> CoroutineError:
    from ._scheduler import current_scheduler

    scheduler = current_scheduler()
    if scheduler is None:
        return CoroutineError(
            "%s called outside stackful.run(): no scheduler runs in this thread; start one "
            "with stackful.run(main) and call it from a task" % what)
    running = scheduler._current
    co = current()
    if running is None or co is None:
        return CoroutineError(
            "%s called from the scheduler itself (a Portal call or a signal handler), not "
            "from a task: start a task for it with stackful.spawn()" % what)
    return CoroutineError(
        "%s called inside %r, a coroutine that task %r runs: only the task's own "
        "coroutine can be suspended by the runtime; call it from the task's code itself, or "
        "run the nested code as a task (stackful.spawn)" % (what, co, running.name))


def task_for(what: str) -> Task:
    """The running task, for a call that may suspend it (``what`` names the call); a
    pending cancellation is raised here."""
    co = current()
    if type(co) is not TaskCoroutine:
        raise _not_in_task(what)
    task = co._task
    if task._pending_cancel is not None:
        raise task._make_cancelled()
    return task


def running_task(what: str) -> Task:
    """The running task, for what needs one but does not suspend (entering a scope)."""
    co = current()
    if type(co) is not TaskCoroutine:
        raise _not_in_task(what)
    return co._task


@coroutine_fn
def park(task: Task, wait_obj: Any, key: Any, timeout: float | None) -> Any:
    """Suspend ``task`` (the running one) until it is rescheduled; returns the value it
    is given, ``TIMED_OUT`` if ``timeout`` seconds passed first, or raises what it is
    thrown (``Cancelled``)."""
    task._wait_obj = wait_obj
    task._wait_key = key
    task._state = WAITING
    if timeout is not None:
        task._scheduler._add_timer(_clock.clock() + timeout, task)
    return suspend()


@coroutine_fn
def checkpoint() -> None:
    """Let the other ready tasks run (and I/O be polled), then continue."""
    task = task_for("stackful.sleep(0)")
    task._state = READY
    task._scheduler._ready.append(task)
    suspend()


class _Sleep:
    """What a sleeping task waits on: nothing but its timer."""

    __slots__ = ()

    def _abort_wait(self, task: Task, key: Any) -> None:
        pass

    def _describe_wait(self, key: Any) -> str:
        return "sleep"


_SLEEP = _Sleep()


@coroutine_fn
def sleep(seconds: float) -> None:
    """Suspend the task for ``seconds``; ``sleep(0)`` lets the other ready tasks run."""
    if not seconds > 0:
        if seconds != seconds:
            raise ValueError("sleep() needs a number of seconds, not NaN")
        checkpoint()
        return
    park(task_for("stackful.sleep()"), _SLEEP, None, seconds)


def _fileno(obj: Any) -> tuple[int, bool]:
    """(fd, whether the object tells the runtime when it closes)."""
    if isinstance(obj, int):
        fd = obj
    else:
        try:
            fd = obj.fileno()
        except AttributeError:
            raise TypeError("expected a file descriptor (an int) or an object with a "
                            "fileno() method, got %s" % type(obj).__name__) from None
    if fd < 0:
        raise ValueError("file descriptor %d is not open (is the socket closed?)" % fd)
    return fd, bool(getattr(obj, "_stackful_tracks_close", False))


@coroutine_fn
def wait_io(task: Task, fd: int, event: int, timeout: float | None, transient: bool) -> None:
    """Suspend ``task`` until ``fd`` is ready for ``event`` (READABLE or WRITABLE);
    ``transient``: the descriptor's registration ends with the wait (nothing tells the
    runtime when it closes)."""
    scheduler = task._scheduler
    waits = scheduler._readers if event == READABLE else scheduler._writers
    other = waits.waiting.get(fd)
    if other is not None:
        raise RuntimeError(
            "task %r already waits until fd %d is %s: one task at a time may wait on "
            "each direction of a descriptor (use a Lock around shared sockets)"
            % (other.name, fd, waits.verb))
    waits.waiting[fd] = task
    if scheduler._level_triggered:
        scheduler._interest_changed(fd)
    else:
        scheduler._engine.wait_for(fd, event)
    try:
        value = park(task, waits, fd, timeout)
    finally:
        if transient and fd not in scheduler._readers.waiting and (
                fd not in scheduler._writers.waiting):
            scheduler.hangups.discard(fd)
            scheduler._engine.forget(fd)
    if value is TIMED_OUT:
        raise TimeoutError("fd %d not %s after %s s" % (fd, waits.verb, timeout))


@coroutine_fn
def wait_readable(obj: Any, timeout: float | None = None) -> None:
    """Suspend the task until ``obj`` (a file descriptor, or a socket or file with
    ``fileno()``) is readable; ``TimeoutError`` after ``timeout`` seconds."""
    fd, tracked = _fileno(obj)
    wait_io(task_for("stackful.wait_readable()"), fd, READABLE, timeout, not tracked)


@coroutine_fn
def wait_writable(obj: Any, timeout: float | None = None) -> None:
    """Suspend the task until ``obj`` (a file descriptor, or a socket or file with
    ``fileno()``) is writable; ``TimeoutError`` after ``timeout`` seconds."""
    fd, tracked = _fileno(obj)
    wait_io(task_for("stackful.wait_writable()"), fd, WRITABLE, timeout, not tracked)




def current_task_or_none() -> Task | None:
    """The task whose code runs now (also from a coroutine nested in it), or None."""
    co = current()
    if type(co) is TaskCoroutine:
        return co._task
    from ._scheduler import current_scheduler

    scheduler = current_scheduler()
    return scheduler._current if scheduler is not None else None
