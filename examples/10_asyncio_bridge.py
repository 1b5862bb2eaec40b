"""10 -- Plain code that awaits asyncio, from any call depth (``stackful.aio``).

A repository layer written as ordinary functions (no ``async def``) calls a helper,
which calls a "driver" that must wait for asyncio I/O. ``stackful.aio.run_sync`` runs
the layer in a coroutine driven by the asyncio task; ``stackful.aio.await_`` suspends
it at any depth, the task awaits the awaitable, and ``await_`` returns its result.
This is what SQLAlchemy's asyncio layer does with greenlet, without greenlet.

Three facts the example checks: the bridged code sees and sets the task's own
``contextvars`` (the same Context, not a copy); an error raised by the awaitable comes
out of ``await_`` with the sync frames in its traceback; cancelling the task raises
``CancelledError`` at the ``await_``, and the sync code's ``finally`` runs.
"""

import asyncio
import contextvars
import traceback

import stackful.aio

request_id = contextvars.ContextVar("request_id")
log = []


async def fetch_row(key):              # the asyncio "driver"
    await asyncio.sleep(0.001)
    if key == "missing":
        raise KeyError(key)
    return {"key": key, "request": request_id.get()}


def driver_get(key):                    # sync, three calls below run_sync
    return stackful.aio.await_(fetch_row(key))


def load(keys):
    rows = [driver_get(k) for k in keys]
    request_id.set("set by sync code")
    return rows


def slow_load():
    try:
        stackful.aio.await_(asyncio.sleep(10))
    finally:
        log.append("finally ran")


async def main():
    request_id.set("r-1")
    rows = await stackful.aio.run_sync(load, ["a", "b"])
    print("rows:", rows)
    print("the task sees what the sync code set:", request_id.get())

    try:
        await stackful.aio.run_sync(driver_get, "missing")
    except KeyError as exc:
        frames = [f.name for f in traceback.extract_tb(exc.__traceback__)]
        assert "driver_get" in frames and "fetch_row" in frames, frames
        print("KeyError with the sync frame driver_get in its traceback")

    task = asyncio.create_task(stackful.aio.run_sync(slow_load))
    await asyncio.sleep(0.01)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        print("cancelled at the await_:", log)


asyncio.run(main())
