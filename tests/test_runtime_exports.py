"""The exact public names of stackful.runtime, stackful.socket and stackful.ssl (the
names of stackful itself are checked by test_api.py)."""

import socket as stdlib_socket
import types

import stackful
import stackful.runtime
import stackful.socket
import stackful.ssl

RUNTIME = {
    "BoundedSemaphore", "CancelScope", "Cancelled", "Condition", "Engine", "EpollEngine",
    "Event", "HANGUP", "Lock", "Portal", "Queue", "QueueClosed", "READABLE", "RWLock", "Semaphore",
    "Task", "TaskGroup", "WRITABLE", "clock", "current_task", "dump_tasks",
    "install_dump_handler", "move_on_after", "run", "set_switch_hook", "sleep", "spawn",
    "tasks", "timeout", "to_thread", "wait_readable", "wait_writable",
}

# stackful.socket is the standard module's interface: the same names, the blocking ones
# replaced by cooperative versions.
COOPERATIVE_SOCKET = {
    "socket", "SocketType", "socketpair", "fromfd", "create_connection", "create_server",
    "getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr", "getnameinfo",
    "getfqdn",
}


def public(module):
    return {n for n in dir(module) if not n.startswith("_")
            and not isinstance(getattr(module, n), types.ModuleType)}


def test_runtime_names():
    assert set(stackful.runtime.__all__) == RUNTIME
    assert public(stackful.runtime) == RUNTIME
    # Everything but the tools' names is re-exported by stackful itself.
    tools = {"Engine", "EpollEngine", "HANGUP", "READABLE", "WRITABLE", "install_dump_handler",
             "set_switch_hook"}
    for name in RUNTIME - tools:
        assert getattr(stackful, name) is getattr(stackful.runtime, name), name
    assert not tools & set(stackful.__all__)


def test_socket_names_are_the_standard_modules_with_cooperative_replacements():
    assert set(stackful.socket.__all__) == set(stdlib_socket.__all__)
    for name in stdlib_socket.__all__:
        ours = getattr(stackful.socket, name)
        if name in COOPERATIVE_SOCKET:
            assert ours is not getattr(stdlib_socket, name), name
        else:
            assert ours is getattr(stdlib_socket, name), name
    assert issubclass(stackful.socket.socket, stdlib_socket.socket)


def test_ssl_names():
    assert set(stackful.ssl.__all__) == {"SSLSocket", "wrap_socket"}
    assert all(callable(getattr(stackful.ssl, name)) for name in stackful.ssl.__all__)
