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

The run executes in the Generator, so it may not ``stackful.suspend()`` (a FeedFile read
suspends: read a Feed's file in the Feed's consumer itself, not inside an Inverted).
"""

from __future__ import annotations

import weakref
from typing import Any, Callable

from .. import CoroutineError, Generator, current, emit as _emit

__all__ = ["Inverted"]

_UNSET: Any = object()
_MAIN: Any = object()          # the thread's main context, as an owner


class Inverted:
    """Iterate the events ``run(emit, *args, **kwargs)`` emits from a library's callbacks.

    ``next()`` / ``send(value)`` (what emit returns) / ``throw`` / ``close`` follow the
    generator protocol; ``.result`` is run's return value after the end, ``.done`` says
    whether it has finished. Usable as a context manager (closes on exit).
    """

    __slots__ = ("_gen", "_owner", "_result", "_error", "__weakref__")

    def __init__(self, run: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        if not callable(run):
            raise TypeError("Inverted() needs a callable run(emit, ...), not %s"
                            % type(run).__name__)
        gen_ref: list[weakref.ref[Generator]] = []

        def emit(event: Any = None) -> Any:
            gen = gen_ref[0]()
            if gen is None or current() is not gen:
                raise CoroutineError(
                    "emit() of an Inverted was called outside its own run (from %r): a "
                    "callback wired by one Inverted fired in another context" % (current(),))
            return _emit(event)

        self._gen = Generator(run, emit, *args, **kwargs)
        gen_ref.append(weakref.ref(self._gen))
        self._owner: Any = None
        self._result: Any = _UNSET
        self._error: BaseException | None = None

    @property
    def done(self) -> bool:
        """Whether the run has finished (returned, raised or been closed)."""
        return self._gen.status == "dead"

    @property
    def result(self) -> Any:
        """What run returned, once it has."""
        if self._result is not _UNSET:
            return self._result
        if self._error is not None:
            raise CoroutineError("the run raised %s: it has no result"
                                 % type(self._error).__name__) from self._error
        if self.done:
            raise CoroutineError("the Inverted was closed before its run returned: it "
                                 "has no result")
        raise CoroutineError("the run has not finished: iterate the Inverted to the end "
                             "before reading .result")

    def __iter__(self) -> Inverted:
        return self

    def __next__(self) -> Any:
        return self._step(self._gen.send, None)

    def send(self, value: Any) -> Any:
        """Resume the run with value (what its emit() returns); the next event."""
        return self._step(self._gen.send, value)

    def throw(self, exc: type[BaseException] | BaseException) -> Any:
        """Raise exc at the emit the run waits in; the next event."""
        return self._step(self._gen.throw, exc)

    def _step(self, step: Callable[[Any], Any], arg: Any) -> Any:
        gen = self._gen
        cur = current()
        owner = self._owner
        if owner is None or (None if owner is _MAIN else owner()) is not cur:
            self._claim(cur)
        try:
            return step(arg)
        except StopIteration as stop:
            self._result = stop.value
            self._owner = None
            raise
        except BaseException as exc:
            if gen.status == "dead":
                self._error = exc
                self._owner = None
            raise

    def _claim(self, cur: Any) -> None:
        """Make cur the owner, unless the run is mid-callback for a live other one."""
        gen = self._gen
        if cur is gen:
            raise CoroutineError("an Inverted was re-entered from its own run (a callback "
                                 "of its library iterated it): the library is mid-call")
        owner = self._owner
        who = None if owner is None or owner is _MAIN else owner()
        if gen.gi_frame is not None and (owner is _MAIN or who is not None):
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
        return "<stackful.io.Inverted of %r, %s>" % (
            self._gen.function, "done" if self.done else self._gen.status)
