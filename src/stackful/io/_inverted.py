"""An inverted consumer: a callback-style (push) API, iterated as a stream of events.

Principles: ``Inverted(run, *args)`` calls ``run(emit, *args)``, which wires a library's
callbacks to ``emit(event)`` and drives the library (``parser.Parse``, a query, a
decompressor) to the end; iterating the Inverted gives the events one at a time, while
the library waits, suspended inside its callback, for the next ``next()``. Nothing is
buffered: a huge document costs one event's memory, and the consumer may stop at any
time (``close()``: ``GeneratorExit`` at the emit, the library unwinds as from any
exception its callback raised).

It is a stackful Generator (``stackful.Generator``: the per-event path is C) with what
a shared, mid-callback library object needs on top:

* ``emit`` is bound to its own run: called from another coroutine or generator it raises
  ``CoroutineError`` (``stackful.emit`` there would silently feed the other one);
* while the run is mid-callback, the Inverted belongs to the context that started it:
  another context iterating it, or the run re-entering its own iterator from a callback,
  raises ``CoroutineError`` (the library's state is that of the first consumer's
  iteration, half-way through a C call); ``close()`` is always allowed;
* the run's return value is kept: ``.result`` after the end (a ``for`` loop drops a
  generator's ``StopIteration.value``).

``for event in inverted`` loops over the Generator itself (``__iter__`` returns it,
after the guard): an event costs what a hand-written stackful generator's does.

The run executes in the Generator, so it may not ``stackful.suspend()`` (a FeedFile read
suspends: read a Feed's file in the Feed's consumer itself, not inside an Inverted).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

from .. import CoroutineError, Generator, coroutine_fn, current, emit as _emit

__all__ = ["Inverted"]

_UNSET: Any = object()
_MAIN: Any = object()          # the thread's main context, as an owner


class _Outcome:
    """How the run ended, kept apart from the generator so that a ``for`` loop over it
    (which drops StopIteration.value) loses nothing, and without a cycle back."""

    __slots__ = ("result", "error")

    def __init__(self) -> None:
        self.result: Any = _UNSET
        self.error: BaseException | None = None


def _body(outcome: _Outcome, run: Callable[..., Any], emit: Callable[[Any], Any],
          args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    try:
        outcome.result = run(emit, *args, **kwargs)
    except GeneratorExit:
        raise
    except BaseException as exc:
        outcome.error = exc
        raise
    return outcome.result


class Inverted:
    """Iterate the events ``run(emit, *args, **kwargs)`` emits from a library's callbacks.

    ``for event in inverted`` iterates the underlying stackful Generator itself (C per
    event); ``next()`` / ``send(value)`` (what emit returns) / ``throw`` / ``close`` on
    the Inverted follow the generator protocol, guarded. ``.result`` is run's return
    value after the end, ``.done`` says whether it has finished. Usable as a context
    manager (closes on exit).
    """

    __slots__ = ("_gen", "_owner", "_outcome", "__weakref__")

    def __init__(self, run: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        if not callable(run):
            raise TypeError("Inverted() needs a callable run(emit, ...), not %s"
                            % type(run).__name__)
        gen_ref: list[weakref.ref[Generator]] = []

        @coroutine_fn
        def emit(event: Any = None) -> Any:
            gen = gen_ref[0]()
            if gen is None or current() is not gen:
                raise CoroutineError(
                    "emit() of an Inverted was called outside its own run (from %r): a "
                    "callback wired by one Inverted fired in another context" % (current(),))
            return _emit(event)

        self._outcome = _Outcome()
        self._gen = Generator(_body, self._outcome, run, emit, args, kwargs)
        gen_ref.append(weakref.ref(self._gen))
        self._owner: Any = None

    @property
    def done(self) -> bool:
        """Whether the run has finished (returned, raised or been closed)."""
        return self._gen.status == "dead"

    @property
    def result(self) -> Any:
        """What run returned, once it has."""
        outcome = self._outcome
        if outcome.result is not _UNSET:
            return outcome.result
        if outcome.error is not None:
            raise CoroutineError("the run raised %s: it has no result"
                                 % type(outcome.error).__name__) from outcome.error
        if self.done:
            raise CoroutineError("the Inverted was closed before its run returned: it "
                                 "has no result")
        raise CoroutineError("the run has not finished: iterate the Inverted to the end "
                             "before reading .result")

    def __iter__(self) -> Generator:
        # The loop gets the Generator itself: no Python-level call per event. Whoever
        # asks for it becomes the consumer, so the guard is here, once per loop.
        self._check(current())
        return self._gen

    def __next__(self) -> Any:
        return self._step(self._gen.send, None)

    def send(self, value: Any) -> Any:
        """Resume the run with value (what its emit() returns); the next event."""
        return self._step(self._gen.send, value)

    def throw(self, exc: type[BaseException] | BaseException) -> Any:
        """Raise exc at the emit the run waits in; the next event."""
        return self._step(self._gen.throw, exc)

    def _step(self, step: Callable[[Any], Any], arg: Any) -> Any:
        cur = current()
        owner = self._owner
        if owner is None or (None if owner is _MAIN else owner()) is not cur:
            self._check(cur)
        return step(arg)

    def _check(self, cur: Any) -> None:
        """Make cur the consumer, unless the run is mid-callback for a live other one."""
        gen = self._gen
        if cur is gen:
            raise CoroutineError("an Inverted was re-entered from its own run (a callback "
                                 "of its library iterated it): the library is mid-call")
        owner = self._owner
        who = None if owner is None or owner is _MAIN else owner()
        if (gen.gi_frame is not None and (owner is _MAIN or who is not None)
                and who is not cur and not (owner is _MAIN and cur is None)):
            raise CoroutineError(
                "this Inverted is mid-callback of its library, iterated by %s; another "
                "context (%r) may not use it: consume it from one coroutine, or close() it "
                "first" % ("the thread's main context" if owner is _MAIN else repr(who), cur))
        self._owner = _MAIN if cur is None else weakref.ref(cur)

    def close(self) -> None:
        """Stop the run: GeneratorExit at its emit, so the library unwinds and the run's
        finally blocks run."""
        if current() is self._gen:
            raise CoroutineError("an Inverted cannot close itself from its own run")
        self._gen.close()
        self._owner = None

    def __enter__(self) -> Inverted:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<stackful.io.Inverted %s>" % ("done" if self.done else self._gen.status)
