"""The machine-level switch keeps every callee-saved register and control word.

The self-test (tests/c/selftest.c) is linked with the core's switch.c into a standalone
harness: the product extension carries no test code. The switch is top-level assembly, so
the extension's copy is the same instructions."""

import os
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_SH = os.path.join(HERE, "c", "run.sh")


def run_c_tests(*targets):
    return subprocess.run(["bash", RUN_SH, *targets], capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, BUILD=os.path.join(
                              os.environ.get("TMPDIR", "/tmp"), "stackful-c-tests-%d" % os.getpid())))


# The first callee-saved register each architecture's broken switch forgets.
FORGOTTEN_REGISTER = {"x86_64": "r13", "aarch64": "x21"}


def compiler_machine():
    """The machine gcc builds for: the harness's, which under an emulator (this
    interpreter emulated, the compiler native) is not platform.machine()."""
    out = subprocess.run(["gcc", "-dumpmachine"], capture_output=True, text=True, check=True)
    return out.stdout.split("-")[0]


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_standalone_c_harness_passes_and_its_negative_controls_fail():
    # The negative controls link deliberately broken switches (one forgets r13, ...);
    # the harness must catch each, which shows the test can fail.
    proc = run_c_tests("native", "negative")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout
    assert "%s not preserved" % FORGOTTEN_REGISTER[compiler_machine()] in proc.stdout


def can_cross_test_aarch64():
    return (shutil.which("gcc") is not None and compiler_machine() == "x86_64"
            and shutil.which("aarch64-linux-gnu-gcc") is not None
            and bool(shutil.which("qemu-aarch64") or shutil.which("qemu-aarch64-static")))


@pytest.mark.skipif(not can_cross_test_aarch64(),
                    reason="needs an x86-64 gcc, gcc-aarch64-linux-gnu and qemu-user(-static)")
def test_aarch64_switch_under_qemu():
    proc = run_c_tests("aarch64", "aarch64-negative")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "x21 not preserved" in proc.stdout
