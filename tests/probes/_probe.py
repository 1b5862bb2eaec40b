"""What the probes share (tests/probes/probe_*.py).

A probe is a script run in a fresh interpreter by tests/test_probes.py. It passes when it
exits 0 with `OK` as its last line of output; anything else (a signal, a fatal error, a
sanitizer report, a failed check, a timeout) is a failure. This module holds the few
helpers that several probes need; each probe says on its own what it does and what the
correct behaviour is.
"""

import contextlib
import os
import subprocess
import sys
import textwrap


def temporary_directory():
    """A directory removed when the probe exits."""
    import atexit
    import shutil
    import tempfile
    path = tempfile.mkdtemp(prefix="stackful-probe-")
    atexit.register(shutil.rmtree, path, True)
    return path


def ok():
    """The last line of a probe that found stackful behaving correctly."""
    print("OK", flush=True)


def fail(what):
    """Stop the probe: stackful did not behave as the probe's docstring says."""
    print("probe failed: " + what, file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)


def expect_raises(excs, fn, *args, **kwargs):
    """Call fn, which must raise one of `excs` (and nothing else): returns the exception."""
    try:
        result = fn(*args, **kwargs)
    except excs as e:
        return e
    except BaseException as e:
        fail("%s raised %s: %s (expected %s)" % (
            getattr(fn, "__qualname__", fn), type(e).__name__, e, excs))
    fail("%s returned %r (expected it to raise %s)" % (
        getattr(fn, "__qualname__", fn), result, excs))


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def unraisables():
    """Collect what sys.unraisablehook receives (as 'TypeName: message' strings)."""
    seen = []
    old = sys.unraisablehook

    def hook(info):
        seen.append("%s: %s" % (type(info.exc_value).__name__, info.exc_value))

    sys.unraisablehook = hook
    try:
        yield seen
    finally:
        sys.unraisablehook = old


def run_child(code, *, timeout=60, env=None):
    """Run code in a nested interpreter, for outcomes that end the process (an overflow
    report is a fatal signal by design). The environment is inherited (so a sanitizer
    build's LD_PRELOAD and options reach it); faulthandler is off unless code enables
    it; it runs in this directory (code may import _probe). Returns the
    CompletedProcess."""
    full_env = dict(os.environ)
    full_env.pop("PYTHONFAULTHANDLER", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=timeout, env=full_env,
                          cwd=os.path.dirname(os.path.abspath(__file__)))


def describe(proc):
    """A CompletedProcess in a few lines, for failure messages."""
    return "exit status %s\n--- stdout\n%s--- stderr\n%s" % (
        proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])


def under_asan():
    """Whether this interpreter runs with AddressSanitizer preloaded (slower; fake stacks)."""
    return "libasan" in os.environ.get("LD_PRELOAD", "")


def skip(reason):
    """The probe does not apply here (e.g. an API this CPython lacks): the test skips."""
    print("SKIP " + reason, flush=True)
    sys.exit(0)


def require_rlimit_as():
    """Skip unless lowering RLIMIT_AS takes effect here (tests/system_limits.py)."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from system_limits import rlimit_as_applies
    if not rlimit_as_applies():
        skip("setrlimit(RLIMIT_AS) is not applied here (qemu-user ignores it)")


def overflow_reported(proc, report):
    """Whether a child process died of a stack overflow after stackful's report: SIGSEGV
    (the report chains to the default action), or under AddressSanitizer its own
    stack-overflow report and abort (ASan's handler is the one chained to)."""
    import signal
    if report not in proc.stderr:
        return False
    if proc.returncode == -signal.SIGSEGV:
        return True
    return (under_asan() and proc.returncode == -signal.SIGABRT
            and "AddressSanitizer: stack-overflow" in proc.stderr)


def mapped_ranges():
    """The process's mapped address ranges (adjacent ones merged), from /proc/self/maps."""
    ranges = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if ranges and ranges[-1][1] == lo:
                ranges[-1] = (ranges[-1][0], hi)
            else:
                ranges.append((lo, hi))
    return ranges


def ranges_added(before, after):
    """The address ranges mapped in `after` that were not in `before`."""
    out = []
    for lo, hi in after:
        cur = lo
        for blo, bhi in before:
            if bhi <= cur or blo >= hi:
                continue
            if blo > cur:
                out.append((cur, blo))
            cur = max(cur, bhi)
        if cur < hi:
            out.append((cur, hi))
    return out


def check_closes(co, finally_ran, also_fine=()):
    """co.close() must return None (or raise one of `also_fine`), leaving co dead with
    its finally block run (finally_ran: a list that block appends to)."""
    try:
        co.close()
        got = "closed"
    except also_fine:
        got = "closed"
    except BaseException as e:
        got = "close raised %s: %s" % (type(e).__name__, e)
    check(got == "closed" and co.status == "dead" and finally_ran,
          "%s; status %s; finally ran: %s" % (got, co.status, bool(finally_ran)))
