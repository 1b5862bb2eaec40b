"""09 -- Past one core: the echo server in N processes sharing a port (SO_REUSEPORT).

A scheduler runs in one thread, so one process uses one core. To use more, run the
same server in several processes that each open their own listening socket on the
same port with ``SO_REUSEPORT``: the kernel spreads the incoming connections over
them. Nothing is shared between the processes; each is the plain server of example
06.

This example starts the server in 1 and then in 2 processes, and for each runs a
load generator (a stackful program too: 40 connections, 1 KiB messages, for 1 s) in
this process. It checks that every server process got connections; the round trips
per second it measured go to stderr (they depend on the machine: on a machine with
two cores, the load generator takes one of them, so two server processes cannot run
twice as fast there). docs/benchmarks.md has measured figures.
"""

import os
import subprocess
import sys

import stackful
from stackful import socket

CONNECTIONS = 40
SECONDS = 1.0
SIZE = 1024


def bound(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def serve(port):
    """One server process: echo every connection; print how many it accepted."""
    def handle(conn):
        with conn:
            while data := conn.recv(65536):
                conn.sendall(data)

    def main():
        sock = bound(port)
        sock.listen(1024)
        print("listening", flush=True)
        accepted = 0
        with stackful.TaskGroup() as connections:
            while True:
                conn, _ = sock.accept()
                accepted += 1
                print("accepted", accepted, flush=True)
                connections.spawn(handle, conn)

    stackful.run(main)


def load(port):
    """Round trips per second of CONNECTIONS clients for SECONDS."""
    counts = [0] * CONNECTIONS
    message = b"x" * SIZE

    def client(i, deadline):
        with socket.create_connection(("127.0.0.1", port)) as conn:
            while stackful.clock() < deadline:
                conn.sendall(message)
                got = 0
                while got < SIZE:
                    got += len(conn.recv(65536))
                counts[i] += 1

    def main():
        deadline = stackful.clock() + SECONDS
        with stackful.TaskGroup() as clients:
            for i in range(CONNECTIONS):
                clients.spawn(client, i, deadline)
        return sum(counts) / SECONDS

    return stackful.run(main)


def run_with(processes, port):
    servers = [subprocess.Popen([sys.executable, __file__, "--serve", str(port)],
                                stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    try:
        for server in servers:
            assert server.stdout.readline() == "listening\n"
        rate = load(port)
    finally:
        for server in servers:
            server.terminate()
    accepted = []
    for server in servers:
        lines = server.communicate(timeout=30)[0].split()
        accepted.append(lines.count("accepted"))
    return rate, accepted


def main():
    reserve = bound(0)                   # a port for the servers (bound, not listening)
    port = reserve.getsockname()[1]
    for processes in (1, 2):
        rate, accepted = run_with(processes, port)
        assert sum(accepted) == CONNECTIONS and all(accepted), accepted
        print("%d server process(es): %d connections, every process got some"
              % (processes, CONNECTIONS))
        print("[this build] %d process(es): %.0f round trips/s (pid %d, %d cores)"
              % (processes, rate, os.getpid(), os.cpu_count() or 0), file=sys.stderr)
    reserve.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        serve(int(sys.argv[2]))
    else:
        main()
