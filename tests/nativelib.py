"""Test-only native code, built on demand with the C compiler and loaded with ctypes.

The product extension carries no test hooks; what a test needs in C lives in tests/c/.
"""

import ctypes
import os
import platform
import shlex
import subprocess
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def compiler():
    """$CC, else the compiler this interpreter was built with: under an emulator that is
    the cross compiler for the emulated machine, where a bare gcc would build for the host."""
    return shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "gcc")


def build(name):
    """Compile tests/c/<name>.c into a shared library (cached per interpreter and
    source version) and return it loaded."""
    source = os.path.join(HERE, "c", name + ".c")
    stamp = "%s-%s-%d-%d" % (sys.implementation.cache_tag, platform.machine(), os.getuid(),
                          int(os.stat(source).st_mtime))
    out_dir = os.path.join(tempfile.gettempdir(), "stackful-test-native-" + stamp)
    os.makedirs(out_dir, exist_ok=True)
    lib = os.path.join(out_dir, name + ".so")
    if not os.path.exists(lib):
        tmp = "%s.%d.tmp" % (lib, os.getpid())
        subprocess.run([*compiler(), "-O1", "-shared", "-fPIC",
                        "-fno-stack-protector", "-fno-stack-clash-protection", "-o", tmp, source], check=True)
        os.replace(tmp, lib)
    return ctypes.CDLL(lib)


def native():
    """The test-only C functions of tests/c/native.c, typed."""
    lib = build("native")
    for name, restype, argtypes in (
            ("native_recursion", ctypes.c_size_t, [ctypes.c_size_t]),
            ("large_frame", ctypes.c_int, [ctypes.c_size_t]),
            ("filled_frame", ctypes.c_int, [ctypes.c_size_t]),
            ("install_repairing_handler", ctypes.c_void_p, []),
            ("protect_again", ctypes.c_int, [ctypes.c_void_p]),
            ("write_byte", ctypes.c_int, [ctypes.c_void_p])):
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


def native_recursion():
    """native_recursion(depth): recurse depth levels of 512-byte C frames."""
    return native().native_recursion
