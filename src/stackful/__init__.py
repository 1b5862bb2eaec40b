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
]

__version__ = "0.1.0"
