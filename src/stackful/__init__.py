"""stackful: fast, safe stackful coroutines for CPython.

A function running in a Coroutine can suspend from any call depth -- inside helpers,
callbacks, even C code that calls back into Python -- and be resumed later, with no
async/await colouring. The API follows Lua's coroutine library and libaco:

    >>> import stackful
    >>> def walk(items):
    ...     for item in items:
    ...         stackful.suspend(item * 2)
    ...     return "done"
    >>> co = stackful.Coroutine(walk, [1, 2])
    >>> co.resume(), co.resume(), co.resume(), co.status
    (2, 4, 'done', 'dead')

The names below are the whole public API (a test enforces the list); symmetric
transfer and other building blocks for schedulers live in ``stackful.lowlevel``.
The runtime (``stackful.run``, tasks, cooperative I/O, timers, cancellation, locks and
queues) lives in ``stackful.runtime`` and its names are re-exported here; cooperative
sockets and TLS are ``stackful.socket`` and ``stackful.ssl``.
"""

from ._core import (
    Coroutine,
    CoroutineError,
    CoroutineExit,
    CoroutineStats,
    Generator,
    ShareStack,
    current,
    in_coroutine,
    suspend,
)
from . import lowlevel
from .generator import emit, generator
from ._annotations import blocking_fn, coroutine_fn
from . import runtime
from .runtime import (
    BoundedSemaphore,
    CancelScope,
    Cancelled,
    Condition,
    Event,
    Lock,
    Portal,
    Queue,
    QueueClosed,
    RWLock,
    Semaphore,
    Task,
    TaskGroup,
    clock,
    current_task,
    dump_tasks,
    move_on_after,
    run,
    sleep,
    spawn,
    tasks,
    timeout,
    to_thread,
    wait_readable,
    wait_writable,
)

__all__ = [
    "blocking_fn",
    "coroutine_fn",
    "Coroutine",
    "CoroutineError",
    "CoroutineExit",
    "CoroutineStats",
    "emit",
    "Generator",
    "generator",
    "ShareStack",
    "current",
    "in_coroutine",
    "lowlevel",
    "suspend",
    # the runtime (stackful.runtime)
    "BoundedSemaphore",
    "CancelScope",
    "Cancelled",
    "Condition",
    "Event",
    "Lock",
    "Portal",
    "Queue",
    "QueueClosed",
    "RWLock",
    "Semaphore",
    "Task",
    "TaskGroup",
    "clock",
    "current_task",
    "dump_tasks",
    "move_on_after",
    "run",
    "runtime",
    "sleep",
    "spawn",
    "tasks",
    "timeout",
    "to_thread",
    "wait_readable",
    "wait_writable",
]

__version__ = "0.1.0"
