"""The driver of a coroutine: its suspensions as an iterator, its result kept apart.

Principles: a Coroutine answers ``resume`` with either a suspended value or, at the end,
its function's result, through the same channel; every driver loop had to look at
``co.status`` to tell them apart. ``Driver`` does that once: iterating it gives the
suspended values, ``send`` answers them, and the function's result is ``.result``
after the end (a ``for`` loop does not lose it, as it loses a generator's
``StopIteration.value``).

It drives code that calls ``stackful.suspend()`` -- any Coroutine, made here or
elsewhere, whose suspensions may come from deep inside libraries. A function written to
produce items should be a ``stackful.generator`` (``emit()``, the C-level generator
protocol, the cheaper path); a Driver is not one more generator type, it is the loop
around a Coroutine that users kept writing by hand.

    d = Driver(render, template)
    print(d.run(answers.__getitem__))      # answer each suspension; returns the result
"""

from __future__ import annotations

from typing import Any, Callable

from .. import Coroutine, CoroutineError, Generator

__all__ = ["Driver"]

_UNSET: Any = object()


class Driver:
    """Drive a coroutine: ``Driver(fn, *args, **kwargs)`` runs ``fn`` in a new Coroutine,
    ``Driver(coroutine)`` drives an existing one.

    ``next(d)`` / ``d.send(value)`` resume it and return the value it suspended with;
    when its function returns, they raise ``StopIteration`` and the return value is
    ``d.result``. An exception escaping the function propagates from them (and
    ``d.result`` then raises ``CoroutineError`` from it). ``d.close()`` closes the
    coroutine (``CoroutineExit`` at its suspension point, so its ``finally`` runs).
    """

    __slots__ = ("_co", "_result", "_error", "_started", "__weakref__")

    def __init__(self, target: Callable[..., Any] | Coroutine, /, *args: Any,
                 **kwargs: Any) -> None:
        if isinstance(target, Generator):
            raise TypeError("Driver() drives code that calls stackful.suspend(); a "
                            "stackful.Generator is already an iterator: iterate it "
                            "directly (its return value is StopIteration.value)")
        if isinstance(target, Coroutine):
            if args or kwargs:
                raise TypeError("Driver(coroutine) takes no arguments: the coroutine "
                                "already has its own")
            self._co = target
            self._started = target.status != "suspended" or target.frame is not None
        elif callable(target):
            self._co = Coroutine(target, *args, **kwargs)
            self._started = False
        else:
            raise TypeError("Driver() needs a callable or a stackful.Coroutine, not %s"
                            % type(target).__name__)
        self._result: Any = _UNSET
        self._error: BaseException | None = None

    @property
    def coroutine(self) -> Coroutine:
        """The coroutine driven."""
        return self._co

    @property
    def done(self) -> bool:
        """Whether the coroutine has finished (returned, raised or been closed)."""
        return self._co.status == "dead"

    @property
    def result(self) -> Any:
        """The function's return value, once it has returned."""
        if self._result is not _UNSET:
            return self._result
        if self._error is not None:
            raise CoroutineError("the coroutine raised %s: it has no result"
                                 % type(self._error).__name__) from self._error
        if self.done:
            raise CoroutineError("the coroutine was closed before it returned: it has "
                                 "no result")
        raise CoroutineError("the coroutine has not finished: drive it to the end "
                             "(iterate the Driver, or call run()) before reading .result")

    def __iter__(self) -> Driver:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        """Resume the coroutine with value (what its suspend() returns); return the value
        it suspends with next, or raise StopIteration when it returns."""
        if not self._started and value is not None:
            raise TypeError("the first send() to a Driver must be None (nothing has "
                            "suspended to receive %r yet); use next(driver)" % (value,))
        return self._outcome(self._co.resume, value)

    def throw(self, exc: type[BaseException] | BaseException) -> Any:
        """Raise exc at the suspension point; returns like send()."""
        return self._outcome(self._co.throw, exc)

    def _outcome(self, step: Callable[[Any], Any], arg: Any) -> Any:
        if self.done:
            raise StopIteration(self._result if self._result is not _UNSET else None)
        self._started = True
        try:
            value = step(arg)
        except StopIteration as exc:
            # As PEP 479 does for generators: a StopIteration escaping the function
            # would read as the Driver's own end, its result lost.
            self._error = RuntimeError("the coroutine's function raised StopIteration")
            raise self._error from exc
        except BaseException as exc:
            if self.done:
                self._error = exc
            raise
        if self._co.status == "dead":
            self._result = value
            raise StopIteration(value)
        return value

    def run(self, respond: Callable[[Any], Any]) -> Any:
        """Answer every suspension with respond(value) until the function returns;
        return its result."""
        try:
            value = next(self)
            while True:
                value = self.send(respond(value))
        except StopIteration:
            return self.result

    def close(self) -> None:
        """Close the coroutine if it has not finished (its finally blocks run)."""
        self._co.close()

    def __enter__(self) -> Driver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return "<stackful.io.Driver of %r>" % (self._co,)
