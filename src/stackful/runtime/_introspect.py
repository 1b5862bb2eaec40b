"""Introspection: the live tasks, a dump of every task's stack, a switch hook.

Design principles:

* Reading never disturbs: ``tasks()`` and ``dump_tasks()`` only read what the
  scheduler keeps (state, what each task waits on, its coroutine's frames, which the
  core keeps walkable while it is suspended), so they are safe from a signal handler.
* A dump is useful as it stands: each task's name, state, what it waits on, and its
  stack from the task's function down to the runtime call where it waits.
"""

from __future__ import annotations

import signal
import sys
import traceback
from types import FrameType
from typing import IO

from ._scheduler import current_scheduler, set_switch_hook
from ._task import RUNNING, Task
from ._traps import current_task_or_none

__all__ = ["current_task", "dump_tasks", "install_dump_handler", "set_switch_hook", "tasks"]


def tasks() -> list[Task]:
    """The live tasks of this thread's scheduler, oldest first (empty outside run())."""
    scheduler = current_scheduler()
    return list(scheduler._tasks) if scheduler is not None else []


def current_task() -> Task | None:
    """The running task (also from code nested in it), or None outside a task."""
    return current_task_or_none()


def _stack_of(task: Task) -> traceback.StackSummary:
    if task._state == RUNNING:
        return traceback.extract_stack(sys._getframe(2))
    coro = task._coro
    frame = coro.frame if coro is not None else None
    return traceback.extract_stack(frame) if frame is not None else traceback.StackSummary()


def dump_tasks(file: IO[str] | None = None) -> None:
    """Print every live task of this thread's scheduler with its stack (to stderr)."""
    out = file if file is not None else sys.stderr
    scheduler = current_scheduler()
    if scheduler is None:
        print("stackful: no scheduler runs in this thread", file=out)
        return
    live = list(scheduler._tasks)
    print("stackful: %d task(s)" % len(live), file=out)
    for task in live:
        waiting = task.waiting_on
        print("\ntask %r at %#x, %s%s" % (task.name, id(task), task._state,
                                       ", waiting for %s" % waiting if waiting else ""),
              file=out)
        print("".join(_stack_of(task).format()).rstrip("\n") or "  (not started)", file=out)
    out.flush()


def install_dump_handler(signum: int = signal.SIGUSR1) -> None:
    """Dump every task's stack to stderr when the process gets ``signum`` (main thread)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        dump_tasks()

    signal.signal(signum, handler)
