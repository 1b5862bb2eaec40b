"""A fed stream: a readable file object whose reads wait for bytes pushed by a driver.

Principles: code that reads a file (gzip, tarfile, pickle, json, csv, expat's
ParseFile, ...) runs unchanged in a Coroutine, the *consumer*, over a ``FeedFile``; where
a read finds no bytes, it suspends the consumer, and the driver's next ``feed(data)``
resumes it there. The driver never blocks and never holds the consumer's state: it
pushes bytes as they arrive (from a socket, a callback, a decompressor) and gets back
what the consumer produced meanwhile (``emit(value)``, collected in a list, no switch per
output). One switch pair per chunk fed, whatever the reader's call depth.

The stream belongs to its consumer: a read from any other context (another coroutine,
the driver) raises ``CoroutineError`` rather than taking bytes from under the reader or
suspending the wrong coroutine, and ``feed`` while the consumer runs (re-entered from its
own code) raises too. A non-seekable stream keeps only the chunk being read; a seekable
one (``seekable=True``, what zipfile needs) keeps every byte fed, and a seek to the end
waits for ``feed_eof()``.

    def count_rows(f):
        for row in csv.reader(io.TextIOWrapper(f, encoding="utf-8", newline="")):
            f.emit(row)

    feed = Feed(count_rows)
    for chunk in chunks:
        for row in feed.feed(chunk): ...
    rows = feed.feed_eof()
"""

from __future__ import annotations

import io
import os
from typing import Any, Callable

from .. import Coroutine, CoroutineError, coroutine_fn, current, suspend

__all__ = ["Feed", "FeedFile"]


class _Read:
    """What a read suspends with: the request for more bytes."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<stackful.io read request>"


_READ = _Read()
_MADE_BY_FEED = object()
_NO_RESULT: Any = object()
_NOT_SEEKABLE = ("this FeedFile is not seekable: readers that seek (zipfile, "
                 "tarfile's random-access modes, ...) need Feed(consumer, seekable=True), "
                 "which keeps every byte fed")


class FeedFile(io.RawIOBase):
    """The consumer's end of a Feed: a readable raw binary file (wrap it in
    io.BufferedReader or io.TextIOWrapper as any raw file). Made by Feed, not directly.

    A read returns what has been fed; one that needs more suspends the consumer until
    the driver feeds more. ``read(n)`` returns n bytes unless the stream ends first (as
    a buffered file does: gzip, pickle and tarfile count on it); ``read1(n)`` and
    ``readinto(b)`` return what is there, waiting only when nothing is; ``readline``
    waits for the newline. After ``feed_eof()`` reads return what is left, then b""
    (0); after ``feed_error(exc)`` the read that waits raises exc.
    ``emit(value)`` hands a value to the driver: it is in the list the current feed call
    returns.
    """

    def __init__(self, feed: Feed, *, _token: object = None) -> None:
        if _token is not _MADE_BY_FEED:
            raise TypeError("a FeedFile is made by stackful.io.Feed(consumer): it calls "
                            "consumer(feed_file)")
        super().__init__()
        self._feed = feed
        self._keep = False
        self._buf: bytes | bytearray = b""
        self._pos = 0
        self._base = 0             # stream offset of _buf[0], for tell()
        self._eof = False
        self._error: BaseException | None = None
        self._fed = 0              # chunks pushed: what a waiting read watches

    # --- the consumer's side ---------------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._keep

    def emit(self, value: Any) -> None:
        """Hand value to the driver (it comes back from the current feed call)."""
        self._feed._outputs.append(value)

    @coroutine_fn
    def readinto(self, buffer: Any) -> int:
        self._check_reader()
        view = memoryview(buffer).cast("B")
        while self._pos >= len(self._buf):
            if not self._wait():
                return 0
        n = min(len(view), len(self._buf) - self._pos)
        view[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n

    @coroutine_fn
    def read(self, size: int | None = -1) -> bytes:
        """size bytes, fewer only at the end of the stream (the whole reads gzip, pickle
        and tarfile expect of a file); read1() returns what is there."""
        if size is None or size < 0:
            return self.readall()
        self._check_reader()
        if len(self._buf) - self._pos >= size:
            return self._take(size)
        parts = []
        while size:
            if self._pos >= len(self._buf) and not self._wait():
                break
            part = self._take(size)
            parts.append(part)
            size -= len(part)
        return b"".join(parts)

    @coroutine_fn
    def read1(self, size: int = -1) -> bytes:
        """What has been fed, at most size bytes (waiting only when nothing is left):
        the short read TextIOWrapper uses, so text is decoded as it arrives."""
        self._check_reader()
        if size < 0:
            size = 1 << 62
        while self._pos >= len(self._buf) and size:
            if not self._wait():
                return b""
        return self._take(size)

    @coroutine_fn
    def readall(self) -> bytes:
        self._check_reader()
        parts = []
        while True:
            if self._pos < len(self._buf):
                parts.append(self._take(len(self._buf) - self._pos))
            if not self._wait():
                return b"".join(parts)

    @coroutine_fn
    def readline(self, size: int | None = -1) -> bytes:
        self._check_reader()
        limit = -1 if size is None else size
        parts = []
        got = 0
        while limit < 0 or got < limit:
            if self._pos >= len(self._buf) and not self._wait():
                break
            end = self._buf.find(b"\n", self._pos)
            end = len(self._buf) if end < 0 else end + 1
            if limit >= 0:
                end = min(end, self._pos + limit - got)
            part = self._take(end - self._pos)
            parts.append(part)
            got += len(part)
            if part.endswith(b"\n"):
                break
        return b"".join(parts)

    def tell(self) -> int:
        self._check_open()
        return self._base + self._pos

    @coroutine_fn
    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self._check_open()
        if not self._keep:
            raise io.UnsupportedOperation(_NOT_SEEKABLE)
        if whence == os.SEEK_SET:
            target = offset
        elif whence == os.SEEK_CUR:
            target = self._pos + offset
        elif whence == os.SEEK_END:
            self._check_reader()
            while self._wait():
                pass
            target = len(self._buf) + offset
        else:
            raise ValueError("seek(): whence must be os.SEEK_SET, SEEK_CUR or SEEK_END, "
                             "not %r" % (whence,))
        if target < 0:
            raise ValueError("seek(): negative position %d" % target)
        self._pos = target
        return target

    # --- internals -------------------------------------------------------------------

    def _take(self, n: int) -> bytes:
        buf, pos = self._buf, self._pos
        if pos == 0 and n >= len(buf) and type(buf) is bytes:
            chunk = buf                # the fed bytes object itself, uncopied
        else:
            chunk = bytes(buf[pos:pos + n])
        self._pos = pos + len(chunk)
        return chunk

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on a closed FeedFile")

    def _check_reader(self) -> None:
        self._check_open()
        owner = self._feed._co
        if current() is not owner:
            raise CoroutineError(
                "a FeedFile is read only by its consumer coroutine %r (this read came "
                "from %r): another context reading it would take bytes from under the "
                "consumer or suspend the wrong coroutine" % (owner, current()))

    @coroutine_fn
    def _wait(self) -> bool:
        """Suspend until the driver feeds; False once the stream has ended."""
        fed = self._fed
        while True:
            if self._error is not None:
                error, self._error = self._error, None
                raise error
            if self._eof:
                return False
            suspend(_READ)
            if self._fed != fed:
                return True

    def _push(self, data: bytes) -> None:
        self._fed += 1
        if self._keep:
            assert isinstance(self._buf, bytearray)
            self._buf += data
        elif self._pos >= len(self._buf):
            self._base += len(self._buf)
            self._buf, self._pos = data, 0
        else:
            rest = self._buf[self._pos:]
            self._base += self._pos
            self._buf, self._pos = bytes(rest) + data, 0

    def _unread(self) -> bytes:
        return bytes(self._buf[self._pos:])


class Feed:
    """Run ``consumer(feed_file, *args, **kwargs)`` in a Coroutine over a FeedFile, and
    push bytes to it.

    ``feed(data)``, ``feed_eof()`` and ``feed_error(exc)`` each run the consumer until it
    waits for bytes again (or finishes) and return the list of values it emitted
    meanwhile. The consumer starts at the first of them. Its return value is
    ``.result`` once ``.done``; an exception escaping it propagates from the feed call
    (outputs emitted before it are in ``.pending``). Bytes fed after it finished, and
    those it left unread, are in ``.unread``. ``close()`` closes the consumer (its
    ``finally`` blocks run at the read it waits in).
    """

    def __init__(self, consumer: Callable[..., Any], /, *args: Any, seekable: bool = False,
                 **kwargs: Any) -> None:
        if not callable(consumer):
            raise TypeError("Feed() needs a callable consumer(feed_file, ...), not %s"
                            % type(consumer).__name__)
        self.file = FeedFile(self, _token=_MADE_BY_FEED)
        if seekable:
            self.file._keep = True
            self.file._buf = bytearray()
        self._co = Coroutine(self._main, consumer, args, kwargs)
        self._outputs: list[Any] = []
        self._result: Any = _NO_RESULT
        self._error: BaseException | None = None
        self._unread = bytearray()
        self.pending: list[Any] = []

    def _main(self, consumer: Callable[..., Any], args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> Any:
        try:
            return consumer(self.file, *args, **kwargs)
        finally:
            self._unread[:0] = self.file._unread()
            self.file.close()

    @property
    def done(self) -> bool:
        """Whether the consumer has finished (returned, raised or been closed)."""
        return self._co.status == "dead"

    @property
    def result(self) -> Any:
        """What the consumer returned."""
        if self._error is not None:
            raise CoroutineError("the consumer raised %s: it has no result"
                                 % type(self._error).__name__) from self._error
        if not self.done:
            raise CoroutineError("the consumer has not finished: feed_eof() (or feed more) "
                                 "before reading .result")
        if self._result is _NO_RESULT:
            raise CoroutineError("the consumer was closed before it returned: it has no "
                                 "result")
        return self._result

    @property
    def unread(self) -> bytes:
        """Bytes the consumer did not read before it finished, and any fed since."""
        return bytes(self._unread)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Any]:
        """Give the consumer data; returns what it emitted until it waits again.
        feed(b"") only runs the consumer (the end of the stream is feed_eof())."""
        if isinstance(data, str):
            raise TypeError("feed() takes bytes, not str: encode the text first "
                            "(a TextIOWrapper in the consumer decodes it)")
        try:
            chunk = data if type(data) is bytes else bytes(memoryview(data))
        except TypeError:
            raise TypeError("feed() takes a bytes-like object, not %s"
                            % type(data).__name__) from None
        if self.done:
            self._unread += chunk
            return []
        self._check_driver("feed()")
        if chunk:
            self.file._push(chunk)
        return self._run()

    def feed_eof(self) -> list[Any]:
        """End the stream: reads return b"" from now on; runs the consumer, which
        should finish (its result is then .result)."""
        if self.done:
            return []
        self._check_driver("feed_eof()")
        self.file._eof = True
        return self._run()

    def feed_error(self, exc: BaseException | type[BaseException]) -> list[Any]:
        """Make the read that waits for bytes raise exc (after the bytes already fed
        are read)."""
        if isinstance(exc, type) and issubclass(exc, BaseException):
            exc = exc()
        if not isinstance(exc, BaseException):
            raise TypeError("feed_error() takes an exception (instance or class), not %s"
                            % type(exc).__name__)
        if self.done:
            raise CoroutineError("feed_error(): the consumer has already finished")
        self._check_driver("feed_error()")
        self.file._error = exc
        return self._run()

    def close(self) -> None:
        """Close the consumer if it has not finished (CoroutineExit at its read)."""
        if self._co.status == "suspended":
            self._check_driver("close()")
        self._co.close()
        self.file.close()

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check_driver(self, what: str) -> None:
        if self._co.status != "suspended":
            raise CoroutineError(
                "%s of a Feed while its consumer runs (called from the consumer's own "
                "code, or from a coroutine it resumed): a feed waits until the consumer "
                "waits for bytes" % what)

    def _run(self) -> list[Any]:
        co = self._co
        try:
            request = co.resume()
        except BaseException as exc:
            if co.status == "dead":
                self._error = exc
                self.pending, self._outputs = self._outputs, []
            raise
        if co.status == "dead":
            self._result = request
        elif request is not _READ:
            co.close()
            self.pending, self._outputs = self._outputs, []
            raise CoroutineError(
                "the consumer of a Feed suspended with %r outside a read of its FeedFile; "
                "it was closed. Hand values to the driver with feed_file.emit(value)"
                % (request,))
        outputs, self._outputs = self._outputs, []
        return outputs

    def __repr__(self) -> str:
        return "<stackful.io.Feed %s>" % ("done" if self.done else self._co.status)
