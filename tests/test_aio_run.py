"""stackful.aio.run: the runtime (tasks, sleep, sockets, primitives) inside asyncio."""

import asyncio
import threading
import time

import pytest

import stackful
import stackful.aio as aio
from stackful import socket


def run(coro):
    return asyncio.run(coro)


def test_result_and_exception_of_the_main_task():
    async def main():
        assert await aio.run(lambda a, b: a + b, 2, 3) == 5
        with pytest.raises(ZeroDivisionError):
            await aio.run(lambda: 1 / 0)

    run(main())


def test_bad_input():
    async def main():
        with pytest.raises(TypeError, match="plain callable"):
            await aio.run(42)

    run(main())


def test_asyncio_sleep_and_stackful_sleep_run_concurrently():
    events = []

    async def asyncio_side():
        for i in range(5):
            events.append(("asyncio", i))
            await asyncio.sleep(0.04)

    def stackful_side():
        def worker(i):
            stackful.sleep(0.02 + 0.04 * i)
            events.append(("stackful", i))

        with stackful.TaskGroup() as tg:
            for i in range(5):
                tg.spawn(worker, i)
        return "done"

    async def main():
        start = time.monotonic()
        results = await asyncio.gather(asyncio_side(), aio.run(stackful_side))
        return results, time.monotonic() - start

    (_, result), elapsed = run(main())
    assert result == "done"
    # Interleaved, not one after the other: ~0.2 s in all, not ~0.4 s.
    assert elapsed < 0.35, elapsed
    kinds = [k for k, _ in events]
    assert kinds[:4] == ["asyncio", "stackful", "asyncio", "stackful"], events
    assert sorted(events) == sorted([("asyncio", i) for i in range(5)]
                                    + [("stackful", i) for i in range(5)])


def test_busy_stackful_tasks_do_not_starve_asyncio():
    async def ticker(ticks, stop):
        while not stop.is_set():
            ticks.append(1)
            await asyncio.sleep(0)

    def spinner(n):
        for _ in range(n):
            stackful.sleep(0)
        return n

    async def main():
        ticks, stop = [], threading.Event()
        task = asyncio.create_task(ticker(ticks, stop))
        await asyncio.sleep(0)
        result = await aio.run(spinner, 200)
        stop.set()
        await task
        return result, len(ticks)

    result, ticks = run(main())
    assert result == 200
    assert ticks >= 150          # asyncio got a turn (nearly) every stackful pass


def test_asyncio_server_and_stackful_socket_client_in_one_loop():
    async def handle(reader, writer):
        while data := await reader.read(65536):
            writer.write(data.upper())
            await writer.drain()
        writer.close()
        await writer.wait_closed()

    def client(port, n):
        got = []
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for i in range(n):
                message = b"hello %d " % i * 100
                sock.sendall(message)
                received = b""
                while len(received) < len(message):
                    received += sock.recv(65536)
                got.append(received == message.upper())
        return all(got) and len(got) == n

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            def clients():
                with stackful.TaskGroup() as tg:
                    tasks = [tg.spawn(client, port, 20) for _ in range(10)]
                return [t.result() for t in tasks]

            return await aio.run(clients)

    assert run(main()) == [True] * 10


def test_stackful_server_and_asyncio_client_in_one_loop():
    def serve(listener, connections):
        def handle(conn):
            with conn:
                while data := conn.recv(65536):
                    conn.sendall(data[::-1])

        with stackful.TaskGroup() as tg:
            for _ in range(connections):
                conn, _ = listener.accept()
                tg.spawn(handle, conn)
        return "served"

    async def client(port, i):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        replies = []
        for k in range(10):
            message = b"%d:%d|" % (i, k) * 20
            writer.write(message)
            await writer.drain()
            replies.append(await reader.readexactly(len(message)) == message[::-1])
        writer.close()
        await writer.wait_closed()
        return all(replies)

    async def main():
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        with listener:
            results = await asyncio.gather(aio.run(serve, listener, 8),
                                           *(client(port, i) for i in range(8)))
        return results

    results = run(main())
    assert results == ["served"] + [True] * 8


def test_primitives_and_spawn():
    def main_task():
        lock = stackful.Lock()
        queue = stackful.Queue(2)
        event = stackful.Event()
        log = []

        def producer():
            for i in range(5):
                queue.put(i)
            queue.close()

        def consumer():
            for item in queue:
                with lock:
                    log.append(item)
                    stackful.sleep(0.001)
            event.set()

        stackful.spawn(producer)
        c = stackful.spawn(consumer)
        assert event.wait(timeout=5)
        c.join()
        return log

    async def main():
        return await aio.run(main_task)

    assert run(main()) == [0, 1, 2, 3, 4]


def test_timeouts_of_the_runtime():
    def main_task():
        with stackful.move_on_after(0.01) as scope:
            stackful.sleep(10)
        with pytest.raises(TimeoutError):
            with stackful.timeout(0.01):
                stackful.Event().wait()
        return scope.cancelled_caught

    async def main():
        return await aio.run(main_task)

    assert run(main()) is True


def test_to_thread_and_portal_wake_the_scheduler():
    def main_task():
        portal = stackful.Portal()
        event = stackful.Event()
        threading.Timer(0.02, lambda: portal.call(event.set)).start()
        assert event.wait(timeout=5)
        return stackful.to_thread(lambda: threading.current_thread().name)

    async def main():
        return await aio.run(main_task)

    assert run(main()).startswith("stackful.to_thread")


def test_cancelling_the_awaiting_task_cancels_every_stackful_task():
    log = []

    def worker(name):
        try:
            stackful.sleep(10)
        finally:
            log.append(name)

    def main_task(started):
        stackful.spawn(worker, "spawned")
        try:
            with stackful.TaskGroup() as tg:
                tg.spawn(worker, "in group")
                stackful.sleep(0)
                started.set()
                stackful.sleep(10)
        finally:
            log.append("main")
            # A cleanup that must still wait: shielded, as in the runtime.
            with stackful.CancelScope(shield=True):
                stackful.sleep(0.01)
            log.append("main cleaned up")

    async def main():
        started = threading.Event()
        task = asyncio.create_task(aio.run(main_task, started))
        while not started.is_set():
            await asyncio.sleep(0.001)
        task.cancel("from asyncio")
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert run(main()) is True
    assert sorted(log) == sorted(["in group", "main", "main cleaned up", "spawned"])
    assert log.index("main") < log.index("main cleaned up")


def test_asyncio_timeout_around_run():
    log = []

    def main_task():
        try:
            stackful.sleep(10)
        finally:
            log.append("finally")

    async def main():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.02):
                await aio.run(main_task)
        return asyncio.current_task().cancelling()

    assert run(main()) == 0
    assert log == ["finally"]


def test_a_main_task_that_catches_cancelled_still_ends_the_run_cancelled():
    def main_task():
        try:
            stackful.sleep(10)
        except stackful.Cancelled:
            return "caught"

    async def main():
        task = asyncio.create_task(aio.run(main_task))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())


def test_an_error_during_cancellation_is_not_hidden():
    def main_task():
        try:
            stackful.sleep(10)
        finally:
            raise ValueError("cleanup failed")

    async def main():
        task = asyncio.create_task(aio.run(main_task))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(ValueError, match="cleanup failed"):
            await task

    run(main())


def test_one_scheduler_per_thread():
    async def main():
        started = asyncio.Event()

        def first():
            stackful.sleep(0.05)

        async def second():
            await asyncio.sleep(0.01)
            with pytest.raises(stackful.CoroutineError, match="already runs in this thread"):
                await aio.run(lambda: None)
            started.set()

        await asyncio.gather(aio.run(first), second())
        assert started.is_set()
        # Once the first is done, a new run works.
        return await aio.run(lambda: "again")

    assert run(main()) == "again"


def test_runtime_calls_outside_a_task_still_say_so():
    async def main():
        with pytest.raises(stackful.CoroutineError, match="outside stackful.run"):
            stackful.sleep(0)

    run(main())


def test_the_runtime_on_asyncio_in_a_subprocess_with_ctrl_c(python_subprocess):
    # Ctrl-C under asyncio.run cancels the main asyncio task; the stackful tasks are
    # cancelled, their finally blocks run, and asyncio.run raises KeyboardInterrupt.
    proc = python_subprocess("""
        import asyncio, os, signal, threading
        import stackful, stackful.aio as aio

        def main_task():
            def worker():
                try:
                    stackful.sleep(30)
                finally:
                    print("worker finally", flush=True)
            stackful.spawn(worker)
            threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
            try:
                stackful.sleep(30)
            finally:
                print("main finally", flush=True)

        try:
            asyncio.run(aio.run(main_task))
        except KeyboardInterrupt:
            print("KeyboardInterrupt")
    """, timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.split()
    assert proc.stdout.splitlines() == ["main finally", "worker finally", "KeyboardInterrupt"], (
        proc.stdout, proc.stderr, lines)


def test_asyncio_signal_handlers_keep_working(python_subprocess):
    proc = python_subprocess("""
        import asyncio, os, signal, threading
        import stackful, stackful.aio as aio

        async def main():
            got = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, got.set)

            def main_task():
                threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1)).start()
                stackful.sleep(0.3)

            async def waiter():
                await asyncio.wait_for(got.wait(), 5)
                return "handled while stackful ran"

            print((await asyncio.gather(aio.run(main_task), waiter()))[1])

        asyncio.run(main())
    """, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "handled while stackful ran"
