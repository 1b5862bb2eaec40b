"""Other event engines, for measuring the choice of the default one (``python -m
stackful.bench engines``): written against ``stackful.runtime.Engine``, as a
replacement engine would be.

* ``OneshotEpollEngine``: epoll with ``EPOLLONESHOT``: every wait re-arms the
  descriptor with an ``epoll_ctl(MOD)``, so no readiness is reported that nobody
  waits for.
* ``SelectorsEngine``: the standard library's ``selectors.DefaultSelector``,
  level-triggered: the interest changes with the waits (``modify``/``unregister``).
"""

from __future__ import annotations

import os
import select
import selectors

from stackful.runtime import READABLE, WRITABLE, Engine


class OneshotEpollEngine(Engine):
    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._armed: dict[int, int] = {}
        self._wake_fd = os.eventfd(0, os.EFD_NONBLOCK)
        self._epoll.register(self._wake_fd, select.EPOLLIN)

    def wait_for(self, fd: int, events: int) -> None:
        if not events:
            return                       # a oneshot registration disarms itself
        mask = select.EPOLLONESHOT
        if events & READABLE:
            mask |= select.EPOLLIN | select.EPOLLRDHUP
        if events & WRITABLE:
            mask |= select.EPOLLOUT
        if fd in self._armed:
            self._epoll.modify(fd, mask)
        else:
            self._epoll.register(fd, mask)
        self._armed[fd] = mask

    def forget(self, fd: int) -> None:
        if self._armed.pop(fd, None) is not None:
            try:
                self._epoll.unregister(fd)
            except OSError:
                pass

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        ready = []
        for fd, mask in self._epoll.poll(-1 if timeout is None else timeout):
            if fd == self._wake_fd:
                try:
                    os.eventfd_read(fd)
                except BlockingIOError:
                    pass
                continue
            events = 0
            if mask & (select.EPOLLIN | select.EPOLLRDHUP | select.EPOLLHUP | select.EPOLLERR):
                events |= READABLE
            if mask & (select.EPOLLOUT | select.EPOLLHUP | select.EPOLLERR):
                events |= WRITABLE
            ready.append((fd, events))
        return ready

    def wake(self) -> None:
        try:
            os.eventfd_write(self._wake_fd, 1)
        except OSError:
            pass

    def close(self) -> None:
        self._epoll.close()
        os.close(self._wake_fd)


class SelectorsEngine(Engine):
    def __init__(self) -> None:
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._selector.register(self._wake_r, selectors.EVENT_READ)

    def wait_for(self, fd: int, events: int) -> None:
        mask = ((selectors.EVENT_READ if events & READABLE else 0)
                | (selectors.EVENT_WRITE if events & WRITABLE else 0))
        try:
            key = self._selector.get_key(fd)
        except KeyError:
            if mask:
                self._selector.register(fd, mask)
            return
        if not mask:
            self._selector.unregister(fd)
        elif key.events != mask:
            self._selector.modify(fd, mask)

    def forget(self, fd: int) -> None:
        try:
            self._selector.unregister(fd)
        except (KeyError, ValueError, OSError):
            pass

    def poll(self, timeout: float | None) -> list[tuple[int, int]]:
        ready = []
        for key, mask in self._selector.select(timeout):
            if key.fd == self._wake_r:
                try:
                    os.read(self._wake_r, 4096)
                except BlockingIOError:
                    pass
                continue
            ready.append((key.fd, (READABLE if mask & selectors.EVENT_READ else 0)
                          | (WRITABLE if mask & selectors.EVENT_WRITE else 0)))
        return ready

    def wake(self) -> None:
        try:
            os.write(self._wake_w, b"\0")
        except OSError:
            pass

    def close(self) -> None:
        self._selector.close()
        os.close(self._wake_r)
        os.close(self._wake_w)
