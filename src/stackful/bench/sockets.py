"""Photon's write_fully over real sockets: 10 tasks each write a volume in 800-byte
``sendall`` calls into a socketpair, whose other end a reader task drains (ns per
800-byte call).  The writers outrun the readers, so the socket buffers fill and the
writers wait for space: the cost of waiting for a socket to become writable, not
only of the system call.

Peers: asyncio's ``loop.sock_sendall``/``sock_recv`` (asyncio's loop and uvloop's),
gevent sockets, trio's ``SocketStream`` and a thread per writer and per reader.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Callable

import stackful
from stackful import coroutine_fn
from stackful import socket as cosocket

from ._common import event_loops, run_on
from ._report import Result, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, Timing, measure, optional

WRITERS = 10
BLOCK = 800
CHUNK = 65536


def _volume(n: int) -> int:
    """Bytes per writer for about n calls in all."""
    return max(1, n // WRITERS) * BLOCK


def _stackful(n: int) -> Timing:
    volume = _volume(n)

    @coroutine_fn
    def writer(sock: cosocket.socket) -> None:
        block = b"w" * BLOCK
        sendall = sock.sendall
        for _ in range(volume // BLOCK):
            sendall(block)

    @coroutine_fn
    def reader(sock: cosocket.socket) -> None:
        got = 0
        recv = sock.recv
        while got < volume:
            got += len(recv(CHUNK))

    @coroutine_fn
    def main() -> float:
        pairs = [cosocket.socketpair() for _ in range(WRITERS)]
        start = time.perf_counter()
        with stackful.TaskGroup() as group:
            for a, b in pairs:
                group.spawn(writer, a)
                group.spawn(reader, b)
        elapsed = time.perf_counter() - start
        for a, b in pairs:
            a.close()
            b.close()
        return elapsed

    return Timing(stackful.run(main), WRITERS * (volume // BLOCK))


def _asyncio(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> Callable[[int], Timing]:
    def run(n: int) -> Timing:
        volume = _volume(n)

        async def main() -> float:
            loop = asyncio.get_running_loop()
            pairs = [socket.socketpair() for _ in range(WRITERS)]
            for a, b in pairs:
                a.setblocking(False)
                b.setblocking(False)

            async def writer(sock: socket.socket) -> None:
                block = b"w" * BLOCK
                for _ in range(volume // BLOCK):
                    await loop.sock_sendall(sock, block)

            async def reader(sock: socket.socket) -> None:
                got = 0
                while got < volume:
                    got += len(await loop.sock_recv(sock, CHUNK))

            start = time.perf_counter()
            await asyncio.gather(*(writer(a) for a, _ in pairs), *(reader(b) for _, b in pairs))
            elapsed = time.perf_counter() - start
            for a, b in pairs:
                a.close()
                b.close()
            return elapsed

        return Timing(run_on(new_loop, main()), WRITERS * (volume // BLOCK))

    return run


def _gevent(n: int) -> Timing:
    import gevent
    import gevent.socket

    volume = _volume(n)
    pairs = [gevent.socket.socketpair() for _ in range(WRITERS)]

    def writer(sock: Any) -> None:
        block = b"w" * BLOCK
        for _ in range(volume // BLOCK):
            sock.sendall(block)

    def reader(sock: Any) -> None:
        got = 0
        while got < volume:
            got += len(sock.recv(CHUNK))

    start = time.perf_counter()
    gevent.joinall([gevent.spawn(writer, a) for a, _ in pairs]
                   + [gevent.spawn(reader, b) for _, b in pairs])
    elapsed = time.perf_counter() - start
    for a, b in pairs:
        a.close()
        b.close()
    return Timing(elapsed, WRITERS * (volume // BLOCK))


def _trio(n: int) -> Timing:
    import trio

    volume = _volume(n)

    async def main() -> float:
        pairs = [trio.socket.socketpair() for _ in range(WRITERS)]
        streams = [(trio.SocketStream(a), trio.SocketStream(b)) for a, b in pairs]

        async def writer(stream: Any) -> None:
            block = b"w" * BLOCK
            for _ in range(volume // BLOCK):
                await stream.send_all(block)

        async def reader(stream: Any) -> None:
            got = 0
            while got < volume:
                got += len(await stream.receive_some(CHUNK))

        start = time.perf_counter()
        async with trio.open_nursery() as nursery:
            for a, b in streams:
                nursery.start_soon(writer, a)
                nursery.start_soon(reader, b)
        elapsed = time.perf_counter() - start
        for a, b in streams:
            await a.aclose()
            await b.aclose()
        return elapsed

    elapsed: float = trio.run(main)
    return Timing(elapsed, WRITERS * (volume // BLOCK))


def _threads(n: int) -> Timing:
    volume = _volume(n)
    pairs = [socket.socketpair() for _ in range(WRITERS)]

    def writer(sock: socket.socket) -> None:
        block = b"w" * BLOCK
        for _ in range(volume // BLOCK):
            sock.sendall(block)

    def reader(sock: socket.socket) -> None:
        got = 0
        while got < volume:
            got += len(sock.recv(CHUNK))

    threads = ([threading.Thread(target=writer, args=(a,)) for a, _ in pairs]
               + [threading.Thread(target=reader, args=(b,)) for _, b in pairs])
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    for a, b in pairs:
        a.close()
        b.close()
    return Timing(elapsed, WRITERS * (volume // BLOCK))


def run(scale: Scale, progress: Progress) -> Result:
    result = Result("sockets", "sockets: Photon's write_fully over socketpairs (%d writers, "
                               "%d-byte sendall calls)" % (WRITERS, BLOCK))
    cases = [Case("stackful sockets", _stackful)]
    for name, factory in event_loops():
        cases.append(Case("%s sock_sendall/sock_recv" % name, _asyncio(factory)))
    if optional("gevent") is not None:
        cases.append(Case("gevent sockets", _gevent))
    else:
        result.notes.append("gevent not installed: its row is skipped")
    if optional("trio") is not None:
        cases.append(Case("trio SocketStream", _trio))
    else:
        result.notes.append("trio not installed: its row is skipped")
    cases.append(Case("threads (one per writer and per reader)", _threads))
    progress.prefix = "sockets: "
    measure(cases, repeats=scale.repeats, target_seconds=scale.target_seconds * 4,
            progress=progress)
    progress.prefix = ""
    result.tables.append(ratio_table("write_fully over socketpairs", cases, cases[0].name,
                                     unit="ns/call"))
    result.plots.append(bar_plot("sockets_write_fully.png",
                                 "write_fully over socketpairs (ns per call, log scale)",
                                 cases, unit="ns/call"))
    return result
