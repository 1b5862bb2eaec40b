"""Tasks: a coroutine plus its outcome, its cancellation state and what it waits on.

Design principles:

* A task is the unit the scheduler runs: one ``stackful.Coroutine`` (a subclass that
  knows its task, so that finding the running task is one attribute read) running
  ``fn(*args, **kwargs)``.  Its outcome (a result, an exception, or cancelled) is
  kept for ``join()``, ``result()`` and ``exception()``.
* A task is the root of its cancel scopes (``_cancel._ScopeNode``): ``cancel()``
  cancels that root, and a task of a ``TaskGroup`` hangs below the group's scope.
* An exception nobody retrieves is reported, never lost: when the task object goes
  away without ``join()``/``result()``/``exception()`` having seen it, and it is not
  owned by a ``TaskGroup`` (which raises it), it is logged with its traceback as an
  error of the ``stackful`` logger (printed to stderr when logging is not set up).
* Everything about the task is in its slots: no dict, no per-switch allocation.
"""

from __future__ import annotations

import logging
import types
from typing import TYPE_CHECKING, Any, Callable

from .. import Coroutine, CoroutineExit
from .._annotations import coroutine_fn
from . import _traps
from ._cancel import Cancelled, _ScopeNode, make_cancelled

if TYPE_CHECKING:
    from ._scheduler import Scheduler
    from ._taskgroup import TaskGroup

__all__ = ["Task", "TaskCoroutine", "TIMED_OUT"]

READY = "ready"
RUNNING = "running"
WAITING = "waiting"
DONE = "done"

#: The value a suspension gets back when its timeout passes first.
TIMED_OUT: Any = type("TimedOut", (), {"__repr__": lambda self: "<timed out>"})()

logger = logging.getLogger("stackful")


class TaskCoroutine(Coroutine):
    """The coroutine of a task: knows its task, so the runtime finds it in O(1)."""

    __slots__ = ("_task",)
    _task: Task


class Task(_ScopeNode):
    """A function running in the scheduler, made by ``stackful.spawn()``."""

    __slots__ = ("_name", "_scheduler", "_coro", "_fn", "_args", "_kwargs", "_state",
                 "_send", "_throw", "_wait_obj", "_wait_key", "_timer_seq", "_innermost",
                 "_pending_cancel", "_result", "_exception", "_cancelled", "_retrieved",
                 "_joiners", "_group", "__weakref__")

    def __init__(self, scheduler: Scheduler, fn: Callable[..., Any], args: tuple[Any, ...],
                 kwargs: dict[str, Any], parent: _ScopeNode | None,
                 group: TaskGroup | None) -> None:
        # _ScopeNode's fields first, set here rather than by a super() call: spawning
        # is on the hot path.
        self._parent = parent
        self._children = None
        self._cancel_called = False
        self._shield = False
        self._name: str | None = None
        self._scheduler = scheduler
        self._fn = fn
        self._args: tuple[Any, ...] = args
        self._kwargs: dict[str, Any] | None = kwargs or None
        self._state = READY
        self._send: Any = None
        self._throw: BaseException | None = None
        self._wait_obj: Any = None
        self._wait_key: Any = None
        self._timer_seq = 0
        self._innermost: _ScopeNode = self
        self._pending_cancel: _ScopeNode | None = None
        self._result: Any = None
        self._exception: BaseException | None = None
        self._cancelled = False
        self._retrieved = False
        self._joiners: list[Task] | None = None
        self._group = group
        if parent is not None:
            self._link(parent)
        coro = TaskCoroutine(_task_main, self)
        coro._task = self
        self._coro: TaskCoroutine | None = coro

    @property
    def name(self) -> str:
        """The task's name: its function's qualified name unless set."""
        name = self._name
        if name is None:
            fn = self._fn
            name = self._name = getattr(fn, "__qualname__", None) or repr(fn)
        return name

    @name.setter
    def name(self, value: str) -> None:
        self._name = str(value)

    # ------------------------------------------------------------------ public

    @property
    def state(self) -> str:
        """``"ready"``, ``"running"``, ``"waiting"`` or ``"done"``."""
        return self._state

    @property
    def waiting_on(self) -> str | None:
        """What a waiting task waits on, in words (``None`` unless it waits)."""
        if self._state != WAITING:
            return None
        text: str = self._wait_obj._describe_wait(self._wait_key)
        if self._timer_seq:
            text += " (with a timeout)"
        return text

    def done(self) -> bool:
        return self._state == DONE

    def cancelled(self) -> bool:
        """Whether the task ended by cancellation."""
        return self._cancelled

    def cancel(self) -> None:
        """Cancel the task: ``Cancelled`` is raised where it waits (or next suspends)."""
        if self._state != DONE:
            self._cancel()

    def result(self) -> Any:
        """The task's return value; raises its exception (``Cancelled`` if cancelled)."""
        self._check_done("result")
        self._retrieved = True
        if self._cancelled:
            raise Cancelled("task %r was cancelled" % self.name, self)
        if self._exception is not None:
            raise self._exception
        return self._result

    def exception(self) -> BaseException | None:
        """The exception the task raised, or ``None``; raises ``Cancelled`` if cancelled."""
        self._check_done("exception")
        self._retrieved = True
        if self._cancelled:
            raise Cancelled("task %r was cancelled" % self.name, self)
        return self._exception

    @coroutine_fn
    def join(self, timeout: float | None = None) -> Any:
        """Wait until the task is done and return ``result()`` (raises its exception,
        ``Cancelled`` if it was cancelled, ``TimeoutError`` after ``timeout`` seconds)."""
        if self._state != DONE:
            me = _traps.task_for("Task.join()")
            if me is self:
                raise RuntimeError("a task cannot join itself (it would wait forever)")
            if self._joiners is None:
                self._joiners = []
            self._joiners.append(me)
            if _traps.park(me, self, None, timeout) is TIMED_OUT:
                raise TimeoutError("task %r still running after %s s" % (self.name, timeout))
        return self.result()

    def __repr__(self) -> str:
        return "<stackful.Task %r %s at %#x>" % (self.name, self._state, id(self))

    # ------------------------------------------------------------------ runtime

    def _check_done(self, what: str) -> None:
        if self._state != DONE:
            raise RuntimeError("task %r is not done: %s() is for finished tasks; join() it to "
                               "wait" % (self.name, what))

    def _owner(self) -> Task:
        return self

    def _describe(self) -> str:
        return "task %r cancelled" % self.name

    def _abort_wait(self, task: Task, key: Any) -> None:
        assert self._joiners is not None
        self._joiners.remove(task)

    def _describe_wait(self, key: Any) -> str:
        return "join of task %r" % self.name

    def _timer_fired(self) -> None:
        self._timer_seq = 0
        if self._state == WAITING:
            self._wait_obj._abort_wait(self, self._wait_key)
            self._scheduler._reschedule(self, TIMED_OUT)

    def _make_cancelled(self) -> Cancelled:
        assert self._pending_cancel is not None
        return make_cancelled(self._pending_cancel)

    def _finish(self, result: Any, exc: BaseException | None, cancelled: bool) -> None:
        self._result = result
        self._exception = exc
        self._cancelled = cancelled
        self._state = DONE
        self._args = ()
        self._kwargs = None
        self._coro = None
        self._pending_cancel = None
        if self._parent is not None:
            self._unlink()
        scheduler = self._scheduler
        del scheduler._tasks[self]
        joiners = self._joiners
        if joiners:
            self._joiners = None
            self._retrieved = True
            for joiner in joiners:
                scheduler._reschedule(joiner, None)
        if self._group is not None:
            self._retrieved = True
            self._group._child_done(self)
        if exc is not None and not cancelled and not isinstance(exc, Exception):
            # KeyboardInterrupt, SystemExit...: they stop the whole run (run() raises it).
            self._retrieved = True
            scheduler._stop_with(exc)

    def __del__(self) -> None:
        if self._exception is not None and not self._retrieved and not self._cancelled:
            self._retrieved = True
            message = ("Exception in stackful task %r, never retrieved (join() the task, or "
                       "spawn it in a TaskGroup)" % self.name)
            try:
                logger.error(message, exc_info=self._exception)
            except Exception:             # interpreter shutdown: logging is gone
                pass


@coroutine_fn
def _task_main(task: Task) -> None:
    """The body of every task's coroutine: runs the function, keeps its outcome."""
    fn = task._fn
    try:
        kwargs = task._kwargs
        result = fn(*task._args, **kwargs) if kwargs else fn(*task._args)
        if isinstance(result, types.CoroutineType):
            result.close()
            raise TypeError("%r is an async function: stackful runs plain functions (no "
                            "async/await); call its code without await, or run it with "
                            "asyncio" % (fn,))
    except Cancelled as exc:
        task._finish(None, exc, True)
    except CoroutineExit:
        # The coroutine is being closed by the collector (its scheduler is gone).
        task._state = DONE
        raise
    except BaseException as exc:
        task._finish(None, exc, False)
    else:
        task._finish(result, None, False)

