"""The asyncio bridge: ``await run_sync(fn)`` runs sync code that may ``await_(x)``.

Design principles:

* One coroutine per call, driven by the asyncio task that awaits ``run_sync``.  ``fn``
  runs in a ``stackful.Coroutine``; ``await_(awaitable)``, at any call depth below it,
  suspends that coroutine with the awaitable as the suspended value; the driver awaits
  it on the task and resumes the coroutine with the result, or throws the exception in
  at the ``await_``.  Nothing else crosses the boundary, so a switch allocates nothing
  beyond what awaiting the awaitable costs.
* Transparent to asyncio and to the sync code: the coroutine runs in the task's own
  ``contextvars.Context`` (the object, not a copy), so what either side sets the other
  sees; exceptions cross both ways with their tracebacks (the sync frames, then the
  awaitable's); a cancellation of the task is a ``CancelledError`` raised at the
  ``await_``, handled by the sync code as async code would handle it at an ``await``
  (re-raised, it cancels ``run_sync``; swallowed, the sync code goes on and
  ``run_sync`` returns what it returns).
* Misuse is an error that says what to do, and leaves nothing behind: ``await_``
  outside a bridge raises ``CoroutineError`` naming ``run_sync`` and closes the
  coroutine it was given (no "never awaited" warning follows).
* No reference cycles: the driver keeps the coroutine in a local only, and a finished
  coroutine keeps nothing, so everything goes with reference counting.
"""

from __future__ import annotations

import asyncio
import inspect
import types
from typing import Any, Awaitable, Callable, NoReturn, TypeVar

from .. import Coroutine, CoroutineError, current, suspend
from ..lowlevel import current_context
from ..runtime import current_task

__all__ = ["AwaitRequired", "await_", "run_sync"]

T = TypeVar("T")


class AwaitRequired(CoroutineError):
    """``run_sync(fn, require_await=True)``: ``fn`` returned without awaiting anything."""


class _BridgeCoroutine(Coroutine):
    """The coroutine of one ``run_sync`` call: ``await_`` recognises it by its type."""

    __slots__ = ()


async def run_sync(fn: Callable[..., T], /, *args: Any, require_await: bool = False,
                   **kwargs: Any) -> T:
    """Run the plain function ``fn(*args, **kwargs)`` in a stackful coroutine driven by
    the calling asyncio task, and return its result (or raise its exception).  Below it,
    at any depth, ``await_(awaitable)`` awaits on the task.  ``require_await=True``
    raises ``AwaitRequired`` if ``fn`` returned without a single ``await_``."""
    if not callable(fn):
        raise TypeError("run_sync() runs a plain callable, got %s object %r"
                        % (type(fn).__name__, fn))
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise CoroutineError(
            "stackful.aio.run_sync() was not awaited in an asyncio task (no event loop runs "
            "in this thread): await it from async code that asyncio.run() runs") from None
    co = _BridgeCoroutine(fn, *args, context=current_context(), **kwargs)
    value = co.resume()
    awaited = False
    while co.status != "dead":
        awaited = True
        try:
            outcome = await value
        except GeneratorExit:
            # The awaiting coroutine is being closed: no await is possible any more, so
            # the sync code is closed too (its finally blocks run, CoroutineExit).
            co.close()
            raise
        except BaseException as exc:
            value = co.throw(exc)
        else:
            value = co.resume(outcome)
    if not awaited:
        if type(value) is types.CoroutineType:
            value.close()
            raise TypeError(
                "%r is an async function: run_sync() runs plain functions; await it "
                "directly, or call it through stackful.aio.await_() from the sync code"
                % (fn,))
        if require_await:
            raise AwaitRequired(
                "%r returned without awaiting anything, and run_sync() was called with "
                "require_await=True: the code was expected to do its I/O through "
                "stackful.aio.await_() (is a blocking library in use instead of an "
                "asyncio one?)" % (fn,))
    result: T = value
    return result


def _not_in_bridge(awaitable: object) -> NoReturn:
    if inspect.iscoroutine(awaitable):
        awaitable.close()
    co = current()
    if co is None:
        raise CoroutineError(
            "stackful.aio.await_() called outside a bridge: no coroutine runs; call the code "
            "that uses it through 'await stackful.aio.run_sync(fn, ...)' from an asyncio task")
    task = current_task()
    if task is not None:
        raise CoroutineError(
            "stackful.aio.await_() called in the stackful task %r: the runtime's tasks are "
            "not driven by asyncio; use the runtime's own calls there (stackful.sleep, "
            "stackful.socket...), and await_() only below 'await stackful.aio.run_sync(fn)'"
            % task.name)
    raise CoroutineError(
        "stackful.aio.await_() called inside %r, a coroutine that no run_sync() bridge "
        "drives: await_() suspends the coroutine that 'await stackful.aio.run_sync(fn)' "
        "started, so call it from that code itself, not from a coroutine or stackful "
        "generator nested in it" % (co,))


# Not @coroutine_fn (the checker still infers that its callers suspend, from suspend()):
# the annotation's enforcing wrapper would refuse a call outside a coroutine before this
# function could close the awaitable and raise its own, clearer, error.
def await_(awaitable: Awaitable[T]) -> T:  # stackful: ignore[SC101]
    """Await ``awaitable`` on the asyncio task that drives the enclosing
    ``run_sync()``; return its result or raise its exception (``CancelledError`` when
    the task is cancelled meanwhile)."""
    if type(current()) is not _BridgeCoroutine:
        _not_in_bridge(awaitable)
    if type(awaitable) is not types.CoroutineType and not hasattr(
            type(awaitable), "__await__") and not inspect.isawaitable(awaitable):
        raise TypeError("stackful.aio.await_() needs an awaitable (a coroutine, an "
                        "asyncio Task or Future...), got %s object %r"
                        % (type(awaitable).__name__, awaitable))
    result: T = suspend(awaitable)
    return result
