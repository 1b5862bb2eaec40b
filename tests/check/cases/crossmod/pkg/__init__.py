"""Re-exports from submodules: callers may use either spelling."""
from .core import wait_event as wait
from .core import Channel

__all__ = ["Channel", "wait"]
