"""What the checker knows about the world, and how a project changes it.

Design principles:

* The knowledge lives in ONE place: the cooperative primitives of stackful
  (``DEFAULT_ROOTS``), the callables that run a function inside or outside a
  coroutine, the annotation names and the known blocking calls are the
  ``DEFAULT_*`` tuples below.  Nothing else in the checker hard-codes them.
* A project extends (never silently replaces) that knowledge in
  ``pyproject.toml`` under ``[tool.stackful.check]``; command-line options
  add to it again.  Unknown keys are errors, not typos to ignore.
* Names are plain dotted strings (``time.sleep``, ``socket.socket.recv``);
  they match however the analysed code spells the import.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_BLOCKING",
    "DEFAULT_BLOCKING_ANNOTATIONS",
    "DEFAULT_COROUTINE_ANNOTATIONS",
    "DEFAULT_ENTRY_POINTS",
    "DEFAULT_OUTSIDE_RUNNERS",
    "DEFAULT_ROOTS",
    "Config",
    "ConfigError",
    "find_pyproject",
    "load_config",
]

#: The runtime's calls that may suspend the calling task (``stackful.runtime``, its
#: names re-exported by ``stackful``); tests/test_check.py keeps this in step with
#: the functions the runtime annotates ``@coroutine_fn``.
RUNTIME_SUSPENDING: tuple[str, ...] = (
    "sleep", "wait_readable", "wait_writable", "to_thread",
    "Task.join",
    "Lock.acquire", "Lock.__enter__",
    "Event.wait",
    "Condition.acquire", "Condition.__enter__", "Condition.wait", "Condition.wait_for",
    "Semaphore.acquire", "Semaphore.__enter__",
    "BoundedSemaphore.acquire", "BoundedSemaphore.__enter__",
    "Queue.get", "Queue.put", "Queue.__iter__",
    "RWLock.acquire_read", "RWLock.acquire_write", "RWLock.upgrade",
    "RWLock.read_locked", "RWLock.write_locked",
    "TaskGroup.__exit__",
)

#: The cooperative sockets and TLS (``stackful.socket``, ``stackful.ssl``).
SOCKET_SUSPENDING: tuple[str, ...] = tuple(
    ["stackful.socket." + name for name in (
        "create_connection", "getaddrinfo", "gethostbyname", "gethostbyname_ex",
        "gethostbyaddr", "getnameinfo", "getfqdn")]
    + ["stackful.socket.socket." + name for name in (
        "recv", "recv_into", "recvfrom", "recvfrom_into", "recvmsg", "send", "sendto",
        "sendmsg", "sendall", "sendfile", "accept", "connect", "connect_ex")]
    + ["stackful.ssl.wrap_socket"]
    + ["stackful.ssl.SSLSocket." + name for name in (
        "do_handshake", "recv", "recv_into", "read", "send", "write", "sendall", "unwrap")]
)

#: Cooperative primitives: calling one may suspend the running coroutine.
#: ``Coroutine.resume`` is deliberately absent: it runs another coroutine and
#: returns, so for its caller it is an ordinary (native) call.
DEFAULT_ROOTS: tuple[str, ...] = (
    "stackful.suspend",
    "stackful.emit",
    "stackful.lowlevel.transfer",
    "stackful._core.suspend",
    "stackful._core.transfer",
    *(package + "." + name for package in ("stackful", "stackful.runtime")
      for name in RUNTIME_SUSPENDING),
    *SOCKET_SUSPENDING,
)

#: Callables whose function argument runs inside a coroutine (as a call or as
#: a decorator).  ``NAME:ARGS`` picks the argument: positions and/or keyword
#: names separated by commas; plain ``NAME`` means ``NAME:0``.
DEFAULT_ENTRY_POINTS: tuple[str, ...] = (
    "stackful.Coroutine:0,fn,func,target",
    "stackful.generator:0,fn,func",
    "stackful.run:0",
    "stackful.runtime.run:0",
    "stackful.spawn:0",
    "stackful.runtime.spawn:0",
    "stackful.TaskGroup.spawn:0",
    "stackful.runtime.TaskGroup.spawn:0",
)

#: Callables whose function argument runs outside any coroutine (a thread).
DEFAULT_OUTSIDE_RUNNERS: tuple[str, ...] = (
    "threading.Thread:1,target",
    "threading.Timer:1,function",
    "_thread.start_new_thread:0",
    "_thread.start_new:0",
    "stackful.to_thread:0",
    "stackful.runtime.to_thread:0",
    "stackful.Portal.call:0",
    "stackful.runtime.Portal.call:0",
)

DEFAULT_COROUTINE_ANNOTATIONS: tuple[str, ...] = (
    "stackful.coroutine_fn",
    "stackful._annotations.coroutine_fn",
)

DEFAULT_BLOCKING_ANNOTATIONS: tuple[str, ...] = (
    "stackful.blocking_fn",
    "stackful._annotations.blocking_fn",
)

#: Calls that block the calling thread; reaching one from a coroutine
#: function stalls every coroutine of that thread.
DEFAULT_BLOCKING: tuple[str, ...] = (
    "builtins.input",
    "time.sleep",
    "os.system",
    "os.wait",
    "os.waitpid",
    "select.select",
    "select.poll.poll",
    "select.epoll.poll",
    "selectors.DefaultSelector.select",
    "signal.pause",
    "signal.sigwait",
    "socket.create_connection",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyname_ex",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
    "socket.getfqdn",
    "socket.socket.accept",
    "socket.socket.connect",
    "socket.socket.recv",
    "socket.socket.recv_into",
    "socket.socket.recvfrom",
    "socket.socket.send",
    "socket.socket.sendall",
    "socket.socket.sendto",
    "socket.socket.sendfile",
    "socket.socket.recvmsg",
    "socket.socket.sendmsg",
    "socket.socket.recvfrom_into",
    "ssl.SSLSocket.do_handshake",
    "ssl.SSLSocket.recv",
    "ssl.SSLSocket.read",
    "ssl.SSLSocket.send",
    "ssl.SSLSocket.write",
    "ssl.SSLSocket.sendall",
    "subprocess.run",
    "subprocess.call",
    "subprocess.check_call",
    "subprocess.check_output",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "subprocess.Popen.wait",
    "subprocess.Popen.communicate",
    "threading.Event.wait",
    "threading.Thread.join",
    "threading.Lock.acquire",
    "threading.Semaphore.acquire",
    "threading.Condition.wait",
    "threading.Barrier.wait",
    "concurrent.futures.Future.result",
    "concurrent.futures.wait",
    "asyncio.run",
    "queue.Queue.get",
    "queue.Queue.put",
    "urllib.request.urlopen",
    "requests.get",
    "requests.post",
    "requests.put",
    "requests.patch",
    "requests.delete",
    "requests.head",
    "requests.options",
    "requests.request",
    "requests.Session.get",
    "requests.Session.post",
    "requests.Session.request",
)

#: Directory names never descended into when walking a directory.
DEFAULT_EXCLUDE: tuple[str, ...] = (
    "__pycache__",
    "build",
    "dist",
    "node_modules",
    "venv",
    "*.egg-info",
)

_LIST_KEYS = (
    "roots",
    "blocking",
    "entry_points",
    "outside_runners",
    "coroutine_annotations",
    "blocking_annotations",
    "exclude",
    "ignore",
)
_BOOL_KEYS = ("external",)


class ConfigError(Exception):
    """A configuration problem; the command line reports it and exits 2."""


@dataclass(frozen=True)
class Config:
    roots: tuple[str, ...] = DEFAULT_ROOTS
    blocking: tuple[str, ...] = DEFAULT_BLOCKING
    entry_points: tuple[str, ...] = DEFAULT_ENTRY_POINTS
    outside_runners: tuple[str, ...] = DEFAULT_OUTSIDE_RUNNERS
    coroutine_annotations: tuple[str, ...] = DEFAULT_COROUTINE_ANNOTATIONS
    blocking_annotations: tuple[str, ...] = DEFAULT_BLOCKING_ANNOTATIONS
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    ignore: tuple[str, ...] = ()
    external: bool = True
    #: Directory that relative ``exclude`` patterns are matched against.
    base: Path = field(default_factory=Path.cwd)
    source: str = ""

    def extended(self, **extra: Any) -> Config:
        """A copy with list settings appended to and other settings replaced."""
        changes: dict[str, Any] = {}
        for key, value in extra.items():
            if value is None:
                continue
            if key in _LIST_KEYS:
                changes[key] = _dedupe(getattr(self, key) + tuple(value))
            else:
                changes[key] = value
        return replace(self, **changes)

    def is_excluded(self, path: Path) -> bool:
        """Whether *path* (a file or directory met while walking) is excluded."""
        name = path.name
        try:
            rel = path.resolve().relative_to(self.base.resolve()).as_posix()
        except ValueError:
            rel = path.as_posix()
        for pattern in self.exclude:
            pattern = pattern.rstrip("/")
            if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(rel, pattern):
                return True
        return False


def _dedupe(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def parse_arg_spec(spec: str) -> tuple[str, tuple[int, ...], tuple[str, ...]]:
    """Split ``NAME[:ARGS]`` into the name, positions and keyword names."""
    name, _, args = spec.partition(":")
    positions: list[int] = []
    keywords: list[str] = []
    for part in (args or "0").split(","):
        part = part.strip()
        if not part:
            continue
        if part.isdigit():
            positions.append(int(part))
        elif part.isidentifier():
            keywords.append(part)
        else:
            raise ConfigError(f"bad argument selector {part!r} in {spec!r}")
    return name.strip(), tuple(positions), tuple(keywords)


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in *start* or one of its parents."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def load_config(path: Path | None, base: Config | None = None) -> Config:
    """The configuration of ``[tool.stackful.check]`` in *path*, over *base*.

    With *path* ``None`` the defaults are returned, matched against the
    current directory.
    """
    config = base or Config()
    if path is None:
        return config
    table = _read_toml(path).get("tool", {}).get("stackful", {}).get("check", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.stackful.check] must be a table")
    settings: dict[str, Any] = {}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key in _LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(f"{path}: [tool.stackful.check] {raw_key} must be a list of strings")
            settings[key] = tuple(value)
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: [tool.stackful.check] {raw_key} must be true or false")
            settings[key] = value
        else:
            known = ", ".join(k.replace("_", "-") for k in _LIST_KEYS + _BOOL_KEYS)
            raise ConfigError(f"{path}: unknown key {raw_key!r} in [tool.stackful.check] (known: {known})")
    for spec in settings.get("entry_points", ()) + settings.get("outside_runners", ()):
        parse_arg_spec(spec)
    config = config.extended(**settings)
    return replace(config, base=path.parent, source=os.fspath(path))
