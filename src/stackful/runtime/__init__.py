"""The runtime: a scheduler per thread with tasks, cooperative I/O, timers,
cancellation and synchronisation primitives, on the public core API only.

Code in a task reads like threaded code: ``stackful.sleep``, a ``Lock``, a
``stackful.socket`` socket suspend the task (from any call depth) and let the others
run.  The names here are re-exported by ``stackful`` itself; ``Engine`` and
``EpollEngine`` are for writing and choosing event engines, ``set_switch_hook`` and
``install_dump_handler`` for tools.  docs/runtime.md describes the design.
"""

from ._cancel import CancelScope, Cancelled, move_on_after, timeout
from ._clock import clock
from ._condition import Condition
from ._engine import HANGUP, READABLE, WRITABLE, Engine
from ._epoll import EpollEngine
from ._event import Event
from ._introspect import current_task, dump_tasks, install_dump_handler, tasks
from ._lock import Lock
from ._queue import Queue, QueueClosed
from ._rwlock import RWLock
from ._scheduler import run, set_switch_hook
from ._semaphore import BoundedSemaphore, Semaphore
from ._spawn import spawn
from ._task import Task
from ._taskgroup import TaskGroup
from ._threads import Portal, to_thread
from ._traps import sleep, wait_readable, wait_writable

# The exceptions show in tracebacks under the name users catch them by.
Cancelled.__module__ = QueueClosed.__module__ = "stackful"

__all__ = [
    "BoundedSemaphore",
    "CancelScope",
    "Cancelled",
    "Condition",
    "Engine",
    "EpollEngine",
    "Event",
    "HANGUP",
    "Lock",
    "Portal",
    "Queue",
    "QueueClosed",
    "READABLE",
    "RWLock",
    "Semaphore",
    "Task",
    "TaskGroup",
    "WRITABLE",
    "clock",
    "current_task",
    "dump_tasks",
    "install_dump_handler",
    "move_on_after",
    "run",
    "set_switch_hook",
    "sleep",
    "spawn",
    "tasks",
    "timeout",
    "to_thread",
    "wait_readable",
    "wait_writable",
]
