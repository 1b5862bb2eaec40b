"""``TaskGroup``: structured concurrency (trio's nursery, asyncio's TaskGroup).

Design principles:

* A group's tasks live inside the ``with`` block: leaving it waits for all of them,
  so no task outlives the code that started it.
* The first failure cancels the rest: a task of the group raising an exception (or
  the block itself raising) cancels the group's scope, which cancels every task of the
  group and the block; once all are done, the exceptions come out together as an
  ``ExceptionGroup`` (``BaseExceptionGroup`` if one is not an ``Exception``).
  Cancellations that the group caused are not errors.
* The group's tasks hang below the group's cancel scope, so cancelling the code around
  the group (a timeout, ``cancel()`` of the task) cancels them too; the wait at the
  end of the block is shielded, so the block is only left when they are done.
"""

from __future__ import annotations

import types
from typing import Any, Callable

from .._annotations import coroutine_fn
from ._cancel import CancelScope, Cancelled, _effective_cancel, make_cancelled
from ._task import Task
from ._traps import park, running_task

__all__ = ["TaskGroup"]


class TaskGroup:
    """``with TaskGroup() as tg: tg.spawn(fn, *args)`` runs tasks that the block waits for."""

    __slots__ = ("_scope", "_parent", "_children", "_errors", "_waiting", "_state")

    def __init__(self) -> None:
        self._scope = CancelScope()
        self._parent: Task | None = None
        self._children: set[Task] = set()
        self._errors: list[BaseException] = []
        self._waiting = False
        self._state = "new"

    def __enter__(self) -> TaskGroup:
        if self._state != "new":
            raise RuntimeError("a TaskGroup is entered only once; make a new one")
        self._parent = running_task("entering a TaskGroup")
        self._scope.__enter__()
        self._state = "open"
        return self

    def spawn(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Task:
        """Start ``fn(*args, **kwargs)`` as a task of the group."""
        if self._state != "open":
            raise RuntimeError("TaskGroup.spawn() %s" % (
                "before the group's `with` block" if self._state == "new" else
                "after the group's `with` block ended"))
        assert self._parent is not None
        task = self._parent._scheduler.spawn(fn, args, kwargs, self._scope, self)
        self._children.add(task)
        return task

    def cancel(self) -> None:
        """Cancel every task of the group and the rest of the block."""
        self._scope.cancel()

    def _child_done(self, task: Task) -> None:
        self._children.discard(task)
        if not task._cancelled and task._exception is not None:
            self._errors.append(task._exception)
            self._scope.cancel()
        if not self._children and self._waiting:
            self._waiting = False
            parent = self._parent
            assert parent is not None
            parent._scheduler._reschedule(parent, None)

    def _abort_wait(self, task: Task, key: Any) -> None:
        # The wait at the end of the block is shielded and has no timeout: nothing
        # aborts it, but a wait object must say how it would be left.
        self._waiting = False

    def _describe_wait(self, key: Any) -> str:
        return "the end of %d task(s) of a TaskGroup" % len(self._children)

    @coroutine_fn
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: types.TracebackType | None) -> bool:
        parent = self._parent
        assert parent is not None
        self._state = "closing"
        body_cancelled: Cancelled | None = None
        if isinstance(exc, Cancelled):
            if exc.scope is not self._scope:
                body_cancelled = exc
            self._scope.cancel()
        elif exc is not None:
            self._errors.append(exc)
            self._scope.cancel()
        if self._children:
            with CancelScope(shield=True):
                self._waiting = True
                park(parent, self, None, None)
        self._state = "closed"
        self._scope.__exit__(None, None, None)
        if self._errors:
            errors, self._errors = self._errors, []
            raise BaseExceptionGroup("unhandled errors in a TaskGroup", errors) from None
        if body_cancelled is not None:
            return False                                       # the Cancelled goes on
        outer = _effective_cancel(parent)
        if outer is not None:
            raise make_cancelled(outer)
        return exc is not None                                 # our own Cancelled stops here

    def __repr__(self) -> str:
        return "<stackful.TaskGroup %s, %d task(s)>" % (self._state, len(self._children))
