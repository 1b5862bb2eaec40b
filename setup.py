"""Build the C core, stackful._core.

The only build logic that pyproject.toml cannot express: the compiler flags.
STACKFUL_DEBUG=1 builds with assertions on and -O0 -g; STACKFUL_DEBUG=asan adds
AddressSanitizer (run it with LD_PRELOAD=$(gcc -print-file-name=libasan.so)).
"""

import os
import sys

from setuptools import Extension, setup

SUPPORTED = ((3, 11),)

if sys.version_info[:2] not in SUPPORTED or getattr(sys, "_is_gil_enabled", lambda: True)() is False:
    supported = ", ".join("%d.%d" % v for v in SUPPORTED)
    raise SystemExit(
        "stackful supports CPython %s (with the GIL) on x86-64 and aarch64 Linux; "
        "this is %s %s" % (supported, sys.implementation.name, sys.version.split()[0])
    )

debug = os.environ.get("STACKFUL_DEBUG", "")
extra_compile_args = ["-std=c11", "-Wall", "-Wextra", "-Wno-missing-field-initializers",
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
        "src/stackful/_core/stack.c",
        "src/stackful/_core/switch.c",
        "src/stackful/_core/overflow.c",
        "src/stackful/_core/selftest.c",
    ],
    depends=[
        "src/stackful/_core/switch.h",
        "src/stackful/_core/switch_x86_64.h",
        "src/stackful/_core/switch_aarch64.h",
        "src/stackful/_core/stack.h",
        "src/stackful/_core/overflow.h",
        "src/stackful/_core/selftest.h",
        "src/stackful/_core/selftest_x86_64.h",
        "src/stackful/_core/selftest_aarch64.h",
        "src/stackful/_core/pystate.h",
        "src/stackful/_core/pystate_311.h",
    ],
    extra_compile_args=extra_compile_args,
    extra_link_args=extra_link_args,
    undef_macros=undef_macros,
)

setup(ext_modules=[core])
