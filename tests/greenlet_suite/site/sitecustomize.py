"""Makes the Python subprocesses that greenlet's test suite starts (its fail_*.py
scripts, the interpreter-shutdown scripts) use stackful.compat.greenlet too: the runner
puts this directory on PYTHONPATH."""

from stackful.compat import greenlet

greenlet.install()
