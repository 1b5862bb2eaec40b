"""04 -- Errors: every mistake stackful reports, with its exact message.

Each section makes one mistake on purpose, catches what it raises and prints it.
The ``expect()`` helper also asserts the exception's type and exact message, so
this file doubles as the reference (and a test) of stackful's error messages.

``stackful.CoroutineError`` (a ``RuntimeError``) means "not possible in the
coroutine's state"; wrong arguments raise ``TypeError``/``ValueError`` as usual.
The sections:

1. the first resume() must send None;
2. resuming a dead coroutine;
3. resuming or closing a coroutine that is not suspended (running, 'normal');
4. suspend() outside any coroutine;
5. an exception escaping the coroutine: it propagates out of resume(), with the
   coroutine's frames in the traceback, and the coroutine is dead;
6. throw(): caught, not caught, into an unstarted coroutine, not an exception;
7. close(): finally blocks run; a coroutine that ignores CoroutineExit; one whose
   cleanup raises; a dropped coroutine that refuses to die;
8. coroutines belong to the thread that created them;
9. stackful.lowlevel.transfer() errors;
10. wrong constructor arguments;
11. a C stack overflow: the process stops with a message (shown in a child process).
"""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import threading
import traceback
import warnings

import stackful
import stackful.lowlevel
from stackful import Coroutine, CoroutineError, CoroutineExit, ShareStack, suspend


def note(text):
    """Version-dependent details: for the reader, not for the golden file."""
    print(f"    [this build] {text}", file=sys.stderr, flush=True)

assert issubclass(CoroutineError, RuntimeError)
# CoroutineExit is a BaseException (like GeneratorExit): `except Exception` blocks,
# common in library code, must not swallow a close().
assert issubclass(CoroutineExit, BaseException)
assert not issubclass(CoroutineExit, Exception)


def expect(exc_type, message, action):
    """Run action(); it must raise exactly exc_type with exactly this message."""
    try:
        action()
    except BaseException as exc:
        assert type(exc) is exc_type, f"{type(exc).__name__}: {exc}"
        assert str(exc) == message, f"{type(exc).__name__}: {exc}"
        print(f"    {type(exc).__name__}: {exc}")
        return exc
    raise AssertionError(f"{action} raised nothing; expected {exc_type.__name__}")


def once():
    """Suspends once, then returns what the second resume() sent."""
    return suspend("suspended once")


# --------------------------------------------------------------------------------
print("1. the first resume() must send None")

# Nothing is waiting for a value before the function starts (as with a generator's
# first send()). The coroutine is untouched: resume it properly afterwards.
co = Coroutine(once)
expect(TypeError, "can't send non-None value to a just-started coroutine",
       lambda: co.resume("too early"))
assert co.status == "suspended" and co.resume() == "suspended once"
assert co.resume("now it is fine") == "now it is fine" and co.status == "dead"


# --------------------------------------------------------------------------------
print("2. resuming a dead coroutine")

# co returned above. A dead coroutine can't be continued or thrown into; closing it
# is allowed and does nothing, so cleanup code can close() without checking first.
expect(CoroutineError, "cannot resume dead coroutine", co.resume)
expect(CoroutineError, "cannot throw into dead coroutine", lambda: co.throw(ValueError))
assert co.close() is None and co.status == "dead"


# --------------------------------------------------------------------------------
print("3. resuming or closing a coroutine that is not suspended")


def resume_myself():
    # The running coroutine is already running: there is nothing to continue.
    expect(CoroutineError, "cannot resume non-suspended coroutine",
           stackful.current().resume)


Coroutine(resume_myself).resume()


def resume_my_resumer(resumer):
    # `resumer` is 'normal': it waits in resume() for us. Resuming it would make a
    # cycle; to give control back to it, suspend() instead.
    assert resumer.status == "normal"
    expect(CoroutineError, "cannot resume non-suspended coroutine", resumer.resume)
    expect(CoroutineError, "cannot close non-suspended coroutine", resumer.close)


def resumer_fn():
    Coroutine(resume_my_resumer, stackful.current()).resume()
    # ... and close() of the running coroutine itself: a coroutine ends by returning.
    expect(CoroutineError, "cannot close non-suspended coroutine", stackful.current().close)


Coroutine(resumer_fn).resume()


# --------------------------------------------------------------------------------
print("4. suspend() outside any coroutine")

# The main program (of any thread) has nobody to suspend to.
assert not stackful.in_coroutine()
expect(CoroutineError, "cannot suspend outside a coroutine", suspend)


# --------------------------------------------------------------------------------
print("5. an exception escaping the coroutine")


def parse(text):
    suspend("parsing")
    return int(text)         # ValueError for "x"


def parser(text):
    return parse(text) * 2


def main_side():
    co = Coroutine(parser, "x")
    co.resume()
    exc = expect(ValueError, "invalid literal for int() with base 10: 'x'", co.resume)
    return co, exc


co, exc = main_side()
# The traceback runs from the resume() call straight into the coroutine's frames, as
# if the coroutine's function had been called there.
frames = [entry.name for entry in traceback.extract_tb(exc.__traceback__)]
print("    traceback through:", " -> ".join(frames))
assert frames == ["expect", "parser", "parse"]
# The exception ended the coroutine: it is dead, like a generator that raised.
print("    status afterwards:", co.status)
assert co.status == "dead"
del exc                          # the traceback keeps frames alive; let them go


# --------------------------------------------------------------------------------
print("6. throw()")


def guarded():
    try:
        suspend("waiting")
    except KeyError as exc:
        return f"handled {exc!r}"


# Caught at the suspension point: the coroutine carries on, and throw() returns
# what resume() would have returned (here, the return value). A class is
# instantiated: throw(KeyError) is throw(KeyError()).
co = Coroutine(guarded)
co.resume()
result = co.throw(KeyError)
print("    caught:", result)
assert result == "handled KeyError()" and co.status == "dead"

# Not caught: it comes back out of throw(), and the coroutine is dead.
co = Coroutine(guarded)
co.resume()
expect(ValueError, "bad value", lambda: co.throw(ValueError("bad value")))
assert co.status == "dead"

# Into a coroutine that never started: like generator.throw(), the function never
# runs; the exception is raised right away and the coroutine is dead.
co = Coroutine(guarded)
expect(KeyError, "'unstarted'", lambda: co.throw(KeyError("unstarted")))
assert co.status == "dead"

# Only exceptions can be thrown (checked before anything happens).
co = Coroutine(guarded)
expect(TypeError, "exceptions must be classes or instances deriving from BaseException, "
       "not int", lambda: co.throw(42))
assert co.status == "suspended"


# --------------------------------------------------------------------------------
print("7. close()")

events = []


def with_cleanup():
    try:
        suspend()
    except Exception:
        events.append("except Exception: not reached, CoroutineExit is no Exception")
    finally:
        events.append("finally ran")


co = Coroutine(with_cleanup)
co.resume()
assert co.close() is None and co.status == "dead"
print("    close():", events)
assert events == ["finally ran"]

# Unstarted: nothing to unwind, it is simply marked dead without ever running.
events.clear()
co = Coroutine(with_cleanup)
co.close()
assert co.status == "dead" and events == []


def stubborn(refusals):
    # Catching CoroutineExit and suspending again refuses to die. close() raises
    # CoroutineExit again at each new suspension, without switching (so that code in
    # C callbacks, whose exceptions C libraries often swallow, still unwinds), up to
    # 1000 times; one that refuses more is left suspended and close() raises.
    while True:
        try:
            suspend()
            return
        except CoroutineExit:
            if refusals == 0:
                raise            # the right thing: let the exit through
            refusals -= 1


co = Coroutine(stubborn, 1)
co.resume()
co.close()                       # refused once: the second CoroutineExit goes through
assert co.status == "dead"
co = Coroutine(stubborn, 1500)
co.resume()
expect(RuntimeError, "coroutine ignored CoroutineExit (it suspended again instead of "
       "finishing)", co.close)
print("    status after the refused close():", co.status)
assert co.status == "suspended"
co.close()                       # its refusals are used up: it lets CoroutineExit through
assert co.status == "dead"


def failing_cleanup():
    try:
        suspend()
    finally:
        raise OSError("cleanup failed")


# An exception raised while closing replaces CoroutineExit and comes out of close().
co = Coroutine(failing_cleanup)
co.resume()
expect(OSError, "cleanup failed", co.close)
assert co.status == "dead"

# A suspended coroutine that is dropped is closed by its finalizer. Nobody can
# receive an exception there, so one that refuses to die is reported through
# sys.unraisablehook (by default "Exception ignored in: ..." on stderr), and since it
# is still suspended, its frames are freed without running them, with a
# ResourceWarning (shown by default only in development mode, python -X dev).
reported = []


def hook(info):
    # Keep text only: holding on to info.object would resurrect the coroutine.
    reported.append(f"{type(info.exc_value).__name__}: {info.exc_value}")


with warnings.catch_warnings(record=True) as leaked:
    warnings.simplefilter("always")
    saved_hook, sys.unraisablehook = sys.unraisablehook, hook
    try:
        co = Coroutine(stubborn, 10**6)
        co.resume()
        del co                   # the finalizer's close() is refused
    finally:
        sys.unraisablehook = saved_hook
print("    dropped while refusing to die:")
print("       unraisable:", *reported)
print(f"       {leaked[0].category.__name__}: {leaked[0].message}")
assert reported == ["RuntimeError: coroutine ignored CoroutineExit (it suspended again "
                    "instead of finishing)"]
assert [w.category for w in leaked] == [ResourceWarning]
assert str(leaked[0].message) == ("stackful: a suspended coroutine of this thread was "
                                  "freed without being closed: its frames were freed "
                                  "without running their finally blocks")


# --------------------------------------------------------------------------------
print("8. coroutines belong to the thread that created them")

# A coroutine's C stack and frames are tied to its thread: another thread can't
# resume, throw into, close or transfer to it.
co = Coroutine(once)
co.resume()
caught = []


def other_thread():
    for action in (co.resume, lambda: co.throw(KeyError), co.close,
                   lambda: stackful.lowlevel.transfer(co)):
        try:
            action()
        except CoroutineError as exc:
            caught.append(str(exc))


worker = threading.Thread(target=other_thread)
worker.start()
worker.join()
for message in caught:
    print(f"    CoroutineError: {message}")
assert caught == ["cannot resume a coroutine of another thread",
                  "cannot throw into a coroutine of another thread",
                  "cannot close a coroutine of another thread",
                  "cannot transfer to a coroutine of another thread"]
co.resume()
assert co.status == "dead"       # its own thread still can


# A coroutine left suspended by a thread that has ended can't be closed any more
# (its thread is gone): when it is freed, its frames are freed without running them,
# with a warning.
def leave_one_behind(box):
    box.append(Coroutine(once))
    box[0].resume()


box = []
worker = threading.Thread(target=leave_one_behind, args=(box,))
worker.start()
worker.join()
expect(CoroutineError, "cannot resume a coroutine of another thread", box[0].resume)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    box.clear()
    gc.collect()
print(f"    {caught[0].category.__name__}: {caught[0].message}")
assert [w.category for w in caught] == [ResourceWarning]
assert str(caught[0].message) == ("stackful: a suspended coroutine of another thread was "
                                  "freed without being closed: its frames were freed "
                                  "without running their finally blocks")


# --------------------------------------------------------------------------------
print("9. stackful.lowlevel.transfer()")

transfer = stackful.lowlevel.transfer


def transfer_to_myself():
    expect(CoroutineError, "cannot transfer to non-suspended coroutine",
           lambda: transfer(stackful.current()))


Coroutine(transfer_to_myself).resume()


def transfer_to_resumer(resumer):
    expect(CoroutineError, "cannot transfer to non-suspended coroutine",
           lambda: transfer(resumer))


def resumer_of_transferrer():
    Coroutine(transfer_to_resumer, stackful.current()).resume()


Coroutine(resumer_of_transferrer).resume()

dead = Coroutine(print, end="")
dead.resume()
expect(CoroutineError, "cannot transfer to dead coroutine", lambda: transfer(dead))
expect(TypeError, "transfer() takes a value or throw=, not both",
       lambda: transfer(Coroutine(once), 1, throw=KeyError))
expect(TypeError, "can't send non-None value to a just-started coroutine",
       lambda: transfer(Coroutine(once), 1))
expect(TypeError, "transfer() argument 1 must be stackful.Coroutine, not function",
       lambda: transfer(once))


# --------------------------------------------------------------------------------
print("10. wrong constructor arguments")

expect(TypeError, "Coroutine() missing required argument 'fn' (pos 1)", Coroutine)
expect(TypeError, "Coroutine() argument 'fn' must be callable, not int",
       lambda: Coroutine(42))
# `stack` and `context` are Coroutine's own keywords, never passed on to the
# function; if the function takes arguments with those names, wrap it in a
# functools.partial.
expect(TypeError, "Coroutine() argument 'stack' must be a ShareStack or None, not int",
       lambda: Coroutine(once, stack=4096))
expect(TypeError, "Coroutine() argument 'context' must be a contextvars.Context or None, "
       "not dict", lambda: Coroutine(once, context={}))
expect(ValueError, "ShareStack() size must be >= 0 (0 means the default), not -1",
       lambda: ShareStack(-1))
expect(TypeError, "ShareStack() size must be an int, not float", lambda: ShareStack(1e6))
expect(ValueError, "ShareStack() size is too large", lambda: ShareStack(2**64))


# --------------------------------------------------------------------------------
print("11. C stack overflow (in a child process)")

# A coroutine's C stack is its ShareStack, of a fixed size. Every time C code calls
# back into Python (here sum(map(...)), at every level) uses more of it; plain
# Python recursion doesn't (see 03). Run too deep, and the coroutine would hit the
# guard page below its stack. CPython 3.14 measures the real stack and raises
# RecursionError inside the coroutine first (stackful tells it where each
# coroutine's stack ends). Older versions can't: the coroutine hits the guard page,
# there is no exception to raise at that point, so stackful names the coroutine on
# stderr and the process dies of SIGSEGV. Either way nothing is silently corrupted.
# Hence the child process.
CHILD = textwrap.dedent("""
    import faulthandler, resource
    faulthandler.disable()        # its report would follow stackful's
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # no core file for a demo
    import stackful

    def walk(node):
        return node if isinstance(node, int) else sum(map(walk, node))

    tree = 1
    for _ in range(400):
        tree = [tree]
    # 400 levels of C recursion need far more than 64 KiB (but stay under the
    # recursion limit, which would otherwise turn this into a RecursionError).
    try:
        stackful.Coroutine(walk, tree, stack=stackful.ShareStack(64 * 1024)).resume()
    except RecursionError as e:
        print("RecursionError:", e)
    else:
        print("not reached")
""")
child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                       env=os.environ, timeout=60)
if sys.version_info >= (3, 14):
    assert child.returncode == 0 and child.stdout.startswith("RecursionError:"), child
    note(f"child: {child.stdout.strip()} (CPython 3.14 stops before the guard page)")
else:
    assert child.returncode == -signal.SIGSEGV and child.stdout == "", child
    # The report is the first line (an emulator such as qemu-user adds one of its own).
    report = child.stderr.splitlines()[0]
    assert report == ("stackful: stack overflow in coroutine walk (its ShareStack "
                      "has 65536 bytes); use a larger ShareStack"), child.stderr
    note(f"child's stderr: {report}; exit status {child.returncode} (SIGSEGV)")
print("    the overflow was stopped, not silent: True")
print("done")
