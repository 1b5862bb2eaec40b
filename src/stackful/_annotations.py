"""Runtime annotations: ``@coroutine_fn`` and ``@blocking_fn``.

Design principles:

* Zero cost by default: the decorators return the very function they are
  given, only marked with an attribute (``__stackful_coroutine_fn__`` or
  ``__stackful_blocking_fn__``) that tools and the static checker
  (``python -m stackful.check``) can read.
* Optional enforcement, decided once: when the environment variable
  ``STACKFUL_CHECK`` is ``1`` at the time this module is first imported,
  the decorators return a ``functools.wraps`` wrapper that raises
  ``stackful.CoroutineError`` when a ``coroutine_fn`` is called outside a
  coroutine or a ``blocking_fn`` inside one.  Changing the variable later has
  no effect, so the fast path never looks at the environment.
* Misuse fails loudly at decoration time: decorating something that is not a
  function (or another callable object), or a function already carrying the
  opposite annotation, raises ``TypeError``.
"""

from __future__ import annotations

import functools
import inspect
import os
from typing import Any, TypeVar, cast
from collections.abc import Callable

__all__ = ["ENFORCED", "blocking_fn", "coroutine_fn"]

F = TypeVar("F", bound=Callable[..., Any])

COROUTINE_ATTR = "__stackful_coroutine_fn__"
BLOCKING_ATTR = "__stackful_blocking_fn__"

#: Whether the decorators enforce their contract at run time.
ENFORCED: bool = os.environ.get("STACKFUL_CHECK", "").strip().lower() in ("1", "true", "yes", "on")


def _name(fn: Any) -> str:
    target = getattr(fn, "__func__", fn)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None) or getattr(target, "__name__", None) or repr(target)
    return f"{module}.{qualname}" if module else str(qualname)


def _validate(kind: str, fn: Any, opposite: str) -> None:
    if inspect.isclass(fn):
        raise TypeError(f"@{kind} applies to functions and methods, not to the class {fn.__qualname__!r}")
    target = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
    if not callable(target):
        raise TypeError(f"@{kind} expects a function, got {type(fn).__name__!r} object {fn!r}")
    if getattr(fn, opposite, False) or getattr(target, opposite, False):
        other = "blocking_fn" if opposite == BLOCKING_ATTR else "coroutine_fn"
        raise TypeError(f"{_name(fn)!r} cannot be both @{kind} and @{other}")


def _mark(fn: Any, attr: str) -> Any:
    """Set *attr* on *fn*; wrap *fn* if it does not take attributes."""
    try:
        setattr(fn, attr, True)
        return fn
    except (AttributeError, TypeError):
        @functools.wraps(fn)
        def marked(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)

        setattr(marked, attr, True)
        return marked


def _enforce(fn: Any, attr: str, want_inside: bool, message: str) -> Any:
    """A wrapper of *fn* that checks where it is called from."""
    from ._core import CoroutineError, in_coroutine

    if isinstance(fn, (staticmethod, classmethod)):
        return type(fn)(_enforce(fn.__func__, attr, want_inside, message))

    @functools.wraps(fn)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if bool(in_coroutine()) != want_inside:
            raise CoroutineError(message)
        return fn(*args, **kwargs)

    setattr(checked, attr, True)
    return checked


def _annotate(fn: F, kind: str, attr: str, opposite: str, want_inside: bool,
              misuse: str) -> F:
    """What both annotations do: check *fn*, then mark it, or wrap it in a check of
    where it is called from when ``STACKFUL_CHECK=1``."""
    _validate(kind, fn, opposite)
    if ENFORCED:
        return cast(F, _enforce(fn, attr, want_inside, f"{kind} {_name(fn)!r} {misuse}"))
    return cast(F, _mark(fn, attr))


def coroutine_fn(fn: F) -> F:
    """Mark *fn* as a coroutine function: it may suspend, directly or through
    what it calls, so it must only be called from inside a coroutine.

    Returns *fn* itself (marked) unless ``STACKFUL_CHECK=1`` was set when
    ``stackful`` was imported; then calls from outside a coroutine raise
    ``stackful.CoroutineError``.
    """
    return _annotate(fn, "coroutine_fn", COROUTINE_ATTR, BLOCKING_ATTR, True,
                     "called outside a coroutine")


def blocking_fn(fn: F) -> F:
    """Mark *fn* as blocking: it may block the thread for long, so it must not
    be called from inside a coroutine.

    Returns *fn* itself (marked) unless ``STACKFUL_CHECK=1`` was set when
    ``stackful`` was imported; then calls from inside a coroutine raise
    ``stackful.CoroutineError``.
    """
    return _annotate(fn, "blocking_fn", BLOCKING_ATTR, COROUTINE_ATTR, False,
                     "called inside a coroutine")
