"""Stack overflow: reported clearly, never silent corruption (run in subprocesses)."""

import os
import signal
import sys
import textwrap

import pytest

from nativelib import native_recursion

TESTS = os.path.dirname(os.path.abspath(__file__))
NATIVE = "import sys; sys.path.insert(0, %r); from nativelib import native_recursion\n" % TESTS

# Native recursion (no interpreter involved, so no CPython version's recursion check
# stops it) until the coroutine's stack runs out.
OVERFLOW = NATIVE + """
import stackful

def overflowing_task():
    return native_recursion()(10**9)

co = stackful.Coroutine(overflowing_task, stack=stackful.ShareStack(64 * 1024))
co.resume()
print("not reached")
"""


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_guard_page_overflow_is_reported(python_subprocess):
    proc = python_subprocess(OVERFLOW)
    assert proc.returncode == -signal.SIGSEGV, proc
    assert "not reached" not in proc.stdout
    assert (
        "stackful: stack overflow in coroutine overflowing_task (its ShareStack has "
        "65536 bytes); use a larger ShareStack" in proc.stderr
    ), proc.stderr


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_overflow_report_chains_to_faulthandler(python_subprocess):
    proc = python_subprocess("import faulthandler; faulthandler.enable()\n" + OVERFLOW)
    assert proc.returncode != 0
    assert "stackful: stack overflow in coroutine overflowing_task" in proc.stderr
    assert "Fatal Python error: Segmentation fault" in proc.stderr


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_overflow_on_default_stack_in_a_thread(python_subprocess):
    proc = python_subprocess(NATIVE + textwrap.dedent(
        """
        import threading, stackful
        def runaway():
            return native_recursion()(10**9)
        def thread_main():
            stackful.Coroutine(runaway).resume()
        th = threading.Thread(target=thread_main)
        th.start(); th.join()
        """)
    )
    assert proc.returncode == -signal.SIGSEGV
    import stackful

    assert ("stackful: stack overflow in coroutine runaway (its ShareStack has %d bytes)"
            % stackful._core.DEFAULT_STACK_SIZE) in proc.stderr


CALLBACK_RECURSION = """
import stackful

def walk(node):
    # Each level: C code (map, sum) calling back into Python, i.e. C stack.
    return node if isinstance(node, int) else sum(map(walk, node))

tree = 1
for _ in range(400):
    tree = [tree]
try:
    stackful.Coroutine(walk, tree, stack=stackful.ShareStack(64 * 1024)).resume()
except RecursionError as e:
    print("RecursionError:", e)
"""


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_deep_c_recursion_through_the_interpreter(python_subprocess):
    proc = python_subprocess(CALLBACK_RECURSION)
    if sys.version_info >= (3, 14):
        # 3.14 checks the real stack pointer against the coroutine's own stack bounds.
        assert proc.returncode == 0 and proc.stdout.startswith("RecursionError:"), proc
    else:
        assert proc.returncode == -signal.SIGSEGV, proc
        assert "stackful: stack overflow in coroutine walk" in proc.stderr


@pytest.mark.not_under_asan("ASan's SIGSEGV handler reports the fault")
def test_unrelated_segfault_is_not_misreported(python_subprocess):
    proc = python_subprocess(
        """
        import ctypes, stackful
        stackful.Coroutine(print).resume()
        ctypes.string_at(8)
        """
    )
    assert proc.returncode == -signal.SIGSEGV
    assert "stackful:" not in proc.stderr


def test_python_recursion_in_coroutine_raises_recursion_error_on_small_stack():
    import stackful

    def recurse(n):
        return recurse(n + 1)

    # Pure Python recursion costs no C stack on 3.11+: RecursionError, as usual.
    with pytest.raises(RecursionError):
        stackful.Coroutine(recurse, 0, stack=stackful.ShareStack(16 * 1024)).resume()


def test_native_recursion_helper_is_bounded():
    assert native_recursion()(10) == 10
