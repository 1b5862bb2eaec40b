import os
import signal
import subprocess
import sys
import textwrap

import pytest

import stackful._core
from system_limits import rlimit_as_applies


def _built_with_asan():
    # An AddressSanitizer build of the extension names libasan among its needed
    # libraries (setup.py: STACKFUL_DEBUG=asan).
    with open(stackful._core.__file__, "rb") as f:
        return b"libasan.so" in f.read()


ASAN_BUILD = _built_with_asan()


RLIMIT_AS_APPLIES = rlimit_as_applies()


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "not_under_asan(reason): the test cannot run under AddressSanitizer (its own "
        "SIGSEGV handler reports faults instead of stackful's; its shadow memory needs "
        "more address space than RLIMIT_AS tests leave)")
    config.addinivalue_line(
        "markers",
        "needs_rlimit_as: the test lowers RLIMIT_AS and needs the system to apply it")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not RLIMIT_AS_APPLIES and item.get_closest_marker("needs_rlimit_as"):
            item.add_marker(pytest.mark.skip(
                reason="setrlimit(RLIMIT_AS) is not applied here (qemu-user ignores it)"))
        marker = item.get_closest_marker("not_under_asan")
        if ASAN_BUILD and marker is not None:
            item.add_marker(pytest.mark.skip(reason="AddressSanitizer build: " +
                                              (marker.args[0] if marker.args else "")))


def default_sigint():
    """preexec_fn for children that test Ctrl-C: a runner started with SIGINT ignored
    (a background job of a non-interactive shell) would pass SIG_IGN on, and CPython
    then installs no KeyboardInterrupt handler."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_python(code, *, timeout=120, env=None):
    """Run code in a fresh interpreter (for what may crash it); returns CompletedProcess."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONFAULTHANDLER", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
        preexec_fn=default_sigint,
    )


@pytest.fixture
def python_subprocess():
    return run_python
