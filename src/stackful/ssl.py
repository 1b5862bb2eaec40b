"""TLS for ``stackful.socket`` sockets: the standard library's ``ssl.SSLObject`` over
memory BIOs, with the socket I/O done cooperatively.

``stackful.ssl.wrap_socket(sock, context, server_side=..., server_hostname=...)`` returns
an ``SSLSocket`` with the usual methods (``recv``, ``recv_into``, ``send``, ``sendall``,
``do_handshake``, ``unwrap``, ``getpeercert``, ``cipher``, ``version``, ``close``);
contexts, certificates and errors are the standard module's (``ssl.SSLContext``,
``ssl.SSLError``, ``ssl.SSLCertVerificationError``).

Design principles:

* The TLS state machine is OpenSSL's, through ``ssl.SSLObject``: this module only
  moves bytes.  When the object wants more input (``SSLWantReadError``), the task reads
  from the socket (suspending if nothing has arrived); whatever it produced (records,
  handshake messages, alerts) is sent before the call returns or raises, so a peer
  waiting for an alert is never left hanging.
* One task may read while another writes: filling the incoming BIO and flushing the
  outgoing one each have a lock, so two tasks never interleave bytes on the socket.
* The end of the TCP stream reaches OpenSSL as EOF: a handshake with a peer that goes
  away raises ``ssl.SSLError``, never waits forever.
"""

from __future__ import annotations

import ssl as _ssl
import types
from typing import Any, Callable, TypeVar

from ._annotations import coroutine_fn
from .runtime import Lock
from .socket import socket

__all__ = ["SSLSocket", "wrap_socket"]

T = TypeVar("T")
_READ_SIZE = 65536


class SSLSocket:
    """A TLS connection over a cooperative socket (made by ``wrap_socket``)."""

    def __init__(self, sock: socket, context: _ssl.SSLContext, *, server_side: bool = False,
                 server_hostname: str | None = None, suppress_ragged_eofs: bool = True,
                 session: _ssl.SSLSession | None = None) -> None:
        if not isinstance(sock, socket):
            raise TypeError("stackful.ssl wraps stackful.socket sockets, got %s; make it "
                            "with stackful.socket (socket(), create_connection(), accept())"
                            % type(sock).__name__)
        if not isinstance(context, _ssl.SSLContext):
            raise TypeError("context must be an ssl.SSLContext, got %s" % type(context).__name__)
        self._sock: socket | None = sock
        self._incoming = _ssl.MemoryBIO()
        self._outgoing = _ssl.MemoryBIO()
        self._object = context.wrap_bio(self._incoming, self._outgoing, server_side=server_side,
                                        server_hostname=server_hostname, session=session)
        self._suppress_ragged_eofs = suppress_ragged_eofs
        self._fill_lock = Lock()
        self._flush_lock = Lock()

    # ------------------------------------------------------------ moving bytes

    def _socket(self) -> socket:
        if self._sock is None:
            raise OSError(9, "the SSLSocket is closed")
        return self._sock

    @coroutine_fn
    def _flush(self) -> None:
        sock = self._socket()
        with self._flush_lock:
            data = self._outgoing.read()
            if data:
                sock.sendall(data)

    @coroutine_fn
    def _fill(self) -> None:
        sock = self._socket()
        with self._fill_lock:
            if self._incoming.pending:
                return                  # another task read while this one waited
            data = sock.recv(_READ_SIZE)
            if data:
                self._incoming.write(data)
            else:
                self._incoming.write_eof()

    @coroutine_fn
    def _run(self, operation: Callable[..., T], *args: Any) -> T:
        """Call ``operation`` until OpenSSL has the input it needs; send its output."""
        while True:
            try:
                result = operation(*args)
            except _ssl.SSLWantReadError:
                self._flush()
                self._fill()
                continue
            except _ssl.SSLError:
                try:
                    self._flush()       # the alert telling the peer why
                except OSError:
                    pass
                raise
            self._flush()
            return result

    # ------------------------------------------------------------ the interface

    @coroutine_fn
    def do_handshake(self) -> None:
        self._run(self._object.do_handshake)

    @coroutine_fn
    def recv(self, bufsize: int = 1024, flags: int = 0) -> bytes:
        if flags:
            raise ValueError("non-zero flags are not allowed in SSLSocket.recv()")
        try:
            data: bytes = self._run(self._object.read, bufsize)
            return data
        except _ssl.SSLZeroReturnError:
            return b""                  # the peer closed TLS properly (close_notify)
        except _ssl.SSLEOFError:
            if self._suppress_ragged_eofs:
                return b""
            raise

    @coroutine_fn
    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        if flags:
            raise ValueError("non-zero flags are not allowed in SSLSocket.recv_into()")
        size = nbytes or memoryview(buffer).nbytes
        try:
            got: Any = self._run(self._object.read, size, buffer)   # an int, given a buffer
            return int(got)
        except _ssl.SSLZeroReturnError:
            return 0
        except _ssl.SSLEOFError:
            if self._suppress_ragged_eofs:
                return 0
            raise

    read = recv

    @coroutine_fn
    def send(self, data: Any, flags: int = 0) -> int:
        if flags:
            raise ValueError("non-zero flags are not allowed in SSLSocket.send()")
        return self._run(self._object.write, data)

    write = send

    @coroutine_fn
    def sendall(self, data: Any, flags: int = 0) -> None:
        with memoryview(data) as view, view.cast("B") as remaining:
            sent = 0
            while sent < len(remaining):
                sent += self.send(remaining[sent:], flags)

    @coroutine_fn
    def unwrap(self) -> socket:
        """Shut TLS down (close_notify both ways) and return the plain socket."""
        try:
            self._run(self._object.unwrap)
        except (_ssl.SSLZeroReturnError, _ssl.SSLEOFError):
            pass
        sock = self._socket()
        self._sock = None
        return sock

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> SSLSocket:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: types.TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------ what the object knows

    def getpeercert(self, binary_form: bool = False) -> Any:
        return self._object.getpeercert(binary_form)

    def cipher(self) -> tuple[str, str, int] | None:
        return self._object.cipher()

    def version(self) -> str | None:
        return self._object.version()

    def selected_alpn_protocol(self) -> str | None:
        return self._object.selected_alpn_protocol()

    def pending(self) -> int:
        return self._object.pending()

    @property
    def server_side(self) -> bool:
        return self._object.server_side

    @property
    def server_hostname(self) -> str | None:
        return self._object.server_hostname

    @property
    def session(self) -> _ssl.SSLSession | None:
        return self._object.session

    @property
    def context(self) -> _ssl.SSLContext:
        return self._object.context

    def fileno(self) -> int:
        return self._socket().fileno()

    def settimeout(self, value: float | None) -> None:
        self._socket().settimeout(value)

    def gettimeout(self) -> float | None:
        return self._socket().gettimeout()

    def getpeername(self) -> Any:
        return self._socket().getpeername()

    def getsockname(self) -> Any:
        return self._socket().getsockname()

    def __repr__(self) -> str:
        return "<stackful.ssl.SSLSocket %s %r>" % ("server" if self.server_side else "client",
                                                   self._sock)


@coroutine_fn
def wrap_socket(sock: socket, context: _ssl.SSLContext, *, server_side: bool = False,
                server_hostname: str | None = None, do_handshake_on_connect: bool = True,
                suppress_ragged_eofs: bool = True,
                session: _ssl.SSLSession | None = None) -> SSLSocket:
    """TLS over ``sock`` (a ``stackful.socket`` socket, connected); the handshake runs
    now unless ``do_handshake_on_connect`` is false."""
    wrapped = SSLSocket(sock, context, server_side=server_side, server_hostname=server_hostname,
                        suppress_ragged_eofs=suppress_ragged_eofs, session=session)
    if do_handshake_on_connect:
        wrapped.do_handshake()
    return wrapped
