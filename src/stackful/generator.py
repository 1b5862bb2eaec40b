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
from typing import Any, Callable, ParamSpec, overload

from ._core import Generator, ShareStack, emit

__all__ = ["emit", "generator", "Generator"]

P = ParamSpec("P")

#: What ``stack=`` of the decorator accepts: one ShareStack for every generator the
#: factory makes (they take turns on it), or a callable making one per generator
#: (``stackful.ShareStack`` itself gives each its own stack of the default size).
StackSpec = ShareStack | Callable[[], ShareStack] | None

# The constructor, untyped: the factory hands it the function's arguments unchanged.
_make: Callable[..., Generator] = Generator


@overload
def generator(fn: Callable[P, Any], /) -> Callable[P, Generator]: ...
@overload
def generator(*, stack: StackSpec = None) -> Callable[[Callable[P, Any]], Callable[P, Generator]]: ...


def generator(fn: Callable[P, Any] | None = None, /, *,
              stack: StackSpec = None) -> Any:
    """Decorate fn so that calling it returns a stackful Generator over what it emits.

    ``@generator`` runs each generator on one of the thread's default share stacks;
    ``@generator(stack=...)`` on the given ShareStack, or on one made per generator by a
    callable (``@generator(stack=stackful.ShareStack)``): a generator that emits from deep
    C recursion then never copies its stack. Nothing runs until the first next(). The
    function's own parameters, ``stack`` and ``context`` included, are passed through.
    """
    if fn is None:
        if stack is not None and not isinstance(stack, ShareStack) and not callable(stack):
            raise TypeError("stackful.generator(stack=...) needs a ShareStack or a callable "
                            "returning one, not %s" % type(stack).__name__)
        return lambda f: _factory(f, stack)
    return _factory(fn, stack)


def _factory(fn: Callable[P, Any], stack: StackSpec) -> Callable[P, Generator]:
    if not callable(fn):
        raise TypeError("stackful.generator() needs a callable, not %s" % type(fn).__name__)

    @functools.wraps(fn)
    def factory(*args: P.args, **kwargs: P.kwargs) -> Generator:
        own = stack if stack is None or isinstance(stack, ShareStack) else stack()
        if "stack" in kwargs or "context" in kwargs:
            # The function's own keywords: the constructor would take them for itself.
            return _make(functools.partial(fn, *args, **kwargs), stack=own)
        if own is None:
            return _make(fn, *args, **kwargs)
        return _make(fn, *args, stack=own, **kwargs)

    factory.__stackful_generator__ = True  # type: ignore[attr-defined]
    return factory
