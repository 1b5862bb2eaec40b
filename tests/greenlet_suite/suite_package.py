"""Where greenlet's test suite is, and how it is imported on stackful.compat.greenlet.

The wheel's ``greenlet/tests`` directory is found with the path finder (which looks on
sys.path, never at sys.modules, so it finds the real greenlet even after install()),
and registered as the package ``greenlet.tests`` (the compat module is no package), so
that the suite's own imports (``from greenlet import greenlet``, ``from . import
leakcheck``, ``from greenlet.tests import TestCase``) resolve. Nothing is copied.
"""

import importlib.machinery
import importlib.util
import os
import sys


def tests_dir():
    spec = importlib.machinery.PathFinder.find_spec("greenlet")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(list(spec.submodule_search_locations)[0], "tests")


def install_suite(directory):
    """install() the compat module, then make ``greenlet.tests`` the wheel's tests."""
    from stackful.compat import greenlet as compat

    compat.install()
    spec = importlib.util.spec_from_file_location(
        "greenlet.tests", os.path.join(directory, "__init__.py"),
        submodule_search_locations=[directory])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["greenlet.tests"] = module
    spec.loader.exec_module(module)
    return compat
