"""The runtime's clock: ``time.monotonic``, in seconds, for deadlines and timeouts."""

import time

__all__ = ["clock"]

clock = time.monotonic
