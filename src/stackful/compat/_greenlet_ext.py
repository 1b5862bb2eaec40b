"""What ``greenlet._greenlet`` (greenlet's extension module) offers Python code.

Design principles:
  - Code that imports greenlet's extension module by name (greenlet's own package and
    test helpers do) finds the same objects as ``stackful.compat.greenlet`` there, plus
    the two counters greenlet's test suite waits on. greenlet's C API (``_C_API``) and
    its test-only types have no equivalent and are absent, so such code fails at import
    with a clear ImportError instead of at a distance.
"""


from . import _greenlet_threads
from ._greenlet_type import GreenletExit, error, getcurrent, gettrace, greenlet, settrace

GREENLET_USE_CONTEXT_VARS = True
GREENLET_USE_GC = True
GREENLET_USE_TRACING = True


def get_pending_cleanup_count() -> int:
    """Greenlets collected in another thread, waiting to be killed by their own."""
    return _greenlet_threads.pending_count()


def get_total_main_greenlets() -> int:
    """Main greenlets alive (one per thread that used greenlets and is referenced)."""
    return _greenlet_threads.main_count()


__all__ = ["GREENLET_USE_CONTEXT_VARS", "GREENLET_USE_GC", "GREENLET_USE_TRACING",
           "GreenletExit", "error", "get_pending_cleanup_count", "get_total_main_greenlets",
           "getcurrent", "gettrace", "greenlet", "settrace"]
