"""06 -- An echo server and its clients, written like threaded code.

``stackful.run(main)`` starts the scheduler. ``main`` opens a listening socket from
``stackful.socket`` (the standard library's socket interface, but a call that would
block suspends only the task that made it) and starts the server as a task. Each
accepted connection gets a task of its own that loops on ``recv``/``sendall`` -- no
callbacks, no ``async``/``await``, and the helpers it calls can wait too.

The clients are tasks as well, in a ``TaskGroup``: leaving the ``with`` block waits
for all of them, and if one failed the others would be cancelled and the error
raised. One client disconnects in the middle of a line; the server sees the end of
its stream and carries on with the others. At the end ``main`` cancels the server:
``Cancelled`` is raised where it waits in ``accept()``, its ``finally`` closes the
listening socket, and the connection tasks (in the server's group) are cancelled
with it.
"""

import stackful
from stackful import socket


def read_line(conn):
    """A helper that waits: the task suspends in here, two calls below the handler."""
    line = b""
    while not line.endswith(b"\n"):
        chunk = conn.recv(1024)
        if not chunk:
            return line                          # the client went away
        line += chunk
    return line


def handle(conn, log):
    with conn:
        while line := read_line(conn):
            if not line.endswith(b"\n"):
                log.append("server: connection closed mid-line after %r" % line)
                return
            conn.sendall(b"echo: " + line)


def serve(listener, log):
    try:
        with stackful.TaskGroup() as connections:
            while True:
                conn, _ = listener.accept()
                connections.spawn(handle, conn, log)
    finally:
        listener.close()
        log.append("server: stopped")


def client(port, name, lines):
    replies = []
    with socket.create_connection(("127.0.0.1", port)) as conn:
        for line in lines:
            conn.sendall(line.encode() + b"\n")
            replies.append(read_line(conn).decode().strip())
    return name, replies


def impatient_client(port):
    conn = socket.create_connection(("127.0.0.1", port))
    conn.sendall(b"I will not fin")
    conn.close()


def main():
    log = []
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = stackful.spawn(serve, listener, log)

    with stackful.TaskGroup() as clients:
        tasks = [clients.spawn(client, port, "client %d" % i,
                               ["hello from %d" % i, "line %d.2" % i]) for i in range(3)]
        clients.spawn(impatient_client, port)
    for task in tasks:
        name, replies = task.result()
        print(name, "got", replies)
        assert replies == ["echo: hello from %s" % name[-1], "echo: line %s.2" % name[-1]]

    while len(log) < 1:
        stackful.sleep(0.001)                    # let the server see the impatient one
    server.cancel()
    try:
        server.join()
    except stackful.Cancelled:
        print("server cancelled")
    for entry in log:
        print(entry)
    assert log == ["server: connection closed mid-line after b'I will not fin'",
                   "server: stopped"]


if __name__ == "__main__":
    stackful.run(main)
