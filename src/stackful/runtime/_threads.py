"""Threads: ``to_thread`` for blocking code, ``Portal`` for calls from other threads.

Design principles:

* ``to_thread(fn, *args)`` runs ``fn`` in a worker thread (a pool per scheduler, in a
  copy of the task's ``contextvars`` context) and suspends only the calling task.
  The worker hands the outcome back through the scheduler's thread-safe post queue;
  an exception is raised in the task as it was raised in the thread.
* A thread cannot be interrupted: cancelling a task waiting in ``to_thread`` raises
  ``Cancelled`` in the task at once, and the thread's eventual outcome is dropped.
* ``Portal`` is the one thread-safe door into a scheduler: ``portal.call(fn, *args)``
  from any thread (or a signal handler) runs ``fn(*args)`` in the scheduler's thread
  between two task steps and returns a ``concurrent.futures.Future`` of its result.
  Waking a task from another thread is ``portal.call(event.set)``; handing it a value,
  ``portal.call(queue.put_nowait, value)``.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
from typing import Any, Callable, TypeVar

from .. import CoroutineError
from .._annotations import coroutine_fn
from ._scheduler import Scheduler, current_scheduler
from ._task import Task
from ._traps import park, task_for

__all__ = ["Portal", "to_thread"]

T = TypeVar("T")


class _ThreadCall:
    """A ``to_thread`` call in flight: what its task waits on."""

    __slots__ = ("task", "fn", "result", "error", "abandoned")

    def __init__(self, task: Task, fn: Callable[..., Any]) -> None:
        self.task = task
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None
        self.abandoned = False

    def _abort_wait(self, task: Task, key: Any) -> None:
        self.abandoned = True

    def _describe_wait(self, key: Any) -> str:
        return "to_thread(%s)" % getattr(self.fn, "__qualname__", self.fn)

    def finished(self) -> None:
        """In the scheduler's thread, once the worker is done."""
        if not self.abandoned:
            self.task._scheduler._reschedule(self.task, None)


def _in_worker(scheduler: Scheduler, call: _ThreadCall, context: contextvars.Context,
               args: tuple[Any, ...]) -> None:
    try:
        call.result = context.run(call.fn, *args)
    except BaseException as exc:
        call.error = exc
    scheduler.post(call.finished, ())


@coroutine_fn
def to_thread(fn: Callable[..., T], /, *args: Any) -> T:
    """Run ``fn(*args)`` in a worker thread; suspend the task until it returns its
    result or raises its exception."""
    if not callable(fn):
        raise TypeError("to_thread() runs a callable, got %s" % type(fn).__name__)
    task = task_for("stackful.to_thread()")
    scheduler = task._scheduler
    call = _ThreadCall(task, fn)
    scheduler.executor().submit(_in_worker, scheduler, call, contextvars.copy_context(), args)
    park(task, call, None, None)
    if call.error is not None:
        error, call.error = call.error, None
        raise error
    result: T = call.result
    return result


def _call_here(future: concurrent.futures.Future[Any], fn: Callable[..., Any],
               args: tuple[Any, ...]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn(*args)
    except BaseException as exc:
        future.set_exception(exc)
    else:
        future.set_result(result)


class Portal:
    """A thread-safe handle on the scheduler running in the thread that made it."""

    __slots__ = ("_scheduler",)

    def __init__(self) -> None:
        scheduler = current_scheduler()
        if scheduler is None:
            raise CoroutineError("Portal() is made inside stackful.run() (in a task), and "
                                 "then handed to the threads that will call into it")
        self._scheduler = scheduler

    def call(self, fn: Callable[..., T], /, *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(*args)`` soon in the scheduler's thread, outside any task (so it must
        not suspend: to run suspending code, pass ``stackful.spawn`` and its function).
        Thread-safe.  Returns a Future of the result; ``RuntimeError`` if the scheduler
        has stopped."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()
        if not self._scheduler.post(_call_here, (future, fn, args)):
            raise RuntimeError("the scheduler of this Portal has stopped (its run() returned)")
        return future

    def __repr__(self) -> str:
        return "<stackful.Portal>"
