"""The epoll engine: edge-triggered, one registration per descriptor.

Design principles:

* One ``epoll_ctl`` per descriptor for its whole life, not one per wait: a descriptor
  is registered for input *and* output, edge-triggered, the first time a task waits on
  it, and stays registered until ``forget`` (its socket is closing).  Edge-triggered
  notifications that nobody waits for cost nothing but an entry in ``poll``'s answer
  that the scheduler skips.  This is correct because tasks always try the system call
  first and wait only after ``EAGAIN``: an edge that happens after that ``EAGAIN`` is
  reported, and one that happened before it is not needed.
* ``select.epoll`` directly, not ``selectors``: the answer is the kernel's list of
  ``(fd, mask)`` pairs, turned into the engine's event bits without an object per
  event (docs/runtime.md has the measurement).
* Waking from other threads and from signal handlers goes through an ``eventfd``,
  registered like any descriptor.
"""

from __future__ import annotations

import os
import select

from ._engine import HANGUP, READABLE, WRITABLE, Engine

__all__ = ["EpollEngine"]

_REGISTER = select.EPOLLIN | select.EPOLLOUT | select.EPOLLRDHUP | select.EPOLLET
_IN = select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
_OUT = select.EPOLLOUT | select.EPOLLHUP | select.EPOLLERR
_HANGUP = select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR
_MAX_EVENTS = 1024


class EpollEngine(Engine):
    """An edge-triggered epoll engine (Linux)."""

    level_triggered = False

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._registered: set[int] = set()
        self._wake_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._epoll.register(self._wake_fd, select.EPOLLIN)
        # The answer of poll is re-used: the scheduler consumes it before polling again.
        self._ready: list[tuple[int, int]] = []

    def wait_for(self, fd: int, events: int) -> None:
        if events and fd not in self._registered:
            try:
                self._epoll.register(fd, _REGISTER)
            except FileExistsError:
                # Registered under this number by a file now closed and replaced by one
                # that the kernel still has in this epoll set (a dup'ed descriptor).
                self._epoll.modify(fd, _REGISTER)
            self._registered.add(fd)

    def forget(self, fd: int) -> None:
        if fd in self._registered:
            self._registered.discard(fd)
            try:
                self._epoll.unregister(fd)
            except (OSError, ValueError):
                pass                      # already closed: the kernel dropped it

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        answer = self._epoll.poll(-1 if timeout is None else timeout, _MAX_EVENTS)
        ready = self._ready
        ready.clear()
        wake_fd = self._wake_fd
        for fd, mask in answer:
            if fd == wake_fd:
                try:
                    os.eventfd_read(wake_fd)
                except BlockingIOError:
                    pass
                continue
            events = 0
            if mask & _IN:
                events = READABLE
            if mask & _OUT:
                events |= WRITABLE
            if mask & _HANGUP:
                events |= HANGUP
            ready.append((fd, events))
        return ready

    def wake(self) -> None:
        try:
            os.eventfd_write(self._wake_fd, 1)
        except (BlockingIOError, OSError):
            pass                          # already signalled, or closing

    def close(self) -> None:
        self._epoll.close()
        os.close(self._wake_fd)
        self._registered.clear()
