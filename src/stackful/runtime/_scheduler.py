"""The scheduler: one per thread, a ready queue, a timer heap and an event engine.

Design principles:

* The run loop makes passes.  A pass runs the tasks that were ready when it began
  (tasks made ready during the pass wait for the next one), then polls the engine
  (without blocking if anything is ready; not at all if something is ready and no
  task waits for I/O), fires the timers that are due and runs the calls other threads
  posted.  So I/O is polled at least once per pass over the ready queue: a task that
  keeps yielding cannot starve the sockets.
* The loop resumes a task's coroutine and the task suspends back to it; what a task
  gets when it is resumed (a value, or an exception to raise, such as ``Cancelled``)
  is stored on the task, so a switch allocates nothing.
* Timers are a heap of ``(deadline, sequence, target)``.  A timer is dropped by
  forgetting its sequence number on the target (lazy deletion), and the heap is
  rebuilt when dropped entries outnumber live ones.
* The engine is the one replaceable part (``_engine.Engine``); the scheduler tells it
  which events tasks wait for on each descriptor and asks it which are ready.
* ``run()`` returns when the main task is done; the tasks still running then are
  cancelled and waited for.  Ctrl-C (or an exception like ``SystemExit`` escaping a
  task) cancels every task; when all are done it is raised out of ``run()``.
* Another event loop can drive the same loop (``stackful.aio.run`` on asyncio's): a
  *hosted* scheduler never blocks in the engine; where it would poll, its loop returns
  how long it may wait, and its driver waits on its own loop and calls back
  (``start``, ``run_passes``, ``after_wait``, ``stop``, ``end``).  Same passes, same
  code: the one test on the blocking path is a local flag per pass.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import threading
from typing import TYPE_CHECKING, Any, Callable

from .. import CoroutineError
from .._annotations import blocking_fn
from . import _clock, _signals
from ._cancel import _ScopeNode, refresh
from ._engine import HANGUP, READABLE, WRITABLE, Engine
from ._task import DONE, RUNNING, WAITING, READY, Task

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor
    from ._taskgroup import TaskGroup

__all__ = ["OVER", "Scheduler", "current_scheduler", "run", "set_switch_hook"]

#: What ``run_passes`` returns when the run is over.
OVER = -1.0

SwitchHook = Callable[["Task | None", "Task | None"], object]


class _ThreadState(threading.local):
    scheduler: Scheduler | None = None
    switch_hook: SwitchHook | None = None


_thread = _ThreadState()
logger = logging.getLogger("stackful")


def current_scheduler() -> Scheduler | None:
    """The scheduler running in this thread, if any."""
    return _thread.scheduler


def set_switch_hook(hook: SwitchHook | None) -> SwitchHook | None:
    """Call ``hook(origin, target)`` at every switch between the scheduler and a task of
    this thread: ``(None, task)`` when a task is resumed, ``(task, None)`` when it
    suspends or ends (for profilers and tracers, like greenlet's ``settrace``).
    ``None`` removes it.  Returns the previous hook."""
    previous = _thread.switch_hook
    _thread.switch_hook = hook
    return previous


class _IOWaits:
    """The tasks waiting for one direction (read or write) of descriptors."""

    __slots__ = ("_scheduler", "verb", "waiting")

    def __init__(self, scheduler: Scheduler, verb: str) -> None:
        self._scheduler = scheduler
        self.verb = verb
        self.waiting: dict[int, Task] = {}

    def _abort_wait(self, task: Task, fd: int) -> None:
        if self.waiting.get(fd) is task:
            del self.waiting[fd]
            if self._scheduler._level_triggered:
                self._scheduler._interest_changed(fd)

    def _describe_wait(self, fd: int) -> str:
        return "%s on fd %d" % (self.verb, fd)


class Scheduler:
    """Runs tasks in the thread that calls ``run``; see the module's docstring."""

    def __init__(self, engine: Engine, *, hosted: bool = False) -> None:
        self._engine = engine
        self._hosted = hosted
        self._main_done = False
        self._level_triggered = engine.level_triggered
        self._ready: collections.deque[Task] = collections.deque()
        self._timers: list[tuple[float, int, Any]] = []
        self._timer_counter = itertools.count(1)
        self._dropped_timers = 0
        self._tasks: dict[Task, None] = {}
        self._readers = _IOWaits(self, "readable")
        self._writers = _IOWaits(self, "writable")
        self._system_fds: dict[int, Callable[[], None]] = {}
        self._posted: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            collections.deque())
        # Re-entrant: a signal handler may call Portal.call while this thread posts.
        self._post_lock = threading.RLock()
        self._accepting_posts = True
        self._current: Task | None = None
        self._main: Task | None = None
        self._ki_pending = False
        self._stopping: BaseException | None = None
        self._executor: ThreadPoolExecutor | None = None
        #: Readiness for reading reported while no task waited (any descriptor): a socket
        #: that saw its receive buffer drained may skip its next try only while this has
        #: not changed (stackful.socket).
        self.unclaimed_read_events = 0
        #: Descriptors whose peer ended its stream (or that have an error pending): a
        #: read on them must always be tried (stackful.socket).
        self.hangups: set[int] = set()

    # ------------------------------------------------------------------ tasks

    def spawn(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
              parent: _ScopeNode | None = None, group: TaskGroup | None = None) -> Task:
        if not callable(fn):
            raise TypeError("a task runs a callable, got %s object %r" % (type(fn).__name__, fn))
        task = Task(self, fn, args, kwargs, parent, group)
        self._tasks[task] = None
        self._ready.append(task)
        if self._stopping is not None:
            task._cancel()
        elif parent is not None:
            refresh(task)
        return task

    def _task_done(self, task: Task) -> None:
        del self._tasks[task]

    def _reschedule(self, task: Task, value: Any, exc: BaseException | None = None) -> None:
        task._state = READY
        task._wait_obj = None
        task._wait_key = None
        if task._timer_seq:
            task._timer_seq = 0
            self._timer_dropped()
        task._send = value
        task._throw = exc
        self._ready.append(task)

    def _deliver_cancel(self, task: Task) -> None:
        """A cancellation became pending for ``task``: if it waits, stop the wait."""
        if task._state == WAITING:
            task._wait_obj._abort_wait(task, task._wait_key)
            self._reschedule(task, None, task._make_cancelled())

    def _stop_with(self, exc: BaseException) -> None:
        """Cancel every task; ``run()`` raises ``exc`` when they are all done."""
        if self._stopping is None:
            self._stopping = exc
            for task in list(self._tasks):
                task._cancel()

    # ------------------------------------------------------------------ timers

    def _add_timer(self, deadline: float, target: Any) -> None:
        seq = next(self._timer_counter)
        target._timer_seq = seq
        heapq.heappush(self._timers, (deadline, seq, target))

    def _timer_dropped(self) -> None:
        self._dropped_timers += 1
        if self._dropped_timers > 1024 and self._dropped_timers * 2 > len(self._timers):
            self._timers = [t for t in self._timers if t[2]._timer_seq == t[1]]
            heapq.heapify(self._timers)
            self._dropped_timers = 0

    def _fire_timers(self) -> None:
        timers = self._timers
        now = _clock.clock()
        while timers and timers[0][0] <= now:
            _, seq, target = heapq.heappop(timers)
            if target._timer_seq == seq:
                target._timer_fired()
            elif self._dropped_timers:
                self._dropped_timers -= 1

    # ------------------------------------------------------------------ I/O

    def _interest_changed(self, fd: int) -> None:
        events = ((READABLE if fd in self._readers.waiting else 0)
                  | (WRITABLE if fd in self._writers.waiting else 0))
        self._engine.wait_for(fd, events)

    def forget_fd(self, fd: int) -> None:
        """``fd`` is closing: tasks waiting on it get ``OSError(EBADF)``."""
        import errno
        import os

        for waits in (self._readers, self._writers):
            task = waits.waiting.pop(fd, None)
            if task is not None:
                self._reschedule(task, None, OSError(
                    errno.EBADF, "%s (fd %d was closed while task %r waited on it)"
                    % (os.strerror(errno.EBADF), fd, task.name)))
        self.hangups.discard(fd)
        self._engine.forget(fd)

    def _dispatch(self, events: list[tuple[int, int]]) -> None:
        readers = self._readers.waiting
        writers = self._writers.waiting
        level_triggered = self._level_triggered
        for fd, mask in events:
            woke = False
            if mask & HANGUP:
                self.hangups.add(fd)
            if mask & READABLE:
                task = readers.pop(fd, None)
                if task is not None:
                    self._reschedule(task, None)
                    woke = True
                elif fd in self._system_fds:
                    self._system_fds[fd]()
                else:
                    self.unclaimed_read_events += 1
            if mask & WRITABLE:
                task = writers.pop(fd, None)
                if task is not None:
                    self._reschedule(task, None)
                    woke = True
            if woke and level_triggered:
                self._interest_changed(fd)

    # ------------------------------------------------------------------ other threads

    def post(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> bool:
        """Run ``fn(*args)`` soon in the scheduler's thread (thread-safe). False if the
        scheduler has stopped."""
        with self._post_lock:
            if not self._accepting_posts:
                return False
            self._posted.append((fn, args))
        self._engine.wake()
        return True

    def _run_posted(self) -> None:
        posted = self._posted
        while posted:
            fn, args = posted.popleft()
            try:
                fn(*args)
            except BaseException as exc:          # a posted call has nobody to raise to
                logger.error("Exception in a call posted to the stackful scheduler (%r)", fn,
                             exc_info=exc)

    def executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            import concurrent.futures
            import os

            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=min(32, (os.cpu_count() or 1) + 4),
                thread_name_prefix="stackful.to_thread")
        return self._executor

    # ------------------------------------------------------------------ the loop

    def _suspended_outside_runtime(self, task: Task) -> None:
        task._state = READY
        task._throw = CoroutineError(
            "task %r suspended its coroutine itself (stackful.suspend() or transfer()): "
            "a task suspends only in the runtime's calls; use stackful.sleep(0) to let "
            "other tasks run" % task.name)
        self._ready.append(task)

    def _loop(self, main: Task) -> float | None:
        """Make passes until the main task and then every other task are done (returns
        OVER).  A hosted scheduler returns instead where it would poll the engine: how
        long its driver may wait for I/O (0.0: not at all, None: until an event or a
        ``wake()``); the driver calls ``after_wait`` and then this again."""
        ready = self._ready
        popleft = ready.popleft
        timers = self._timers
        readers = self._readers.waiting
        writers = self._writers.waiting
        posted = self._posted
        poll = self._engine.poll
        clock = _clock.clock
        heappop = heapq.heappop
        hosted = self._hosted
        while True:
            # Run the tasks ready now; the ones they make ready wait for the next pass.
            hook = _thread.switch_hook
            for _ in range(len(ready)):
                task = popleft()
                self._current = task
                task._state = RUNNING
                if hook is not None:
                    hook(None, task)
                coro = task._coro
                assert coro is not None
                exc = task._throw
                if exc is None:
                    value = task._send
                    task._send = None
                    coro.resume(value)
                else:
                    task._throw = None
                    coro.throw(exc)
                if task._state is RUNNING:
                    self._suspended_outside_runtime(task)
                if hook is not None:
                    hook(task, None)
            self._current = None
            if self._ki_pending:
                self._ki_pending = False
                self._stop_with(KeyboardInterrupt())
            if not self._main_done and main._state is DONE:
                self._main_done = True
                for task in list(self._tasks):
                    task._cancel()
            if self._main_done and not self._tasks:
                return OVER
            while timers and timers[0][2]._timer_seq != timers[0][1]:
                heappop(timers)                    # dropped: not a reason to wake up
                if self._dropped_timers:
                    self._dropped_timers -= 1
            if hosted:
                if ready or posted:
                    return 0.0
                return max(0.0, timers[0][0] - clock()) if timers else None
            if ready or posted:
                # Something to do: only look at I/O, and only if a task waits for some.
                if readers or writers:
                    events = poll(0.0)
                    if events:
                        self._dispatch(events)
            else:
                events = poll(max(0.0, timers[0][0] - clock()) if timers else None)
                if events:
                    self._dispatch(events)
            if timers and timers[0][0] <= clock():
                self._fire_timers()
            if posted:
                self._run_posted()

    def run(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        _thread.scheduler = self
        restore_signals = _signals.install(self)
        try:
            main = self.start(fn, args)
            self._loop(main)
        finally:
            restore_signals()
            self._shut_down()
        if self._stopping is not None:
            stopping, self._stopping = self._stopping, None
            raise stopping
        return main.result()

    # ------------------------------------------------------------------ driven by another loop

    def start(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> Task:
        """Become this thread's scheduler and spawn ``fn(*args)`` as the main task (its
        outcome is the run's: the caller retrieves it)."""
        _thread.scheduler = self
        main = self._main = self.spawn(fn, args, {})
        main._retrieved = True
        return main

    def run_passes(self) -> float | None:
        """Hosted: make passes until one would wait; returns how long the driver may
        wait for I/O before ``after_wait`` (0.0: not at all, None: until an event or a
        wake-up), or OVER when every task is done."""
        assert self._hosted and self._main is not None
        return self._loop(self._main)

    def after_wait(self, events: list[tuple[int, int]]) -> None:
        """Hosted: the driver waited; take the engine's answer, fire the timers that are
        due, run the posted calls."""
        if events:
            self._dispatch(events)
        if self._timers and self._timers[0][0] <= _clock.clock():
            self._fire_timers()
        if self._posted:
            self._run_posted()

    def stop(self, exc: BaseException) -> None:
        """Cancel every task; ``end()`` returns ``exc`` once they are all done."""
        self._stop_with(exc)

    def end(self) -> BaseException | None:
        """Hosted: shut down (when ``run_passes`` returned OVER, or the driver gives up);
        returns the exception ``stop()`` was given, if any."""
        try:
            self._shut_down()
        finally:
            stopping, self._stopping = self._stopping, None
        return stopping

    def _shut_down(self) -> None:
        _thread.scheduler = None
        with self._post_lock:
            self._accepting_posts = False
        self._run_posted()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self._engine.close()


@blocking_fn
def run(fn: Callable[..., Any], /, *args: Any, engine: Engine | None = None) -> Any:
    """Run ``fn(*args)`` as the main task of a new scheduler in this thread, until it
    returns; return its result (or raise its exception).  Tasks still running then are
    cancelled and waited for.  ``engine``: the event engine (default: epoll)."""
    if _thread.scheduler is not None:
        raise CoroutineError(
            "stackful.run() called while a scheduler already runs in this thread: one "
            "scheduler per thread; start more work with stackful.spawn() or a TaskGroup")
    if engine is None:
        from ._epoll import EpollEngine

        engine = EpollEngine()
    return Scheduler(engine).run(fn, args)

