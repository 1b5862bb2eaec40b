"""Cancellation: ``Cancelled``, cancel scopes, ``timeout`` and ``move_on_after``.

Design principles:

* Cancellation is an exception delivered where the task suspends.  ``Cancelled`` is a
  ``BaseException`` (an ``except Exception`` does not swallow it), raised by the
  runtime call that would have suspended: the task is first removed from what it
  waited on (a lock's queue, a socket's readiness, a timer), so nothing is left behind.
* Scopes form a tree: a task's scopes nest (``with``), and the tasks of a
  ``TaskGroup`` hang below the scope of the group.  Cancelling a scope cancels
  everything below it, except below a shielded scope.  A task itself is the root of its
  scopes, so ``task.cancel()`` is the cancellation of its outermost scope.
* Level-triggered, like trio: while a task is inside a cancelled scope, every
  suspension raises ``Cancelled`` again, so an over-eager ``except BaseException`` does
  not make a task uncancellable.  The exception carries the scope it belongs to, the
  outermost cancelled one around the task, and only that scope's ``with`` stops it.
* Nothing is computed per suspension: cancelling a scope walks the tasks below it once
  and leaves each a pending ``Cancelled``; a suspension only tests that field.
"""

from __future__ import annotations

import math
import types
from typing import TYPE_CHECKING

from . import _clock

if TYPE_CHECKING:
    from ._task import Task

__all__ = ["CancelScope", "Cancelled", "move_on_after", "timeout"]


class Cancelled(BaseException):
    """Raised at a task's suspension point when a scope around it is cancelled.

    ``scope`` is the cancelled scope (a ``CancelScope``, or the ``Task`` itself for
    ``task.cancel()``) whose ``with`` block will stop the exception.  Let it propagate:
    a task that catches it should re-raise it.
    """

    def __init__(self, message: str = "cancelled", scope: object = None) -> None:
        super().__init__(message)
        self.scope = scope


class _ScopeNode:
    """A node of the cancellation tree: a CancelScope, or a Task (its root)."""

    __slots__ = ("_parent", "_children", "_cancel_called", "_shield")

    def __init__(self, parent: _ScopeNode | None, shield: bool) -> None:
        self._parent = parent
        self._children: set[_ScopeNode] | None = None
        self._cancel_called = False
        self._shield = shield

    def _owner(self) -> Task:
        raise NotImplementedError

    def _describe(self) -> str:
        raise NotImplementedError

    def _link(self, parent: _ScopeNode | None) -> None:
        self._parent = parent
        if parent is not None:
            if parent._children is None:
                parent._children = set()
            parent._children.add(self)

    def _unlink(self) -> None:
        parent = self._parent
        if parent is not None and parent._children is not None:
            parent._children.discard(self)

    def _cancel(self) -> None:
        if self._cancel_called:
            return
        self._cancel_called = True
        _refresh_below(self)


def _effective_cancel(task: Task) -> _ScopeNode | None:
    """The outermost cancelled scope around the task's innermost one, up to a shield."""
    node: _ScopeNode | None = task._innermost
    found = None
    while node is not None:
        if node._cancel_called:
            found = node
        if node._shield:
            break
        node = node._parent
    return found


def refresh(task: Task) -> None:
    """Recompute the task's pending cancellation; deliver it if the task waits."""
    found = _effective_cancel(task)
    task._pending_cancel = found
    if found is not None:
        task._scheduler._deliver_cancel(task)


def _refresh_below(node: _ScopeNode) -> None:
    tasks: dict[Task, None] = {}
    stack = [node]
    while stack:
        current = stack.pop()
        tasks[current._owner()] = None
        if current._children:
            stack.extend(c for c in current._children if not c._shield)
    for task in tasks:
        if task._state != "done":
            refresh(task)


def make_cancelled(node: _ScopeNode) -> Cancelled:
    return Cancelled("cancelled: %s" % node._describe(), node)


class CancelScope(_ScopeNode):
    """A block whose suspensions can be cancelled together: ``with CancelScope() as s:``.

    ``s.cancel()`` (from any task, or a deadline passing) makes every suspension
    inside the block raise ``Cancelled``, and the block's exit stops that exception
    (``s.cancelled_caught`` then is true).  ``shield=True`` protects the block from
    cancellations of the scopes around it (for cleanup that must suspend).  A scope
    is entered once, in a task.
    """

    __slots__ = ("_task", "_deadline", "_timer_seq", "cancelled_caught", "_entered")

    def __init__(self, *, deadline: float = math.inf, shield: bool = False) -> None:
        if math.isnan(deadline):
            raise ValueError("deadline must be a number of the stackful.clock(), not NaN")
        super().__init__(None, bool(shield))
        self._task: Task | None = None
        self._deadline = float(deadline)
        self._timer_seq = 0
        self.cancelled_caught = False
        self._entered = False

    @property
    def deadline(self) -> float:
        """When the scope cancels itself, on ``stackful.clock()`` (``inf``: never)."""
        return self._deadline

    @deadline.setter
    def deadline(self, value: float) -> None:
        if math.isnan(value):
            raise ValueError("deadline must be a number of the stackful.clock(), not NaN")
        self._deadline = float(value)
        if self._task is not None:
            self._arm()

    @property
    def shield(self) -> bool:
        """Whether cancellations of the scopes around this one are kept out of it."""
        return self._shield

    @shield.setter
    def shield(self, value: bool) -> None:
        self._shield = bool(value)
        if self._task is not None:
            _refresh_below(self)

    @property
    def cancel_called(self) -> bool:
        return self._cancel_called

    def cancel(self) -> None:
        """Cancel the block: its suspensions raise ``Cancelled`` until it is left."""
        self._cancel()

    def _owner(self) -> Task:
        assert self._task is not None
        return self._task

    def _describe(self) -> str:
        if self._deadline != math.inf and self._deadline <= _clock.clock():
            return "deadline of a cancel scope passed"
        return "cancel scope cancelled"

    def _arm(self) -> None:
        task = self._task
        assert task is not None
        scheduler = task._scheduler
        if self._timer_seq:
            self._timer_seq = 0
            scheduler._timer_dropped()
        if self._deadline != math.inf:
            if self._deadline <= _clock.clock():
                self._cancel()
            else:
                scheduler._add_timer(self._deadline, self)

    def _timer_fired(self) -> None:
        self._timer_seq = 0
        self._cancel()

    def __enter__(self) -> CancelScope:
        task = _traps.running_task("entering a cancel scope")
        if self._entered:
            raise RuntimeError("a CancelScope can be entered only once; make a new one")
        self._entered = True
        self._task = task
        self._link(task._innermost)
        task._innermost = self
        self._arm()
        if not self._cancel_called:
            refresh(task)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: types.TracebackType | None) -> bool:
        task = self._task
        assert task is not None
        if task._innermost is not self:
            raise RuntimeError("cancel scopes must be left in the reverse order of entering")
        task._innermost = self._parent if self._parent is not None else task
        self._unlink()
        if self._timer_seq:
            self._timer_seq = 0
            task._scheduler._timer_dropped()
        refresh(task)
        if isinstance(exc, Cancelled) and exc.scope is self:
            self.cancelled_caught = True
            return True
        return False

    def __repr__(self) -> str:
        state = "cancelled" if self._cancel_called else "active" if self._task else "unused"
        return "<CancelScope %s deadline=%s shield=%s>" % (state, self._deadline, self._shield)


class _FailAfter(CancelScope):
    __slots__ = ("_seconds",)

    def __init__(self, deadline: float, seconds: float | None) -> None:
        super().__init__(deadline=deadline)
        self._seconds = seconds

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: types.TracebackType | None) -> bool:
        caught = super().__exit__(exc_type, exc, tb)
        if caught:
            raise TimeoutError("timed out after %s s" % self._seconds) from exc
        return caught


def _deadline_after(seconds: float | None) -> float:
    if seconds is None:
        return math.inf
    if math.isnan(seconds):
        raise ValueError("seconds must be a number or None, not NaN")
    return _clock.clock() + seconds


def timeout(seconds: float | None) -> CancelScope:
    """``with timeout(s):`` cancels the block after ``s`` seconds and raises
    ``TimeoutError`` out of it (``None``: no limit)."""
    return _FailAfter(_deadline_after(seconds), seconds)


def move_on_after(seconds: float | None) -> CancelScope:
    """``with move_on_after(s) as scope:`` cancels the block after ``s`` seconds and
    just leaves it (``scope.cancelled_caught`` tells whether it did)."""
    return CancelScope(deadline=_deadline_after(seconds))


# Imported last: _traps imports this module's names (through _task).
from . import _traps  # noqa: E402
