"""Stackful generators: iterators whose items may be produced from any call depth.

Principles: a stackful generator is a Coroutine that speaks the generator protocol
(``stackful.Generator``, in the C core: the per-item path is C from ``next()`` to the
``emit()``, so an item costs about what a generator's does, at any depth); this module
only adds the decorator that turns a function into a generator factory.

    @stackful.generator
    def walk(tree):
        def visit(node):                 # a plain helper function, at any depth...
            if node:
                visit(node.left)
                stackful.emit(node.value)    # ...produces the next item
                visit(node.right)
        visit(tree)

    for value in walk(tree): ...

``emit(value)`` returns what the consumer sent (``gen.send(x)``; None for ``next``).
The protocol is that of Python generators: ``iter``/``next``, ``send``, ``throw``,
``close`` (``GeneratorExit`` at the ``emit``, so ``finally`` runs), the function's return
value in ``StopIteration.value``, a ``StopIteration`` raised inside becomes
``RuntimeError`` (PEP 479), ``yield from`` in an ordinary generator delegates to it.
``suspend()`` inside a stackful generator is an error (its resumer is the consumer);
run suspending code in a ``Coroutine`` instead.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, ParamSpec

from ._core import Generator, emit

__all__ = ["emit", "generator", "Generator"]

P = ParamSpec("P")


def generator(fn: Callable[P, Any]) -> Callable[P, Generator]:
    """Decorate fn so that calling it returns a stackful Generator over what it emits.

    The generator runs fn(*args, **kwargs) in a coroutine on the thread's default share
    stack; nothing runs until the first next().
    """
    if not callable(fn):
        raise TypeError("stackful.generator() needs a callable, not %s" % type(fn).__name__)

    @functools.wraps(fn)
    def factory(*args: P.args, **kwargs: P.kwargs) -> Generator:
        return Generator(fn, *args, **kwargs)

    factory.__stackful_generator__ = True  # type: ignore[attr-defined]
    return factory
