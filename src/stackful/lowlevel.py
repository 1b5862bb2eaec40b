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
"""

from ._core import pool_info, switch_count, transfer

__all__ = ["pool_info", "switch_count", "transfer"]
