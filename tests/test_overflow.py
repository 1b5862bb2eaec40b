"""Stack overflow: reported clearly, never silent corruption (run in subprocesses)."""

import signal

import pytest


OVERFLOW = """
import stackful

def deep(n):
    # C recursion: each level is a new interpreter C frame on the coroutine's stack.
    return list(map(deep, [n + 1]))[0]

def overflowing_task():
    return deep(0)

co = stackful.Coroutine(overflowing_task, stack=stackful.ShareStack(64 * 1024))
co.resume()
print("not reached")
"""


def test_guard_page_overflow_is_reported(python_subprocess):
    proc = python_subprocess(OVERFLOW)
    assert proc.returncode == -signal.SIGSEGV, proc
    assert "not reached" not in proc.stdout
    assert (
        "stackful: stack overflow in coroutine overflowing_task (its ShareStack has "
        "65536 bytes); use a larger ShareStack" in proc.stderr
    ), proc.stderr


def test_overflow_report_chains_to_faulthandler(python_subprocess):
    proc = python_subprocess("import faulthandler; faulthandler.enable()\n" + OVERFLOW)
    assert proc.returncode != 0
    assert "stackful: stack overflow in coroutine overflowing_task" in proc.stderr
    assert "Fatal Python error: Segmentation fault" in proc.stderr


def test_overflow_on_default_stack_in_a_thread(python_subprocess):
    proc = python_subprocess(
        """
        import sys, threading, stackful
        sys.setrecursionlimit(1_000_000)
        def deep(n):
            return list(map(deep, [n + 1]))[0]
        def runaway():
            return deep(0)
        def thread_main():
            stackful.Coroutine(runaway).resume()
        th = threading.Thread(target=thread_main)
        th.start(); th.join()
        """
    )
    assert proc.returncode == -signal.SIGSEGV
    assert "stackful: stack overflow in coroutine runaway (its ShareStack has 2097152 bytes)" in proc.stderr


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

    # Pure Python recursion does not grow the C stack in 3.11: RecursionError, as usual.
    with pytest.raises(RecursionError):
        stackful.Coroutine(recurse, 0, stack=stackful.ShareStack(16 * 1024)).resume()
