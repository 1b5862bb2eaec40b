"""Build the C core, stackful._core.

The only build logic that pyproject.toml cannot express: the compiler flags and the
version gate. STACKFUL_DEBUG=1 builds with assertions on and -O0 -g;
STACKFUL_DEBUG=asan adds AddressSanitizer (run it with
LD_PRELOAD=$(gcc -print-file-name=libasan.so)). STACKFUL_TRY_NEWER=1 builds on a CPython
newer than the newest supported one with that one's thread-state code, to find out
what breaks (docs/porting.md: how a new CPython is ported).
"""

import os
import sys
import sysconfig

from setuptools import Extension, setup

SUPPORTED = ((3, 11), (3, 12), (3, 13), (3, 14), (3, 15))

free_threaded = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
trying_newer = (os.environ.get("STACKFUL_TRY_NEWER") == "1" and
                sys.version_info[:2] > SUPPORTED[-1])
if (sys.implementation.name != "cpython" or free_threaded or
        (sys.version_info[:2] not in SUPPORTED and not trying_newer)):
    supported = ", ".join("%d.%d" % v for v in SUPPORTED)
    newer = sys.version_info[:2] > SUPPORTED[-1] and not free_threaded
    raise SystemExit(
        "stackful supports CPython %s (with the GIL, not free-threaded builds) on x86-64 "
        "and aarch64 Linux; this is %s %s%s%s" % (
            supported, sys.implementation.name, sys.version.split()[0],
            " (free-threaded)" if free_threaded else "",
            "; to try it anyway with %d.%d's thread-state code, set STACKFUL_TRY_NEWER=1 "
            "and follow docs/porting.md" % SUPPORTED[-1] if newer else "")
    )


def header_declares(header, name):
    """Whether CPython's installed header declares `name` (for APIs that arrived in a
    patch release, which PY_VERSION_HEX alone can't tell)."""
    path = os.path.join(sysconfig.get_paths()["include"], header)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return name in f.read()
    except OSError:
        return False


define_macros = []
if trying_newer:
    print("stackful: building for CPython %s with %d.%d's thread-state code "
          "(STACKFUL_TRY_NEWER): unsupported, see docs/porting.md"
          % ((sys.version.split()[0],) + SUPPORTED[-1]), file=sys.stderr)
    define_macros.append(("STACKFUL_TRY_NEWER", "1"))
# 3.14: coroutines set the C-stack limits of their own stacks; newer 3.14 releases
# have an API that computes them (pystate_314.h sets them directly otherwise).
if header_declares(os.path.join("cpython", "pystate.h"),
                   "PyUnstable_ThreadState_SetStackProtection"):
    define_macros.append(("STACKFUL_HAVE_SET_STACK_PROTECTION", "1"))

debug = os.environ.get("STACKFUL_DEBUG", "")
extra_compile_args = ["-std=c11", "-Wall", "-Wextra", "-Wno-missing-field-initializers",
                      # internal calls between the core's files go direct, not through the
                      # PLT: the switch path is a chain of tail calls
                      "-fvisibility=hidden",
                      "-fno-strict-aliasing"]
extra_link_args = []
undef_macros = []
if debug:
    extra_compile_args += ["-O0", "-g3", "-UNDEBUG"]
    undef_macros = ["NDEBUG"]
    if debug == "asan":
        extra_compile_args += ["-fsanitize=address", "-fno-omit-frame-pointer"]
        extra_link_args += ["-fsanitize=address"]
else:
    extra_compile_args += ["-O2"]

core = Extension(
    "stackful._core",
    sources=[
        "src/stackful/_core/module.c",
        "src/stackful/_core/context.c",
        "src/stackful/_core/thread.c",
        "src/stackful/_core/coroutine.c",
        "src/stackful/_core/generator.c",
        "src/stackful/_core/sharestack.c",
        "src/stackful/_core/functions.c",
        "src/stackful/_core/stack.c",
        "src/stackful/_core/switch.c",
        "src/stackful/_core/overflow.c",
        "src/stackful/_core/chunks.c",
        "src/stackful/_core/gcphase.c",
    ],
    depends=[
        "src/stackful/_core/core.h",
        "src/stackful/_core/switch.h",
        "src/stackful/_core/switch_x86_64.h",
        "src/stackful/_core/switch_aarch64.h",
        "src/stackful/_core/stack.h",
        "src/stackful/_core/overflow.h",
        "src/stackful/_core/chunks.h",
        "src/stackful/_core/pystate.h",
        "src/stackful/_core/pystate_fields.h",
        "src/stackful/_core/pystate_common.h",
        "src/stackful/_core/pystate_311.h",
        "src/stackful/_core/pystate_312.h",
        "src/stackful/_core/pystate_313.h",
        "src/stackful/_core/pystate_314.h",
        "src/stackful/_core/pystate_314plus.h",
        "src/stackful/_core/pystate_315.h",
    ],
    define_macros=define_macros,
    extra_compile_args=extra_compile_args,
    extra_link_args=extra_link_args,
    undef_macros=undef_macros,
)

setup(ext_modules=[core])
