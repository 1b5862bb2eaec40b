"""Building blocks for schedulers and compatibility layers.

``transfer(target, value=None, *, throw=None)`` switches directly from the running
context to the suspended coroutine ``target`` (a symmetric switch), without going
back to the resumer first.

Where ``suspend`` returns after a transfer: the target takes the current coroutine's
place. Every running coroutine has a *resumer*, the context its ``suspend()`` returns
to; ``resume`` sets it to the caller. ``transfer`` hands the current coroutine's
resumer on to the target and leaves the current coroutine suspended (resumable by
``resume`` or another ``transfer``). So if the main context resumes A, A transfers to
B, and B suspends with value v, then the main context's ``A.resume()`` returns v, and
A is suspended where it called ``transfer``. The chain of waiting contexts never grows
through transfers: a round-robin of transfers runs in constant space.

From a thread's main context (which has no resumer to hand on), ``transfer(target)``
is ``target.resume()``.

``transfer(target, throw=exc)`` raises ``exc`` in the target at its suspension point.

``finish_to(target)``, called in a running coroutine, names its successor: when its
function returns (or raises), ``target`` (a suspended coroutine of the same thread)
takes its place on the chain, as with ``transfer``, and target's suspension returns the
result (or raises the exception). An unstarted target starts then: its function runs
with its own arguments and the result is dropped, while an exception ends it before it
runs a line and goes on to its resumer (or its own successor). If target cannot be
entered by then (it finished, or runs), the resumer gets the result as usual. This is how a greenlet's death goes to its
parent. ``finish_to(None)`` removes the successor.

``current_context()`` returns the ``contextvars.Context`` the caller runs in, the object
itself: ``Coroutine(fn, context=current_context())`` runs fn in the caller's context, so
that what fn sets, the caller sees (an asyncio bridge shares its task's context so).
``set_current_context(context)`` makes ``context`` the one the caller runs in from now
on (None: an empty one on first use), and ``Coroutine.context`` reads or replaces a
coroutine's: what greenlet's ``gr_context`` needs.
"""

from ._core import (current_context, finish_to, pool_info, set_current_context, switch_count,
                    transfer)

__all__ = ["current_context", "finish_to", "pool_info", "set_current_context",
           "switch_count", "transfer"]
