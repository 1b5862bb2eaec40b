"""pytest plugin (-p greenlet_compat_plugin) that runs greenlet's own test suite against
stackful.compat.greenlet.

Loaded before collection: it finds the installed greenlet wheel's tests directory
without importing greenlet, installs the compat module as ``greenlet``, and registers
the wheel's ``greenlet/tests`` directory as the package ``greenlet.tests`` (the compat
module is no package), so the suite's own imports (``from greenlet import greenlet``,
``from . import leakcheck``) resolve. Nothing of greenlet's tests is copied here.
"""

import importlib.machinery
import importlib.util
import os
import sys

import pytest

from deselect import DESELECTED

# The path finder, not find_spec: it looks on sys.path, never at sys.modules.
_spec = importlib.machinery.PathFinder.find_spec("greenlet")
if _spec is None or not _spec.submodule_search_locations:
    raise pytest.UsageError("greenlet is not installed (pip install 'greenlet>=3'): its "
                            "test suite is the one this plugin runs")
TESTS_DIR = os.path.join(list(_spec.submodule_search_locations)[0], "tests")

from stackful.compat import greenlet as _compat  # noqa: E402

_compat.install()
# The suite's subprocesses (its fail_*.py scripts, the shutdown scripts) install it too.
_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_SITE] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
_tests_spec = importlib.util.spec_from_file_location(
    "greenlet.tests", os.path.join(TESTS_DIR, "__init__.py"),
    submodule_search_locations=[TESTS_DIR])
assert _tests_spec is not None and _tests_spec.loader is not None
_tests = importlib.util.module_from_spec(_tests_spec)
sys.modules["greenlet.tests"] = _tests
_tests_spec.loader.exec_module(_tests)


def pytest_ignore_collect(collection_path, config):
    """Whole modules of the list are not even imported (they need greenlet's C API)."""
    if collection_path.name in DESELECTED and collection_path.parent.name == "tests":
        return True
    return None


def pytest_collection_modifyitems(config, items):
    """Deselect the tests of docs/compat.md's list (each with its reason there)."""
    keep, drop = [], []
    for item in items:
        name = item.nodeid.split("tests/", 1)[-1]
        module = name.split("::", 1)[0]
        (drop if name in DESELECTED or module in DESELECTED else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    return "greenlet suite from %s, run on %s" % (TESTS_DIR, _compat.__file__)
