"""The standard library's socket interface, cooperative: a task waiting on a socket
suspends (and lets the other tasks run) instead of blocking the thread.

Use it in place of ``socket``: ``from stackful import socket`` and then
``socket.create_connection(...)``, ``socket.socket(...)``; every other name of the
standard module (constants, exceptions, ``inet_aton`` ...) is here too.

Design principles:

* Try the system call first, wait only on ``EAGAIN``: the descriptor is non-blocking
  at the OS level, a call that can complete completes without a switch, and only a
  call that would block suspends the task until the engine reports readiness.
* A socket keeps its registration with the engine between waits; closing the socket
  (``close()``, ``detach()`` or the collector) tells the scheduler first, and a task
  still waiting on it gets ``OSError(EBADF)``.
* Timeouts mean what they mean in the standard library: ``None`` (the default, or
  ``socket.setdefaulttimeout``) waits as long as needed, ``0.0`` is non-blocking
  (``BlockingIOError``), a number of seconds raises ``TimeoutError``
  (``socket.timeout``) when one operation (``sendall``: the whole call) takes longer.
* Name resolution (``getaddrinfo`` and the other lookups) blocks in the C library, so
  it runs in a worker thread (``stackful.to_thread``), except for numeric addresses,
  which need no lookup.
"""

from __future__ import annotations

import errno as _errno
import io as _io
import ipaddress as _ipaddress
import os as _os
import socket as _std
from socket import *  # noqa: F401,F403 -- the standard interface, overridden below
from typing import Any, Callable, Iterable, TypeVar

from ._annotations import coroutine_fn
from .runtime import _clock
from .runtime._engine import READABLE, WRITABLE
from .runtime._scheduler import Scheduler, current_scheduler
from .runtime._threads import to_thread
from .runtime._traps import task_for, wait_io

__all__ = list(_std.__all__)

_BLOCKING = (BlockingIOError, InterruptedError)
T = TypeVar("T")


class socket(_std.socket):  # type: ignore[no-redef]
    """A ``socket.socket`` whose blocking operations suspend the task instead."""

    __slots__ = ("_stackful_timeout", "_stackful_scheduler", "_stackful_drained_at",
                 "_stackful_stream")

    #: Tells the runtime that this object reports its closing, so its registration
    #: with the event engine may be kept between waits.
    _stackful_tracks_close = True

    def __init__(self, family: int = -1, type: int = -1, proto: int = -1,
                 fileno: int | None = None) -> None:
        super().__init__(family, type, proto, fileno)
        self._stackful_timeout: float | None = _std.getdefaulttimeout()
        _std.socket.settimeout(self, 0.0)
        # The scheduler this socket last waited in, and its count of unclaimed read
        # events when a read last drained the receive buffer (-1: not drained).
        self._stackful_scheduler: Scheduler | None = None
        self._stackful_drained_at = -1
        self._stackful_stream = self.type == _std.SOCK_STREAM

    # ------------------------------------------------------------ timeouts

    def settimeout(self, value: float | None) -> None:
        if value is not None:
            value = float(value)
            if value != value or value < 0:
                raise ValueError("Timeout value out of range")
        self._stackful_timeout = value

    def gettimeout(self) -> float | None:
        return self._stackful_timeout

    def setblocking(self, flag: bool) -> None:
        self._stackful_timeout = None if flag else 0.0

    def getblocking(self) -> bool:
        return self._stackful_timeout != 0.0

    @coroutine_fn
    def _wait(self, event: int, what: str, deadline: float | None = None) -> None:
        """Wait for readiness after EAGAIN, honouring the timeout; the caller retries."""
        timeout = self._stackful_timeout
        if deadline is not None:
            timeout = deadline - _clock.clock()
            if timeout <= 0:
                raise TimeoutError("timed out")
        task = task_for(what)
        self._stackful_scheduler = task._scheduler
        try:
            wait_io(task, self.fileno(), event, timeout, False)
        except TimeoutError:
            raise TimeoutError("timed out") from None

    @coroutine_fn
    def _retry(self, event: int, what: str, call: Callable[..., T], *args: Any) -> T:
        """``call(self, *args)``, waiting for ``event`` after each EAGAIN: the
        try-first loop of the operations other than recv, recv_into and sendall."""
        while True:
            try:
                return call(self, *args)
            except _BLOCKING:
                if self._stackful_timeout == 0.0:
                    raise
            self._wait(event, what)

    # ------------------------------------------------------------ receiving
    #
    # recv and recv_into skip the system call that would only say EAGAIN: a plain
    # (flags 0) stream read that returned less than asked for drained the receive
    # buffer, and data arriving after that is reported by the engine (edge-triggered:
    # a new edge) to the next wait, unless it was reported while no task waited, which
    # the scheduler counts.  So the next read waits at once while that count has not
    # moved, and the peer has not ended its stream (an end already there when the
    # buffer drained brings no new edge: the scheduler notes hang-ups); otherwise it
    # tries the system call first.  docs/runtime.md has the measurement.

    def _drained(self, flags: int) -> bool:
        scheduler = self._stackful_scheduler
        return (scheduler is not None and self._stackful_drained_at >= 0
                and self._stackful_drained_at == scheduler.unclaimed_read_events
                and not flags and self._stackful_timeout != 0.0
                and self.fileno() not in scheduler.hangups)

    def _note_read(self, got: int, asked: int, flags: int) -> None:
        scheduler = self._stackful_scheduler
        if scheduler is not None and 0 < got < asked and not flags and self._stackful_stream:
            self._stackful_drained_at = scheduler.unclaimed_read_events
        else:
            self._stackful_drained_at = -1

    @coroutine_fn
    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if not self._drained(flags):
            try:
                data = _std.socket.recv(self, bufsize, flags)  # stackful: ignore[SC107]
            except _BLOCKING:
                if self._stackful_timeout == 0.0:
                    raise
            else:
                self._note_read(len(data), bufsize, flags)
                return data
        while True:
            self._wait(READABLE, "socket.recv()")
            try:
                data = _std.socket.recv(self, bufsize, flags)  # stackful: ignore[SC107]
            except _BLOCKING:
                continue
            self._note_read(len(data), bufsize, flags)
            return data

    @coroutine_fn
    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        asked = nbytes or memoryview(buffer).nbytes
        if not self._drained(flags):
            try:
                got: int = _std.socket.recv_into(self, buffer, nbytes, flags)  # stackful: ignore[SC107]
            except _BLOCKING:
                if self._stackful_timeout == 0.0:
                    raise
            else:
                self._note_read(got, asked, flags)
                return got
        while True:
            self._wait(READABLE, "socket.recv_into()")
            try:
                got = _std.socket.recv_into(self, buffer, nbytes, flags)  # stackful: ignore[SC107]
            except _BLOCKING:
                continue
            self._note_read(got, asked, flags)
            return got

    @coroutine_fn
    def recvfrom(self, bufsize: int, flags: int = 0) -> tuple[bytes, Any]:
        return self._retry(READABLE, "socket.recvfrom()", _std.socket.recvfrom, bufsize, flags)

    @coroutine_fn
    def recvfrom_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> tuple[int, Any]:
        return self._retry(READABLE, "socket.recvfrom_into()", _std.socket.recvfrom_into,
                           buffer, nbytes, flags)

    @coroutine_fn
    def recvmsg(self, bufsize: int, ancbufsize: int = 0,
                flags: int = 0) -> tuple[bytes, list[tuple[int, int, bytes]], int, Any]:
        return self._retry(READABLE, "socket.recvmsg()", _std.socket.recvmsg, bufsize,
                           ancbufsize, flags)

    # ------------------------------------------------------------ sending

    @coroutine_fn
    def send(self, data: Any, flags: int = 0) -> int:
        return self._retry(WRITABLE, "socket.send()", _std.socket.send, data, flags)

    @coroutine_fn
    def sendto(self, data: Any, flags_or_address: Any, address: Any = None) -> int:
        args = (flags_or_address,) if address is None else (flags_or_address, address)
        return self._retry(WRITABLE, "socket.sendto()", _std.socket.sendto, data, *args)

    @coroutine_fn
    def sendmsg(self, buffers: Iterable[Any], ancdata: Iterable[Any] = (), flags: int = 0,
                address: Any = None) -> int:
        args: tuple[Any, ...] = (buffers, ancdata, flags) + ((address,) if address else ())
        return self._retry(WRITABLE, "socket.sendmsg()", _std.socket.sendmsg, *args)

    @coroutine_fn
    def sendall(self, data: Any, flags: int = 0) -> None:
        """Send all of ``data``, suspending while the peer does not read (back-pressure);
        the timeout applies to the whole call, as in the standard library."""
        timeout = self._stackful_timeout
        try:
            sent = _std.socket.send(self, data, flags)  # stackful: ignore[SC107]
        except _BLOCKING:
            if timeout == 0.0:
                raise
            sent = 0
        if sent == len(data):
            return
        deadline = None if not timeout else _clock.clock() + timeout
        with memoryview(data) as view, view.cast("B") as remaining:
            total = len(remaining)
            while sent < total:
                try:
                    sent += _std.socket.send(self, remaining[sent:], flags)  # stackful: ignore[SC107]
                    continue
                except _BLOCKING:
                    if timeout == 0.0:
                        raise
                self._wait(WRITABLE, "socket.sendall()", deadline)

    @coroutine_fn
    def sendfile(self, file: _io.BufferedReader | Any, offset: int = 0,
                 count: int | None = None) -> int:
        """Send a file's bytes (read in chunks and sent with ``sendall``)."""
        if "b" not in getattr(file, "mode", "b"):
            raise ValueError("file should be opened in binary mode")
        if offset:
            file.seek(offset)
        total = 0
        while count is None or total < count:
            size = 65536 if count is None else min(65536, count - total)
            chunk = file.read(size)
            if not chunk:
                break
            self.sendall(chunk)
            total += len(chunk)
        if total:
            file.seek(offset + total)
        return total

    # ------------------------------------------------------------ connections

    @coroutine_fn
    def accept(self) -> tuple[socket, Any]:
        while True:
            try:
                fd, address = self._accept()  # type: ignore[attr-defined]  # stackful: ignore[SC107]
                break
            except _BLOCKING:
                if self._stackful_timeout == 0.0:
                    raise
            self._wait(READABLE, "socket.accept()")
        conn = socket(self.family, self.type, self.proto, fileno=fd)
        if _std.getdefaulttimeout() is None and self.gettimeout():
            conn.setblocking(True)
        return conn, address

    @coroutine_fn
    def connect(self, address: Any) -> None:
        error = self.connect_ex(address)
        if error:
            raise OSError(error, _os.strerror(error))

    @coroutine_fn
    def connect_ex(self, address: Any) -> int:
        error = _std.socket.connect_ex(self, address)
        if error in (_errno.EINPROGRESS, _errno.EAGAIN, _errno.EWOULDBLOCK):
            if self._stackful_timeout == 0.0:
                return error
            self._wait(WRITABLE, "socket.connect()")
            error = self.getsockopt(_std.SOL_SOCKET, _std.SO_ERROR)
        return error

    # ------------------------------------------------------------ closing

    def _forget(self) -> None:
        fd = self.fileno()
        if fd >= 0:
            scheduler = current_scheduler()
            if scheduler is not None:
                scheduler.forget_fd(fd)

    def _real_close(self, _ss: Any = _std.socket) -> None:
        self._forget()
        super()._real_close()  # type: ignore[misc]

    def detach(self) -> int:
        self._forget()
        return super().detach()

    def __del__(self) -> None:
        try:
            self._forget()
        finally:
            super().__del__()  # type: ignore[misc]


SocketType = socket  # type: ignore[misc,assignment]


def _adopt(sock: _std.socket) -> socket:
    """A cooperative socket for what the standard library made (same descriptor)."""
    timeout = sock.gettimeout()
    adopted = socket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    adopted.settimeout(timeout)
    return adopted


def socketpair(family: int = _std.AF_UNIX, type: int = _std.SOCK_STREAM,  # type: ignore[no-redef]
               proto: int = 0) -> tuple[socket, socket]:
    a, b = _std.socketpair(family, type, proto)
    return _adopt(a), _adopt(b)


def fromfd(fd: int, family: int, type: int, proto: int = 0) -> socket:  # type: ignore[no-redef]
    return socket(family, type, proto, fileno=_os.dup(fd))


def create_server(address: Any, *, family: int = _std.AF_INET, backlog: int | None = None,  # type: ignore[no-redef]
                  reuse_port: bool = False, dualstack_ipv6: bool = False) -> socket:
    """A listening cooperative socket (the standard ``create_server``)."""
    return _adopt(_std.create_server(address, family=family, backlog=backlog,
                                     reuse_port=reuse_port, dualstack_ipv6=dualstack_ipv6))


_GLOBAL_DEFAULT_TIMEOUT: Any = getattr(_std, "_GLOBAL_DEFAULT_TIMEOUT")


@coroutine_fn  # type: ignore[no-redef]
def create_connection(address: tuple[str, int], timeout: Any = _GLOBAL_DEFAULT_TIMEOUT,
                      source_address: Any = None, *, all_errors: bool = False) -> socket:
    """Connect to ``(host, port)`` (each address of the name in turn) and return the
    cooperative socket: the standard ``create_connection``."""
    host, port = address
    errors: list[OSError] = []
    for family, kind, proto, _, sockaddr in getaddrinfo(host, port, 0, _std.SOCK_STREAM):
        sock = None
        try:
            sock = socket(family, kind, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            errors.clear()
            return sock
        except OSError as exc:
            errors.append(exc)
            if sock is not None:
                sock.close()
    if not errors:
        raise OSError("getaddrinfo returns an empty list")
    try:
        if all_errors:
            raise ExceptionGroup("create_connection failed", errors)
        raise errors[0]
    finally:
        errors = []


def _is_numeric(host: Any) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        _ipaddress.ip_address(host.split("%", 1)[0] if isinstance(host, str) else host)
    except ValueError:
        return False
    return True


@coroutine_fn  # type: ignore[no-redef]
def getaddrinfo(host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0,
                flags: int = 0) -> list[tuple[Any, Any, int, str, Any]]:
    """The standard ``getaddrinfo``; a name lookup runs in a worker thread."""
    if _is_numeric(host) and (port is None or isinstance(port, int)
                              or (isinstance(port, (str, bytes)) and port.isdigit())):
        return _std.getaddrinfo(host, port, family, type, proto, flags)  # stackful: ignore[SC107]
    return to_thread(_std.getaddrinfo, host, port, family, type, proto, flags)


@coroutine_fn  # type: ignore[no-redef]
def gethostbyname(hostname: str) -> str:
    return to_thread(_std.gethostbyname, hostname)


@coroutine_fn  # type: ignore[no-redef]
def gethostbyname_ex(hostname: str) -> tuple[str, list[str], list[str]]:
    return to_thread(_std.gethostbyname_ex, hostname)


@coroutine_fn  # type: ignore[no-redef]
def gethostbyaddr(ip_address: str) -> tuple[str, list[str], list[str]]:
    return to_thread(_std.gethostbyaddr, ip_address)


@coroutine_fn  # type: ignore[no-redef]
def getnameinfo(sockaddr: Any, flags: int) -> tuple[str, str]:
    return to_thread(_std.getnameinfo, sockaddr, flags)


@coroutine_fn  # type: ignore[no-redef]
def getfqdn(name: str = "") -> str:
    return to_thread(_std.getfqdn, name)
