"""Signals while a scheduler runs (each in a fresh interpreter, with a timeout): Ctrl-C
unwinds every task, a task that never yields, the dump on SIGUSR1, handlers that run
promptly while the scheduler sleeps in the engine."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import stackful
from conftest import default_sigint

PRELUDE = """
import os, signal, sys, time
import stackful
from stackful import socket
def ready():
    print("READY", flush=True)
"""


def start(code):
    env = dict(os.environ)
    env.pop("PYTHONFAULTHANDLER", None)
    return subprocess.Popen([sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=default_sigint)


def wait_ready(proc):
    line = proc.stdout.readline()
    assert line == "READY\n", (line, proc.stderr.read() if proc.poll() is not None else "")


def finish(proc, timeout=60):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("the child hung:\n" + out + err)
    return proc.returncode, out, err


def test_sigint_during_io_cancels_every_task_and_raises_keyboardinterrupt():
    proc = start("""
        def guarded(name, fn, *args):
            try:
                fn(*args)
            finally:
                print("finally", name, flush=True)

        def main():
            listener = socket.create_server(("127.0.0.1", 0))
            a, b = socket.socketpair()
            stackful.spawn(guarded, "accept", listener.accept)
            stackful.spawn(guarded, "recv", a.recv, 10)
            stackful.spawn(guarded, "sleep", stackful.sleep, 100)
            stackful.spawn(guarded, "lock", stackful.Event().wait)
            stackful.sleep(0.05)
            ready()
            guarded("main", stackful.sleep, 100)

        try:
            stackful.run(main)
        except KeyboardInterrupt:
            print("KeyboardInterrupt out of run", flush=True)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    """)
    wait_ready(proc)
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 0, err
    lines = out.splitlines()
    assert sorted(lines[:-1]) == ["finally accept", "finally lock", "finally main",
                                  "finally recv", "finally sleep"]
    assert lines[-1] == "KeyboardInterrupt out of run"


def test_a_task_that_never_yields_is_stopped_by_a_second_sigint():
    # Documented behaviour: a task that never suspends keeps the scheduler (and every
    # other task) from running; the first Ctrl-C is noted, a second one raises
    # KeyboardInterrupt inside that task, and run() ends as for any Ctrl-C.
    proc = start("""
        def other():
            try:
                stackful.sleep(100)
            finally:
                print("finally other", flush=True)

        def spinner():
            try:
                ready()
                while True:
                    pass
            finally:
                print("finally spinner", flush=True)

        def main():
            stackful.spawn(other)
            stackful.spawn(spinner).join()

        try:
            stackful.run(main)
        except KeyboardInterrupt:
            print("KeyboardInterrupt out of run", flush=True)
    """)
    wait_ready(proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    assert proc.poll() is None                 # the first Ctrl-C cannot get through
    proc.send_signal(signal.SIGINT)
    code, out, err = finish(proc)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "finally spinner"
    assert "finally other" in lines and lines[-1] == "KeyboardInterrupt out of run"


def test_a_task_that_does_not_yield_delays_the_others():
    order = []

    def busy():
        end = time.monotonic() + 0.1
        while time.monotonic() < end:
            pass
        order.append("busy done")

    def sleeper():
        stackful.sleep(0.001)
        order.append("sleeper woke")

    def main():
        with stackful.TaskGroup() as tg:
            tg.spawn(sleeper)
            tg.spawn(busy)

    stackful.run(main)
    assert order == ["busy done", "sleeper woke"]


def test_dump_handler_on_sigusr1():
    proc = start("""
        stackful.runtime.install_dump_handler(signal.SIGUSR1)
        dump = signal.getsignal(signal.SIGUSR1)
        dumped = []

        def on_signal(signum, frame):
            dump(signum, frame)
            dumped.append(1)

        signal.signal(signal.SIGUSR1, on_signal)

        def waiter_in_a_helper(event):
            event.wait()

        def main():
            stackful.spawn(waiter_in_a_helper, stackful.Event())
            stackful.spawn(stackful.sleep, 100)
            stackful.sleep(0)                    # both are waiting now
            ready()
            while not dumped:
                stackful.sleep(0.01)

        stackful.run(main)
    """)
    wait_ready(proc)
    proc.send_signal(signal.SIGUSR1)
    code, out, err = finish(proc)
    assert code == 0, err
    assert "stackful: 3 task(s)" in err
    assert "waiter_in_a_helper' at 0x" in err and "waiting for wait of <stackful.Event" in err
    assert ", in waiter_in_a_helper" in err             # its stack, down to the wait
    assert "waiting for sleep (with a timeout)" in err


def test_a_signal_handler_runs_at_once_while_the_scheduler_sleeps_in_the_engine():
    proc = start("""
        def main():
            portal = stackful.Portal()
            woken = stackful.Event()
            signal.signal(signal.SIGUSR2, lambda s, f: portal.call(woken.set))
            stackful.spawn(stackful.sleep, 60)      # the engine may sleep 60 s
            started = time.monotonic()
            ready()
            woken.wait()
            print("woken after %.1f s" % (time.monotonic() - started), flush=True)
            stackful.current_task()

        stackful.run(main)
    """)
    wait_ready(proc)
    time.sleep(0.2)
    proc.send_signal(signal.SIGUSR2)
    code, out, err = finish(proc)
    assert code == 0, err
    seconds = float(out.split()[2])
    assert seconds < 30
