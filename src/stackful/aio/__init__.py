"""stackful on asyncio: sync code that awaits, and the runtime inside an asyncio loop.

``await stackful.aio.run_sync(fn, *args)`` (in an ``async def``) runs the plain function
``fn`` in a stackful coroutine that the calling task drives; anywhere below it,
``stackful.aio.await_(awaitable)`` awaits on that task and returns the result: what
SQLAlchemy's ``greenlet_spawn``/``await_only`` do, without greenlet.

``await stackful.aio.run(fn, *args)`` runs ``fn`` as the main task of a stackful
scheduler that shares the running asyncio loop: ``stackful.sleep``, ``stackful.socket``,
the primitives and ``spawn`` work in it, side by side with asyncio code.

The names below are the whole public API of this namespace (a test enforces it); they
are not re-exported by ``stackful`` itself.  docs/aio.md describes the semantics.
"""

from ._bridge import AwaitRequired, await_, run_sync
from ._run import run

__all__ = ["AwaitRequired", "await_", "run", "run_sync"]
