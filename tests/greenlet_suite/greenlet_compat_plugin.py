"""pytest plugin (-p greenlet_compat_plugin) that runs greenlet's own test suite against
stackful.compat.greenlet.

Loaded before collection: it installs the compat module as ``greenlet`` and the wheel's
tests as ``greenlet.tests`` (suite_package.py), puts site/ on PYTHONPATH so that the
suite's subprocesses do the same, and deselects the tests of deselect.py.
"""

import os

import pytest

import suite_package
from deselect import DESELECTED

TESTS_DIR = suite_package.tests_dir()
if TESTS_DIR is None:
    raise pytest.UsageError("greenlet is not installed (pip install 'greenlet>=3'): its "
                            "test suite is the one this plugin runs")
_compat = suite_package.install_suite(TESTS_DIR)
_SITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "site")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_SITE] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])


def pytest_ignore_collect(collection_path, config):
    """Whole modules of the list are not even imported (they need greenlet's C API)."""
    if collection_path.name in DESELECTED and collection_path.parent.name == "tests":
        return True
    return None


def pytest_collection_modifyitems(config, items):
    """Deselect the tests of the list (each with its reason there and in docs/compat.md)."""
    keep, drop = [], []
    for item in items:
        name = item.nodeid.split("tests/", 1)[-1]
        (drop if name in DESELECTED else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config):
    return "greenlet suite from %s, run on %s" % (TESTS_DIR, _compat.__file__)
