"""stackful.socket: cooperative sockets, servers and clients, failure paths."""

import errno
import gc
import io
import os
import resource

import pytest

import stackful
from stackful import socket
from stackful.runtime import _scheduler


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def serve_echo(listener, handled):
    def handle(conn):
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except ConnectionResetError:
                pass
        handled.append(1)

    with stackful.TaskGroup() as tg:
        while True:
            conn, _ = listener.accept()
            tg.spawn(handle, conn)


def test_echo_server_with_thousands_of_connections():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    clients = min(2000, (resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 200) // 2)
    handled = []

    def client(port, i):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for k in range(5):
                message = b"%d-%d|" % (i, k) * 50
                sock.sendall(message)
                got = b""
                while len(got) < len(message):
                    got += sock.recv(65536)
                assert got == message
        return i

    def main():
        listener = socket.create_server(("127.0.0.1", 0), backlog=4096)
        port = listener.getsockname()[1]
        server = stackful.spawn(serve_echo, listener, handled)
        with stackful.timeout(120):
            with stackful.TaskGroup() as tg:
                tasks = [tg.spawn(client, port, i) for i in range(clients)]
        assert [t.result() for t in tasks] == list(range(clients))
        while len(handled) < clients:
            stackful.sleep(0.01)
        server.cancel()
        listener.close()

    stackful.run(main)
    assert len(handled) == clients


def test_a_client_that_disconnects_mid_message():
    def main():
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        received = []

        def handle():
            conn, _ = listener.accept()
            with conn:
                while data := conn.recv(65536):
                    received.append(data)
            return b"".join(received)

        server = stackful.spawn(handle)
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"half a mess")
        client.close()
        assert server.join() == b"half a mess"
        # A reset (unread data at close) reaches the server as ConnectionResetError.
        server = stackful.spawn(handle)
        client = socket.create_connection(("127.0.0.1", port))
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.sendall(b"x")
        stackful.sleep(0.01)
        client.close()
        with pytest.raises(ConnectionResetError):
            server.join()
        listener.close()

    stackful.run(main)


def test_back_pressure_sendall_suspends_and_memory_stays_bounded():
    def main():
        a, b = socket.socketpair()
        payload = memoryview(bytearray(64 * 1024 * 1024))
        before = rss()
        sender = stackful.spawn(a.sendall, payload)
        ticks = 0
        for _ in range(20):
            stackful.sleep(0.005)
            ticks += 1
        assert sender.state == "waiting" and "writable" in sender.waiting_on
        assert ticks == 20                        # the other tasks kept running
        assert rss() - before < 16 * 1024 * 1024  # nothing buffered in user space
        got = 0
        while got < len(payload):
            got += len(b.recv(1 << 20))
        sender.join()
        a.close()
        b.close()

    stackful.run(main)


def test_timeouts_have_the_standard_meaning():
    def main():
        a, b = socket.socketpair()
        assert a.gettimeout() is None and a.getblocking()
        a.settimeout(0.01)
        with pytest.raises(TimeoutError):
            a.recv(10)
        with pytest.raises(socket.timeout):
            a.recv_into(bytearray(10))
        a.setblocking(False)
        assert a.gettimeout() == 0.0 and not a.getblocking()
        with pytest.raises(BlockingIOError):
            a.recv(10)
        with pytest.raises(ValueError):
            a.settimeout(-1)
        a.settimeout(None)
        b.send(b"now")
        assert a.recv(10) == b"now"
        # The timeout of sendall covers the whole call.
        b.settimeout(0.05)
        b.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        with pytest.raises(TimeoutError):
            b.sendall(b"x" * 10_000_000)
        a.close()
        b.close()

    stackful.run(main)


def test_makefile_readline_and_write():
    def main():
        a, b = socket.socketpair()
        reader = b.makefile("rb")
        writer = a.makefile("wb", buffering=0)

        def produce():
            for line in (b"first\n", b"second\n"):
                writer.write(line)
                stackful.sleep(0.005)
            writer.close()
            a.close()

        stackful.spawn(produce)
        assert reader.readline() == b"first\n"
        assert reader.readline() == b"second\n"
        assert reader.readline() == b""
        reader.close()
        b.close()

    stackful.run(main)


def test_connect_accept_and_errors():
    def main():
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        accepted = stackful.spawn(listener.accept)
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.connect(("127.0.0.1", port))
        conn, address = accepted.join()
        assert isinstance(conn, socket.socket) and address == client.getsockname()
        assert conn.gettimeout() is None
        conn.close()
        client.close()
        listener.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port))
        assert socket.socket().connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
        infos = socket.getaddrinfo("localhost", port, type=socket.SOCK_STREAM)
        assert any(info[4][1] == port for info in infos)
        assert socket.getaddrinfo("127.0.0.1", "80")[0][4] == ("127.0.0.1", 80)

    stackful.run(main)


def test_udp_sendto_recvfrom():
    def main():
        server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server.bind(("127.0.0.1", 0))
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        receiving = stackful.spawn(server.recvfrom, 100)
        stackful.sleep(0)
        client.sendto(b"datagram", server.getsockname())
        data, address = receiving.join()
        assert data == b"datagram" and address[1] == client.getsockname()[1]
        server.close()
        client.close()

    stackful.run(main)


def test_closing_a_socket_wakes_its_waiter_with_ebadf():
    def main():
        a, b = socket.socketpair()
        reader = stackful.spawn(a.recv, 10)
        stackful.sleep(0)
        a.close()
        with pytest.raises(OSError) as info:
            reader.join()
        assert info.value.errno == errno.EBADF and "closed while task" in str(info.value)
        b.close()
        assert not _scheduler.current_scheduler()._readers.waiting

    stackful.run(main)


def test_two_readers_on_one_socket_is_an_error():
    def main():
        a, b = socket.socketpair()
        first = stackful.spawn(a.recv, 10)
        stackful.sleep(0)
        with pytest.raises(RuntimeError, match="already waits until fd"):
            a.recv(10)
        first.cancel()
        a.close()
        b.close()

    stackful.run(main)


def test_a_drained_socket_still_sees_data_that_arrives_while_its_task_does_other_things():
    # After a short read (the buffer drained) the next recv may wait without trying
    # the system call; data that arrived while the task slept or waited elsewhere
    # must still be found, not waited for forever.
    def main():
        a, b = socket.socketpair()
        a.send(b"one")
        assert b.recv(100) == b"one"                    # short read: drained
        a.send(b"two")
        stackful.sleep(0.01)                            # the readiness comes meanwhile
        with stackful.timeout(5):
            assert b.recv(100) == b"two"
        ev = stackful.Event()

        def later():
            a.send(b"three")
            stackful.sleep(0.01)
            ev.set()

        stackful.spawn(later)
        ev.wait()
        with stackful.timeout(5):
            assert b.recv(100) == b"three"
        a.close()
        b.close()

    stackful.run(main)


def test_descriptor_numbers_reused_after_close_are_registered_again():
    def main():
        for _ in range(3):
            r, w = os.pipe()
            stackful.spawn(os.write, w, b"x")
            stackful.wait_readable(r, timeout=5)
            assert os.read(r, 1) == b"x"
            os.close(r)
            os.close(w)
        def use_and_abandon():
            a, b = socket.socketpair()
            b.send(b"y")
            a.recv(1)
            stackful.spawn(lambda: (stackful.sleep(0.005), b.send(b"z")))
            got = a.recv(1)                       # a waited: registered with the engine
            return a.fileno(), b, got             # a is closed by the collector, not close()

        for _ in range(3):
            number, b, got = use_and_abandon()
            assert got == b"z"
            gc.collect()
            c, d = socket.socketpair()
            assert number in (c.fileno(), d.fileno())
            stackful.spawn(lambda: (stackful.sleep(0.005), d.send(b"w"), c.send(b"w")))
            with stackful.timeout(5):
                assert c.recv(1) == b"w" and d.recv(1) == b"w"
            for s in (b, c, d):
                s.close()

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        stackful.run(main)


def test_wait_readable_and_writable_accept_objects_with_fileno():
    def main():
        r, w = os.pipe()
        with open(r, "rb", buffering=0) as reader, open(w, "wb", buffering=0) as writer:
            stackful.wait_writable(writer, timeout=5)
            writer.write(b"!")
            stackful.wait_readable(reader, timeout=5)
            assert reader.read(1) == b"!"
        with pytest.raises(TypeError, match="fileno"):
            stackful.wait_readable("not a file")
        with pytest.raises(ValueError, match="not open"):
            stackful.wait_readable(-1)

    stackful.run(main)


def test_sendfile_dup_and_fromfd():
    def main():
        a, b = socket.socketpair()
        data = io.BytesIO(b"0123456789" * 1000)
        data.mode = "rb"
        assert a.sendfile(data) == 10_000
        got = b""
        while len(got) < 10_000:
            got += b.recv(65536)
        assert got == b"0123456789" * 1000
        c = a.dup()
        assert isinstance(c, socket.socket)
        d = socket.fromfd(b.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
        c.send(b"via dup")
        assert d.recv(100) == b"via dup"
        for s in (a, b, c, d):
            s.close()

    stackful.run(main)


def test_an_end_of_stream_already_there_after_a_drained_read_is_seen():
    # The data and the end of the stream arrive together: the read returns the data
    # (short: the buffer looks drained) and the next read must see the end at once.
    def main():
        for _ in range(20):
            a, b = socket.socketpair()
            a.sendall(b"last words")
            a.close()
            stackful.sleep(0.001)
            with stackful.timeout(5):
                assert b.recv(100) == b"last words"
                assert b.recv(100) == b""
            b.close()
        a, b = socket.socketpair()
        a.send(b"peek")
        with stackful.timeout(5):
            assert b.recv(100, socket.MSG_PEEK) == b"peek"      # nothing consumed
            assert b.recv(100) == b"peek"
        a.close()
        b.close()

    stackful.run(main)
