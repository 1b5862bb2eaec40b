"""greenlet's API on stackful coroutines: ``from stackful.compat import greenlet``.

Design principles:
  - The names and behaviour of the ``greenlet`` package (3.x) that Python code uses:
    ``greenlet``, ``getcurrent``, ``GreenletExit``, ``error``, ``settrace``/``gettrace``;
    greenlet's own test suite is the specification (docs/compat.md lists what differs).
  - ``install()`` makes ``import greenlet`` give this module, for code that imports
    greenlet by name (SQLAlchemy's asyncio layer); it must run before such code is
    imported, and refuses, saying so, once the real greenlet is loaded: two greenlet
    implementations in one process would each see the other's greenlets as foreign.
  - Built only on stackful's public API (``Coroutine``, ``lowlevel.transfer``, the
    context functions).
"""


import sys

from . import _greenlet_ext
from ._greenlet_ext import GREENLET_USE_CONTEXT_VARS, GREENLET_USE_GC, GREENLET_USE_TRACING
from ._greenlet_type import GreenletExit, error, getcurrent, gettrace, greenlet, settrace

__version__ = "3.0.0"

# greenlet's package and extension module: the names code imports.
_MODULES = ("greenlet", "greenlet._greenlet")


def install() -> None:
    """Make ``import greenlet`` (and ``greenlet._greenlet``) resolve to this module.

    Call it before anything imports greenlet, e.g. first in the main module or in
    ``sitecustomize``. Calling it again is harmless. Raises RuntimeError if the real
    greenlet is already imported.
    """
    this = sys.modules[__name__]
    present = sys.modules.get("greenlet")
    if present is this:
        return
    loaded = [name for name in _MODULES if name in sys.modules]
    if loaded:
        where = getattr(sys.modules[loaded[0]], "__file__", None) or "?"
        raise RuntimeError(
            "stackful.compat.greenlet.install() must run before greenlet is imported: %s "
            "is already imported (from %s), and the objects of code that imported it are "
            "real greenlets; call install() first thing in the program (its main module "
            "or sitecustomize)" % (loaded[0], where))
    sys.modules["greenlet"] = this
    sys.modules["greenlet._greenlet"] = _greenlet_ext


__all__ = ["GREENLET_USE_CONTEXT_VARS", "GREENLET_USE_GC", "GREENLET_USE_TRACING",
           "GreenletExit", "error", "getcurrent", "gettrace", "greenlet", "install",
           "settrace"]
