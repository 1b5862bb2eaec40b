"""The probe suite: small hostile scripts (tests/probes/probe_*.py), each run in a fresh
interpreter under a timeout (issue 9: nothing Python code does with stackful crashes the
process, corrupts memory, returns a wrong result or leaks without bound).

A probe passes when it exits 0 and its last line of output is `OK`, with no fatal error
and no sanitizer report on stderr; `SKIP reason` as its last line (exit 0) skips it (the
probe does not apply to this CPython). Everything else fails: a signal, a fatal error, a
failed check (exit 1), a timeout. Probes that fail on the current core are listed in
KNOWN_FAILURES with what they reproduce and where: they are strict xfails, so a fix turns
them red until their entry is removed.

The test finds the build of stackful it runs on without importing it (an ASan build can't
be imported without libasan preloaded): an ASan build gets libasan in LD_PRELOAD,
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:allocator_may_return_null=1 (failed
allocations are MemoryErrors, as without ASan), PYTHONMALLOC=malloc (so that the
sanitizer sees Python objects too) and longer timeouts. Probes run two at a time
(STACKFUL_PROBE_JOBS overrides); each gets 30 s, 120 s under ASan
(STACKFUL_PROBE_TIMEOUT overrides: tools/arm64-emulate.sh gives emulated runs more);
`pytest -m probe` runs only them, `-m "not probe"` everything else.
"""

import concurrent.futures
import glob
import importlib.machinery
import importlib.util
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.probe

PROBES_DIR = Path(__file__).parent / "probes"
PROBES = sorted(p.stem for p in PROBES_DIR.glob("probe_*.py"))
VERSION = sys.version_info[:2]


# --------------------------------------------------------------------------------------
# Which build of stackful._core this interpreter has

def core_path():
    """The file of stackful._core, found without importing stackful."""
    spec = importlib.util.find_spec("stackful")
    assert spec is not None and spec.submodule_search_locations, "stackful is not installed"
    for location in spec.submodule_search_locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            found = glob.glob(os.path.join(location, "_core" + suffix))
            if found:
                return found[0]
    raise AssertionError("no stackful._core extension next to %s" % spec.origin)


def elf_dynamic(path):
    """(DT_NEEDED names, the dynamic string table) of an ELF64 little-endian file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, path
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                for i in range(shnum)]
    SHT_DYNAMIC, DT_NEEDED = 6, 1
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, entsize in sections:
        if kind != SHT_DYNAMIC:
            continue
        strtab = sections[link]
        strings = data[strtab[4]:strtab[4] + strtab[5]]
        needed = []
        for pos in range(offset, offset + size, entsize):
            tag, value = struct.unpack_from("<qQ", data, pos)
            if tag == DT_NEEDED:
                needed.append(strings[value:strings.index(b"\0", value)].decode())
        return needed, strings
    return [], b""


def detect_build():
    """'asan' (links libasan), 'debug' (assertions on: imports __assert_fail), 'release'."""
    needed, strings = elf_dynamic(core_path())
    asan = [n for n in needed if n.startswith("libasan")]
    if asan:
        return "asan", asan[0]
    return ("debug" if b"__assert_fail" in strings.split(b"\0") else "release"), None


BUILD, LIBASAN = detect_build()


# --------------------------------------------------------------------------------------
# Known failures of the current core

class Fails:
    """Where a probe fails on the current core: CPython versions ((3, 11), ...; None: all)
    and builds ('release', 'debug', 'asan'; None: all)."""

    def __init__(self, reason, versions=None, builds=None):
        self.reason, self.versions, self.builds = reason, versions, builds

    def here(self):
        return ((self.versions is None or VERSION in self.versions)
                and (self.builds is None or BUILD in self.builds))



# probe name -> what it reproduces and where it fails. Every failure the probes found when
# they were written (issue 9's items and the new ones) is fixed; what is left is a
# documented limit (docs/design.md, "What hostile code was tried").
KNOWN_FAILURES = {
    "probe_import_suspended_inside_module_body": Fails(
        "limit: a coroutine suspended in a module's top-level code leaves the module "
        "half-initialized in sys.modules, and the thread's other contexts get it as is "
        "(import locks are per thread; the same as a circular import)"),
}


# --------------------------------------------------------------------------------------
# Running probes

TIMEOUT = int(os.environ.get("STACKFUL_PROBE_TIMEOUT", 120 if BUILD == "asan" else 30))
JOBS = int(os.environ.get("STACKFUL_PROBE_JOBS", "2"))


def probe_env():
    env = dict(os.environ)
    env.pop("PYTHONFAULTHANDLER", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if BUILD == "asan":
        env["LD_PRELOAD"] = " ".join(filter(None, [LIBASAN, env.get("LD_PRELOAD")]))
        env["ASAN_OPTIONS"] = ":".join(filter(None, [
            # allocator_may_return_null: a failed allocation is a MemoryError in Python
            # (the exhaustion probes need it), not ASan's own out-of-memory abort.
            "detect_leaks=0:abort_on_error=1:allocator_may_return_null=1",
            env.get("ASAN_OPTIONS")]))
        env["PYTHONMALLOC"] = "malloc"
    return env


# Signs on stderr that something went wrong even if the exit status says otherwise.
BAD_STDERR = ("Fatal Python error", "ERROR: AddressSanitizer", "runtime error:",
              "stack smashing detected")


class Outcome:
    def __init__(self, name, returncode, stdout, stderr, seconds, timed_out):
        self.name, self.returncode, self.stdout, self.stderr = name, returncode, stdout, stderr
        self.seconds, self.timed_out = seconds, timed_out

    @property
    def last_line(self):
        lines = self.stdout.strip().splitlines()
        return lines[-1] if lines else ""

    @property
    def clean(self):
        return (not self.timed_out and self.returncode == 0
                and not any(sign in self.stderr for sign in BAD_STDERR))

    @property
    def passed(self):
        return self.clean and self.last_line == "OK"

    @property
    def skipped(self):
        return self.clean and self.last_line.startswith("SKIP ")

    def report(self):
        if self.timed_out:
            status = "timed out after %d s" % TIMEOUT
        elif self.returncode < 0:
            status = "killed by %s" % signal.Signals(-self.returncode).name
        else:
            status = "exit status %d" % self.returncode
        return "probe %s (%s build, %.1f s): %s\n--- stdout\n%s\n--- stderr\n%s" % (
            self.name, BUILD, self.seconds, status, self.stdout[-4000:], self.stderr[-8000:])


def run_probe(name, env):
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, str(PROBES_DIR / (name + ".py"))],
                            cwd=PROBES_DIR, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)    # the probe and anything it started
        out, err = proc.communicate()
        timed_out = True
    return Outcome(name, proc.returncode, out, err, time.monotonic() - start, timed_out)


@pytest.fixture(scope="session")
def probe_outcomes(request):
    """Runs the selected probes JOBS at a time, started at the first test that asks."""
    selected = [item.callspec.params["name"] for item in request.session.items
                if item.originalname == "test_probe" and hasattr(item, "callspec")]
    # The environment is copied here, once: pytest sets and deletes PYTEST_CURRENT_TEST
    # in os.environ while the workers run, and a copy taken in a worker can meet a key
    # deleted under it (KeyError).
    env = probe_env()
    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as pool:
        futures = {name: pool.submit(run_probe, name, env) for name in selected}
        yield lambda name: futures[name].result()
        for future in futures.values():
            future.cancel()


def test_known_failures_name_probes():
    assert set(KNOWN_FAILURES) <= set(PROBES), set(KNOWN_FAILURES) - set(PROBES)


@pytest.mark.parametrize("name", PROBES)
def test_probe(name, probe_outcomes, request):
    known = KNOWN_FAILURES.get(name)
    if known is not None and known.here():
        request.applymarker(pytest.mark.xfail(strict=True, reason=known.reason))
    outcome = probe_outcomes(name)
    if outcome.skipped:
        pytest.skip(outcome.last_line[len("SKIP "):])
    assert outcome.passed, outcome.report()
