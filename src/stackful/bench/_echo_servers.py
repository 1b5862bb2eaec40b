"""The echo servers of the echo benchmark, one per peer, each written the way its users
write one, and the load generator.  Each runs in a process of its own (``python -m
stackful.bench --echo-server KIND``): it listens on 127.0.0.1, an ephemeral port, with a
backlog of 1024, prints ``PORT <n>`` and serves until killed.  Every server sets
TCP_NODELAY on its connections (asyncio, uvloop and trio do it themselves) and reads up
to 64 KiB at a time.
"""

from __future__ import annotations

import json
import resource
import select
import socket
import threading
import time
from typing import Any, Callable

BACKLOG = 1024
READ = 65536


def raise_fd_limit() -> int:
    """Raise this process's soft RLIMIT_NOFILE to its hard limit; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def _announce(port: int) -> None:
    print("PORT %d" % port, flush=True)


def _nodelay(sock: Any) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


# ------------------------------------------------------------------ servers

def serve_stackful(engine: str = "epoll") -> None:
    import stackful
    from stackful import socket as cosocket
    from stackful.runtime import Engine, EpollEngine

    from . import _engines

    def handle(conn: cosocket.socket) -> None:
        with conn:
            recv, sendall = conn.recv, conn.sendall
            while data := recv(READ):
                sendall(data)

    def main() -> None:
        listener = cosocket.create_server(("127.0.0.1", 0), backlog=BACKLOG)
        _announce(listener.getsockname()[1])
        while True:
            conn, _ = listener.accept()
            _nodelay(conn)
            stackful.spawn(handle, conn)

    engines: dict[str, type[Engine]] = {"epoll": EpollEngine,
                                        "epoll oneshot": _engines.OneshotEpollEngine,
                                        "selectors": _engines.SelectorsEngine}
    stackful.run(main, engine=engines[engine]())


def _asyncio_streams(new_loop: Callable[[], Any]) -> None:
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(READ):
            writer.write(data)
            await writer.drain()
        writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=BACKLOG)
        _announce(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    loop = new_loop()
    loop.run_until_complete(main())


def _asyncio_protocol(new_loop: Callable[[], Any]) -> None:
    import asyncio

    class Echo(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            self.transport: Any = transport

        def data_received(self, data: bytes) -> None:
            self.transport.write(data)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Echo, "127.0.0.1", 0, backlog=BACKLOG)
        _announce(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    loop = new_loop()
    loop.run_until_complete(main())


def _uvloop_new() -> Any:
    import uvloop
    return uvloop.new_event_loop()


def _asyncio_new() -> Any:
    import asyncio
    return asyncio.new_event_loop()


def serve_gevent() -> None:
    from gevent.server import StreamServer

    def handle(conn: Any, address: Any) -> None:
        _nodelay(conn)
        recv, sendall = conn.recv, conn.sendall
        while data := recv(READ):
            sendall(data)
        conn.close()

    server = StreamServer(("127.0.0.1", 0), handle, backlog=BACKLOG)
    server.start()
    _announce(server.server_port)
    server.serve_forever()


def serve_trio() -> None:
    import trio

    async def handle(stream: Any) -> None:
        try:
            while data := await stream.receive_some(READ):
                await stream.send_all(data)
        except trio.BrokenResourceError:
            pass

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            listeners = await nursery.start(
                lambda task_status: trio.serve_tcp(handle, 0, host="127.0.0.1",
                                                   backlog=BACKLOG, task_status=task_status))
            _announce(listeners[0].socket.getsockname()[1])

    trio.run(main)


def serve_threads() -> None:
    threading.stack_size(256 * 1024)

    def handle(conn: socket.socket) -> None:
        with conn:
            recv, sendall = conn.recv, conn.sendall
            try:
                while data := recv(READ):
                    sendall(data)
            except OSError:
                pass

    listener = socket.create_server(("127.0.0.1", 0), backlog=BACKLOG)
    _announce(listener.getsockname()[1])
    while True:
        conn, _ = listener.accept()
        _nodelay(conn)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


SERVERS: dict[str, Callable[[], None]] = {
    "stackful": serve_stackful,
    "stackful, epoll oneshot engine": lambda: serve_stackful("epoll oneshot"),
    "stackful, selectors engine": lambda: serve_stackful("selectors"),
    "asyncio streams": lambda: _asyncio_streams(_asyncio_new),
    "asyncio protocol": lambda: _asyncio_protocol(_asyncio_new),
    "uvloop streams": lambda: _asyncio_streams(_uvloop_new),
    "uvloop protocol": lambda: _asyncio_protocol(_uvloop_new),
    "gevent": serve_gevent,
    "trio": serve_trio,
    "threads": serve_threads,
}

#: The module each server needs beyond the standard library and stackful.
NEEDS = {"uvloop streams": "uvloop", "uvloop protocol": "uvloop", "gevent": "gevent",
         "trio": "trio"}


def main_server(kind: str) -> int:
    raise_fd_limit()
    SERVERS[kind]()
    return 0


# ------------------------------------------------------------------ load generator

def main_client(port: int, active: int, idle: int, seconds: float, size: int) -> int:
    """Open ``idle`` connections that stay silent, then ``active`` ones that each send
    ``size`` bytes and wait for their echo, over and over; after a warm-up, count the
    round trips of ``seconds`` and print the rate as JSON.  One thread, epoll, level-
    triggered: every connection always has exactly one message in flight."""
    raise_fd_limit()
    address = ("127.0.0.1", port)
    idle_socks = []
    for _ in range(idle):
        sock = socket.create_connection(address)
        idle_socks.append(sock)
    message = b"x" * size
    socks: dict[int, socket.socket] = {}
    pending: dict[int, int] = {}
    poller = select.epoll()
    for _ in range(active):
        sock = socket.create_connection(address)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        socks[sock.fileno()] = sock
        poller.register(sock.fileno(), select.EPOLLIN)
    for fd, sock in socks.items():
        sock.send(message)
        pending[fd] = size
    count = 0
    counting = False
    warmup_end = time.perf_counter() + min(0.2, seconds)
    end = warmup_end + seconds
    now = time.perf_counter()
    while now < end:
        for fd, _ in poller.poll(1.0):
            sock = socks[fd]
            data = sock.recv(READ)
            if not data:
                raise SystemExit("the server closed a connection")
            left = pending[fd] - len(data)
            if left <= 0:
                count += 1
                sock.send(message)
                left = size
            pending[fd] = left
        now = time.perf_counter()
        if not counting and now >= warmup_end:
            counting, count, started = True, 0, now
    elapsed = now - started
    # Let the messages in flight come back before closing (unread data would reset the
    # connections, and the servers would report it).
    drain_end = time.perf_counter() + 2.0
    while any(left != size for left in pending.values()) and time.perf_counter() < drain_end:
        for fd, _ in poller.poll(0.1):
            data = socks[fd].recv(READ)
            if not data:
                pending[fd] = size
                poller.unregister(fd)
                continue
            left = pending[fd] - len(data)
            pending[fd] = size if left <= 0 else left
            if left <= 0:
                poller.unregister(fd)
    for sock in socks.values():
        sock.close()
    for sock in idle_socks:
        sock.close()
    print(json.dumps({"round_trips": count, "seconds": elapsed,
                      "per_second": count / elapsed}))
    return 0

