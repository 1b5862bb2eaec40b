"""Pieces several benchmarks share: the peers' plumbing and a C-depth workload.

* ``suspend_forever()``: a coroutine body for round-trip loops;
* ``through_c_frames(depth, then)``: call ``then()`` with ``depth`` interpreter C
  frames in between (the way to give a suspension point a controlled amount of live
  C stack from pure Python);
* ``GreenletGenerator`` / ``greenlet_emit``: the idiomatic generator made of a
  greenlet (as in greenlet's documentation), for the generator benchmarks;
* ``event_loops()``: asyncio's default loop, and uvloop's if it is installed;
* ``recursion_limit(n)``: room for peers whose nesting is recursion (nested
  generators, nested greenlets);
* ``run_on(new_loop, coroutine)``: run a coroutine on a fresh event loop, then close it;
* ``in_fresh_process(option, case, n)``: a measurement run by the hidden option of
  ``python -m stackful.bench`` in a process of its own, as the JSON it prints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
from typing import Any, Callable, Coroutine, Iterator, TypeVar

import stackful
from stackful import coroutine_fn

from ._timing import optional


@coroutine_fn
def suspend_forever() -> None:
    """A coroutine body that suspends on every resume, for round-trip loops."""
    suspend = stackful.suspend
    while True:
        suspend()


def through_c_frames(depth: int, then: Callable[[], object]) -> object:
    # Each level passes through map(), a C function calling back into Python: one more
    # C frame of the interpreter per level (CPython 3.11 runs plain Python-to-Python
    # calls without a C frame, so plain recursion would add nothing).
    if depth == 0:
        return then()
    return list(map(lambda d: through_c_frames(d, then), [depth - 1]))[0]


class GreenletGenerator:
    """Iterate over what fn(*args) passes to greenlet_emit(), from any depth."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        greenlet = optional("greenlet")
        assert greenlet is not None
        self._getcurrent = greenlet.getcurrent
        self._glet = greenlet.greenlet(lambda: fn(*args))

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        glet = self._glet
        glet.parent = self._getcurrent()
        value = glet.switch()
        if glet.dead:
            raise StopIteration(value)
        return value


def greenlet_emit(value: Any) -> None:
    """The yield of a GreenletGenerator: switch to its consumer with value."""
    greenlet = sys.modules["greenlet"]
    greenlet.getcurrent().parent.switch(value)


def event_loops() -> list[tuple[str, Callable[[], asyncio.AbstractEventLoop]]]:
    """(name, factory) for asyncio's default event loop and uvloop's, if installed."""
    loops: list[tuple[str, Callable[[], asyncio.AbstractEventLoop]]] = [
        ("asyncio", asyncio.new_event_loop)]
    uvloop = optional("uvloop")
    if uvloop is not None:
        loops.append(("uvloop", uvloop.new_event_loop))
    return loops


def peer_notes() -> list[str]:
    notes = []
    if optional("greenlet") is None:
        notes.append("greenlet not installed: its rows are skipped")
    if optional("uvloop") is None:
        notes.append("uvloop not installed: its rows are skipped")
    return notes


T = TypeVar("T")


def run_on(new_loop: Callable[[], asyncio.AbstractEventLoop],
           coroutine: Coroutine[Any, Any, T]) -> T:
    loop = new_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def in_fresh_process(option: str, case: str, n: int) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-m", "stackful.bench", option, case, str(n)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError("%s %s failed:\n%s" % (option, case, proc.stderr))
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@contextlib.contextmanager
def recursion_limit(limit: int) -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, limit))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)
