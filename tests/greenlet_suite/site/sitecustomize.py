"""Makes the Python subprocesses that greenlet's test suite starts (its fail_*.py
scripts, the interpreter-shutdown scripts) use stackful.compat.greenlet too: the runner
plugin puts this directory on PYTHONPATH."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
try:
    import suite_package
finally:
    del sys.path[0]

suite_package.install_suite(suite_package.tests_dir())
