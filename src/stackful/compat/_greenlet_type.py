"""The greenlet type on stackful coroutines: greenlet's switching rules, made of transfers.

Design principles:
  - A greenlet other than a thread's main one is a stackful ``Coroutine`` created when
    it first runs, whose function is the greenlet's ``run`` itself (so its first frame's
    ``f_back`` is ``None``, as in greenlet). Its ``gr_frame`` is the coroutine's frame
    with this module's own switching frames skipped.
  - The main greenlet is whatever context is not a greenlet: the thread's main context,
    or the stackful coroutine that first switched into greenlets. Every greenlet is
    entered from there by ``resume``, and from greenlet to greenlet by
    ``lowlevel.transfer``, so the chain of waiting contexts never grows: a switch to the
    main greenlet is a ``suspend``. The main greenlet's loop also takes what a finishing
    greenlet returns (or raises) and hands it to its parent: greenlet's parent rules
    (dead parents skipped, unstarted ones started with the result, ``GreenletExit``
    turned into a value) live in one place, ``_resolve``.
  - Nothing on the switch path keeps the leaving greenlet alive: it is held by the
    thread record until the greenlet switched to runs, so that a greenlet whose last
    reference goes away while it is suspended is collected at once, and killed with
    ``GreenletExit`` (its ``finally`` runs) from the context that dropped it, as in
    greenlet. One collected in another thread waits for its own thread to kill it.
  - The context: a started greenlet always runs in a ``contextvars.Context`` this module
    knows (a fresh empty one when greenlet would have none), so that ``gr_context``
    reads back what greenlet shows (None for an untouched one) even after its death.
  - greenlet's messages and exception types, because code and tests match on them.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import types
from typing import Any, Callable, NoReturn

from stackful import Coroutine, CoroutineError, current, suspend
from stackful.lowlevel import current_context, set_current_context, transfer

from . import _greenlet_threads as _threads
from ._greenlet_threads import ThreadState, Tracer


class error(Exception):
    """A switch greenlet cannot make (into a greenlet of another thread)."""


class GreenletExit(BaseException):
    """Raised in a greenlet to kill it; a greenlet that lets it escape returns it."""


class _Shutdown:
    """Set by an atexit handler registered at import: as in greenlet, code that runs
    after it (late atexit handlers, finalizers of the last collection) gets no
    greenlet from getcurrent(), whose thread records may be gone."""

    started = False

    @classmethod
    def begin(cls) -> None:
        cls.started = True


_shutdown = _Shutdown
atexit.register(_Shutdown.begin)

# The switching functions below suspend only when called in a greenlet (a coroutine
# this module made); called from the main greenlet they resume one instead. So they are
# not coroutine functions, and the checker's SC101 is silenced on each.
_UNSET: Any = object()      # run not given
_START: Any = object()      # the value of a switch that starts a coroutine
_local = _threads.local()


class _Throw:
    """What a greenlet sends the main greenlet to raise an exception there."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _state() -> ThreadState:  # stackful: ignore[SC101]
    try:
        state: ThreadState = _local.state
    except AttributeError:
        state = _threads.new_state()
    if state.pending:
        _kill_pending(state)
    return state


def getcurrent() -> greenlet:  # stackful: ignore[SC101]
    """The greenlet running in this thread (its main greenlet outside any other)."""
    if _shutdown.started:
        raise RuntimeError("greenlet.getcurrent() called while the interpreter shuts down: "
                           "greenlets are being torn down")
    try:
        state: ThreadState = _local.state
    except AttributeError:
        state = _threads.new_state()
    if state.pending:
        _kill_pending(state)
    current: greenlet = state.current
    return current


def settrace(callback: Tracer | None) -> Tracer | None:  # stackful: ignore[SC101]
    """Set this thread's switch tracer; returns the previous one.

    The tracer is called as ``callback(event, (origin, target))``, event ``"switch"`` or
    ``"throw"``, in the greenlet switched to, as it resumes (before an unstarted one
    starts: in the origin). If it raises, tracing is turned off and the exception is
    raised there.
    """
    state = _state()
    old = state.tracer
    state.tracer = callback
    return old


def gettrace() -> Tracer | None:  # stackful: ignore[SC101]
    """This thread's switch tracer, or None."""
    return _state().tracer


class _Fields:
    """A greenlet's own state, in slots (never in its ``__dict__``, which is the user's)."""

    __slots__ = ("__dict__", "__weakref__", "_g_run", "_g_parent", "_g_co", "_g_state",
                 "_g_dead", "_g_context", "_g_fresh", "_g_main")


_instance_dict: Any = _Fields.__dict__["__dict__"]


def _get_dict(g: Any) -> dict[str, Any]:
    d: dict[str, Any] = _instance_dict.__get__(g, type(g))
    return d


def _set_dict(g: Any, value: dict[str, Any]) -> None:
    _instance_dict.__set__(g, value)


def _delete_dict(g: Any) -> NoReturn:
    raise TypeError("a greenlet's __dict__ may not be deleted (assign a dict instead)")


class greenlet(_Fields):
    """greenlet(run=None, parent=None): a function that runs as a coroutine when first
    switched to; ``switch`` and ``throw`` move between greenlets of a thread."""

    __slots__ = ()
    # As greenlet's: replaceable by a dict, never deleted.
    __dict__ = property(_get_dict, _set_dict, _delete_dict)

    _g_run: Any
    _g_parent: greenlet | None
    _g_co: Coroutine | None
    _g_state: ThreadState | None
    _g_dead: bool
    _g_context: contextvars.Context | None
    _g_fresh: contextvars.Context | None
    _g_main: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> greenlet:  # stackful: ignore[SC101]
        return _blank(cls, _state().current, None, False)

    def __init__(self, run: Callable[..., Any] | None = _UNSET,
                 parent: greenlet | None = None) -> None:
        if run is not _UNSET:
            _set_run(self, run)
        if parent is not None:
            _set_parent(self, parent)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # greenlet keeps its state in C fields that no __getattribute__ can intercept;
        # a subclass's own __getattribute__ is kept off this module's fields so.
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__getattribute__")
        if own is not None:
            def __getattribute__(self: Any, name: str, _own: Any = own) -> Any:
                if name.startswith("_g_"):
                    return object.__getattribute__(self, name)
                return _own(self, name)
            setattr(cls, "__getattribute__", __getattribute__)

    def switch(self, *args: Any, **kwargs: Any) -> Any:  # stackful: ignore[SC101]
        """Switch to this greenlet. An unstarted one runs ``run(*args, **kwargs)``; a
        suspended one's switch returns the value: the single argument, the tuple of
        them, the kwargs dict, or ``(args, kwargs)``. A dead one passes it to its parent."""
        return _switch(self, args, kwargs, None)

    def throw(self, typ: Any = GreenletExit, val: Any = None,  # stackful: ignore[SC101]
              tb: types.TracebackType | None = None) -> Any:
        """Raise ``typ(val)`` (or the instance ``typ``) in this greenlet where it waits;
        an unstarted one dies of it at once, and it goes on to its parent."""
        return _switch(self, (), None, _make_exception(typ, val, tb))

    @property
    def run(self) -> Any:
        """The callable an unstarted greenlet will run (AttributeError once started)."""
        if self._g_main:
            raise AttributeError("Main greenlets do not have a run attribute.")
        run = self._g_run
        if run is _UNSET:
            raise AttributeError("run")
        return run

    @run.setter
    def run(self, value: Any) -> None:
        _set_run(self, value)

    @run.deleter
    def run(self) -> None:
        _set_run(self, _UNSET)

    @property
    def parent(self) -> greenlet | None:
        """Where this greenlet's result goes when it ends (None for a main greenlet)."""
        return self._g_parent

    @parent.setter
    def parent(self, value: greenlet) -> None:
        _set_parent(self, value)

    @parent.deleter
    def parent(self) -> None:
        raise AttributeError("can't delete attribute")

    @property
    def dead(self) -> bool:
        """True once the greenlet has finished (a main one: once its thread ended)."""
        return self._g_dead

    def __bool__(self) -> bool:
        if self._g_main:
            return not self._g_dead
        return self._g_co is not None

    @property
    def gr_frame(self) -> types.FrameType | None:
        """The frame a suspended greenlet waits in; None if unstarted, running or dead."""
        co = self._g_co
        if co is None:
            return None
        state = self._g_state
        if state is not None and state.current is self:
            return None
        frame = co.frame
        while frame is not None and frame.f_code in _OWN_CODES:
            frame = frame.f_back
        return frame

    @property
    def gr_context(self) -> contextvars.Context | None:
        """The ``contextvars.Context`` the greenlet runs in (None: none yet)."""
        if self._g_main:
            state = self._g_state
            assert state is not None
            if _is_current(self):
                return current_context()
            if state.current is self and not state.exited:
                raise ValueError("cannot read gr_context of a greenlet running in a "
                                 "different thread")
            return state.main_context
        co = self._g_co
        if co is None:
            context = self._g_context
        else:
            _check_context_access(self, "read")
            context = co.context
        if context is None or (context is self._g_fresh and not context):
            return None
        return context

    @gr_context.setter
    def gr_context(self, value: contextvars.Context | None) -> None:
        if value is not None and type(value) is not contextvars.Context:
            raise TypeError("greenlet context must be a contextvars.Context or None")
        if self._g_main:
            state = self._g_state
            assert state is not None
            if _is_current(self):
                set_current_context(value)
                return
            if state.current is self and not state.exited:
                raise ValueError("cannot set gr_context of a greenlet running in a "
                                 "different thread")
            state.main_context = value
            state.main_context_changed = True
            return
        co = self._g_co
        if co is None:
            self._g_context = value
            self._g_fresh = None
            return
        _check_context_access(self, "set")
        if value is None:
            value = self._g_fresh = contextvars.Context()
        co.context = value
        self._g_context = value

    @gr_context.deleter
    def gr_context(self) -> None:
        raise AttributeError("can't delete context attribute")

    @property
    def _stack_saved(self) -> int:
        co = self._g_co
        return co.stats.saved_bytes if co is not None else 0

    def __repr__(self) -> str:
        state = self._g_state if self._g_state is not None else _root_state(self)
        exited = state is not None and state.exited
        head = "<%s object at %#x (otid=%#x)" % (type(self).__name__, id(self), id(state))
        if self._g_dead:
            return head + (" (thread exited) dead>" if exited else " dead>")
        started = self._g_main or self._g_co is not None
        if exited:
            where = " (thread exited)"
        elif _is_current(self):
            where = " current"
        else:
            where = " suspended" if started else ""
        return head + "%s%s%s%s>" % (where, " active" if self else "",
                                     " started" if started else " pending",
                                     " main" if self._g_main else "")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("cannot copy or pickle %s objects: a greenlet is a running "
                        "function's state" % type(self).__name__)

    def __del__(self) -> None:  # stackful: ignore[SC101]
        if self._g_co is None:
            return
        state = self._g_state
        assert state is not None
        if state.exited:
            return
        try:
            mine = _local.state
        except AttributeError:
            mine = None
        if mine is not state or _inside_a_resumed_coroutine(state):
            # Killed at its thread's next greenlet call that can switch.
            state.pending.append(self)
            return
        try:
            _kill(self)
        except CoroutineError:
            # Refused (a collection runs in a context it cannot leave): later.
            if self._g_co is None:
                raise
            state.pending.append(self)

    getcurrent = staticmethod(getcurrent)
    settrace = staticmethod(settrace)
    gettrace = staticmethod(gettrace)
    GreenletExit = GreenletExit
    error = error


def _is_current(g: greenlet) -> bool:
    try:
        state: ThreadState = _local.state
    except AttributeError:
        return False
    return state.current is g


def _check_context_access(g: greenlet, verb: str) -> None:
    state = g._g_state
    if state is not None and state.current is g and not state.exited and not _is_current(g):
        raise ValueError("cannot %s gr_context of a greenlet running in a different thread"
                         % verb)


def _set_run(g: greenlet, run: Any) -> None:
    if g._g_main:
        raise AttributeError("Main greenlets do not have a run attribute.")
    if g._g_co is not None or g._g_dead:
        raise AttributeError("run cannot be set after the start of the greenlet")
    g._g_run = run


def _set_parent(g: greenlet, parent: Any) -> None:
    if not isinstance(parent, greenlet):
        raise TypeError("GreenletChecker: Expected any type of greenlet, not "
                        + type(parent).__name__)
    if g._g_main:
        raise AttributeError("cannot set the parent of a main greenlet")
    p: greenlet | None = parent
    root = parent
    while p is not None:
        if p is g:
            raise ValueError("cyclic parent chain")
        root = p
        p = p._g_parent
    if (g._g_co is not None or g._g_dead) and g._g_state is not None \
            and root._g_state is not g._g_state:
        raise ValueError("parent cannot be on a different thread")
    g._g_parent = parent


def _root_state(g: greenlet) -> ThreadState | None:
    """The thread an unstarted greenlet would run in: its first started ancestor's."""
    p: greenlet | None = g
    while p is not None:
        if p._g_state is not None:
            return p._g_state
        p = p._g_parent
    return None


def _refuse(other: ThreadState | None) -> NoReturn:
    if other is None or other.exited:
        raise error("cannot switch to a different thread (which happens to have exited)")
    raise error("Cannot switch to a different thread\n\tCurrent:  %r\n\tExpected: %r"
                % (_local.state.main, other.main))


def _make_exception(typ: Any, val: Any, tb: Any) -> BaseException:
    if tb is not None and not isinstance(tb, types.TracebackType):
        raise TypeError("throw() third argument must be a traceback object")
    if isinstance(typ, BaseException):
        if val is not None:
            raise TypeError("instance exception may not have a separate value")
        exc = typ
    elif isinstance(typ, type) and issubclass(typ, BaseException):
        if isinstance(val, typ):
            exc = val
        elif val is None:
            exc = typ()
        elif isinstance(val, tuple):
            exc = typ(*val)
        else:
            exc = typ(val)
    else:
        raise TypeError("exceptions must be classes, or instances, not %s"
                        % type(typ).__name__)
    if tb is not None:
        exc = exc.with_traceback(tb)
    return exc


def _pack(args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> Any:
    if kwargs:
        return (args, kwargs) if args else kwargs
    if len(args) == 1:
        return args[0]
    return args


def _resolve(state: ThreadState, target: greenlet, args: tuple[Any, ...],
             kwargs: dict[str, Any] | None, exc: BaseException | None,
             errors_to_parent: bool
             ) -> tuple[greenlet, Coroutine | None, Any, BaseException | None]:
    """The greenlet a switch to ``target`` enters, its coroutine (None: the main
    greenlet), and the value or exception it receives there; starts an unstarted one.

    A dead greenlet passes what it is sent to its parent, as an unstarted one does with
    an exception (which kills it first); ``GreenletExit`` sent to a greenlet that cannot
    take it becomes the value its parent receives. With ``errors_to_parent`` (a
    greenlet's end), an error looking up an unstarted parent's ``run`` goes on to that
    parent's parent instead of to the caller.
    """
    while True:
        if target._g_dead:
            if target._g_main:
                _refuse(None)
            if exc is not None and isinstance(exc, GreenletExit):
                args, kwargs, exc = (exc,), None, None
            parent = target._g_parent
            assert parent is not None
            target = parent
            continue
        co = target._g_co
        if co is not None or target._g_main:
            if target._g_state is not state:
                _refuse(target._g_state)
            if exc is not None:
                return target, co, None, exc
            return target, co, _pack(args, kwargs), None
        try:
            if type(target) is greenlet:
                run = target._g_run
                if run is _UNSET:
                    raise AttributeError("run")
            else:
                # A subclass's run, or its __getattribute__, may run any code, switches too.
                run = getattr(target, "run")
        except BaseException as e:
            if not errors_to_parent:
                raise
            args, kwargs, exc = (), None, e
            parent = target._g_parent
            assert parent is not None
            target = parent
            continue
        if target._g_co is not None or target._g_dead:
            continue
        if _root_state(target) is not state:
            _refuse(_root_state(target))
        if exc is not None:
            target._g_dead = True
            target._g_run = _UNSET
            if isinstance(exc, GreenletExit):
                args, kwargs, exc = (exc,), None, None
            parent = target._g_parent
            assert parent is not None
            target = parent
            continue
        context = target._g_context
        if context is None:
            context = target._g_fresh = contextvars.Context()
        target._g_context = context
        if kwargs:
            # stack= and context= are the Coroutine's own keywords, not run's.
            co = Coroutine(functools.partial(run, *args, **kwargs), context=context)
        else:
            co = Coroutine(run, *args, context=context)
        target._g_co = co
        target._g_state = state
        target._g_run = _UNSET
        return target, co, _START, None


def _trace(state: ThreadState, event: str, origin: greenlet, target: greenlet) -> None:
    tracer = state.tracer
    assert tracer is not None
    try:
        tracer(event, (origin, target))
    except BaseException:
        state.tracer = None
        raise


def _inside_a_resumed_coroutine(state: ThreadState) -> bool:
    """True inside a plain stackful Coroutine that the current (non-main) greenlet
    resumed: a switch from there would leave that Coroutine's resume unfinished."""
    origin: greenlet = state.current
    return not origin._g_main and current() is not origin._g_co


def _switch(target: greenlet, args: tuple[Any, ...], kwargs: dict[str, Any] | None,  # stackful: ignore[SC101]
            exc: BaseException | None) -> Any:
    try:
        state: ThreadState = _local.state
    except AttributeError:
        state = _threads.new_state()
    if _inside_a_resumed_coroutine(state):
        raise error(
            "cannot switch greenlets from inside a stackful Coroutine that a greenlet "
            "resumed: switch from the greenlet itself, or let the Coroutine return first")
    if state.pending:
        _kill_pending(state)
    target, co, value, exc = _resolve(state, target, args, kwargs, exc, False)
    origin: greenlet = state.current
    if target is origin:
        if exc is not None:
            raise exc
        return value
    if value is _START and state.tracer is not None:
        # An unstarted greenlet runs none of this module's code before its run: its
        # switch is traced here, before it, in the origin.
        _trace(state, "switch", origin, target)
    state.current = target
    # The leaving greenlet is held by the thread record, not by this frame, until the
    # context switched to has run: so its last reference can go while it waits.
    state.leaving = origin
    if origin._g_main:
        return _enter_from_main(state, origin, target, co, value, exc)
    del origin
    try:
        if co is None:
            result = suspend(_Throw(exc) if exc is not None else value)
        elif exc is not None:
            result = transfer(co, throw=exc)
        elif value is _START:
            result = transfer(co)
        else:
            result = transfer(co, value)
    except CoroutineError:
        if state.current is target:
            # Refused before leaving: this context still runs.
            state.current = state.leaving
            state.leaving = None
            raise
        _arrived(state, "throw")
        raise
    except BaseException:
        _arrived(state, "throw")
        raise
    _arrived(state, "switch")
    return result


def _arrived(state: ThreadState, event: str) -> None:
    """Back in a greenlet: let the one left go, and trace the switch here, as greenlet
    does (an exception of the tracer is raised in the greenlet switched to)."""
    leaving = state.leaving
    state.leaving = None
    if state.tracer is not None and leaving is not None:
        _trace(state, event, leaving, state.current)


def _enter_from_main(state: ThreadState, main: greenlet, target: greenlet,
                     co: Coroutine | None, value: Any, exc: BaseException | None) -> Any:
    """The main greenlet's side: run greenlets until one switches back to main, and
    pass each greenlet that ends on to its parent."""
    state.main_context = current_context()
    while True:
        assert co is not None
        try:
            if exc is not None:
                result = co.throw(exc)
            elif value is _START:
                result = co.resume()
            else:
                result = co.resume(value)
        except BaseException as e:
            ended: greenlet = state.current
            ended_co = ended._g_co
            if ended is main or (ended_co is not None and ended_co.status != "dead"):
                # Refused before entering: main never left.
                state.current = main
                _back_in_main(state)
                raise
            outcome: Any = None
            failure: BaseException | None = e
        else:
            ended = state.current
            if ended is main:
                thrown = type(result) is _Throw
                _back_in_main(state, "throw" if thrown else "switch")
                if thrown:
                    box = [result.exc]
                    del result
                    _raise(box)
                return result
            outcome, failure = result, None
            del result
        ended._g_dead = True
        ended._g_co = None
        state.current = main
        state.leaving = None
        if failure is not None and isinstance(failure, GreenletExit):
            # Returned as a value: its traceback would keep the dead greenlet's frames
            # (and what they reference, other greenlets too) in a cycle with ours.
            failure.__traceback__ = None
            outcome, failure = failure, None
        parent = ended._g_parent
        assert parent is not None
        target, co, value, exc = _resolve(state, parent, (outcome,), None, failure, True)
        del outcome, failure
        if target is main or value is _START:
            if state.tracer is not None:
                _trace(state, "throw" if exc is not None else "switch", ended, target)
        else:
            state.leaving = ended
        del ended
        if target is main:
            _back_in_main(state)
            if exc is not None:
                box = [exc]
                del exc
                _raise(box)
            return value
        state.current = target


def _raise(box: list[BaseException]) -> NoReturn:
    """Raise the exception in ``box`` (emptied), so that no frame of this module keeps a
    reference to it: its traceback holds those frames, which would make a cycle."""
    exc = box.pop()
    try:
        raise exc
    finally:
        del exc


def _back_in_main(state: ThreadState, event: str | None = None) -> None:
    if state.main_context_changed:
        state.main_context_changed = False
        set_current_context(state.main_context)
    state.main_context = None
    if event is None:
        state.leaving = None
    else:
        _arrived(state, event)


def _kill(g: greenlet) -> Any:  # stackful: ignore[SC101]
    """Raise GreenletExit in ``g`` with the caller as its parent for the while."""
    state = _local.state
    old_parent = g._g_parent
    g._g_parent = state.current
    try:
        return _switch(g, (), None, GreenletExit())
    finally:
        g._g_parent = old_parent


class _ReportLater:
    """Reports an exception the way a failing ``__del__`` is reported (unraisable)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __del__(self) -> None:
        raise self.exc


def _kill_pending(state: ThreadState) -> None:  # stackful: ignore[SC101]
    if _inside_a_resumed_coroutine(state):
        return
    while state.pending:
        g = state.pending.pop()
        if g._g_co is None:
            continue
        try:
            _kill(g)
        except CoroutineError:
            state.pending.append(g)
            return
        except BaseException as e:
            _ReportLater(e)
        del g


def _blank(cls: type[greenlet], parent: greenlet | None, state: ThreadState | None,
           is_main: bool) -> greenlet:
    """A greenlet with every slot set: unstarted, or a thread's main greenlet."""
    g = object.__new__(cls)
    g._g_run = _UNSET
    g._g_parent = parent
    g._g_co = None
    g._g_state = state
    g._g_dead = False
    g._g_context = None
    g._g_fresh = None
    g._g_main = is_main
    return g


def _make_main(state: ThreadState) -> greenlet:
    return _blank(greenlet, None, state, True)


def _mark_main_dead(state: ThreadState) -> None:
    if state.main is not None:
        state.main._g_dead = True
    state.current = state.main
    state.leaving = None


_threads.make_main = _make_main
_threads.mark_main_dead = _mark_main_dead

_OWN_CODES = frozenset(f.__code__ for f in (
    _switch, _arrived, _trace, _raise, _kill, greenlet.switch, greenlet.throw,
    greenlet.__del__, _kill_pending,
    _state, getcurrent, greenlet.__new__))
