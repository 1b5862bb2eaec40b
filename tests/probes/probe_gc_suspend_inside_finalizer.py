"""A coroutine suspends inside a __del__ that the cycle collector runs.

Hostile: inside a coroutine, a cycle whose object has a __del__ that calls suspend() is
collected (gc.collect() in the coroutine), so the coroutine suspends in the middle of a
collection; the main context then makes a new cycle and collects.
Correct: the main context's collection finds and frees the new cycle while the
coroutine waits (or the suspend is refused with CoroutineError); see _gcpause.run.
"""
import gc

import stackful

import _gcpause
from _probe import ok


class SuspendsWhenCollected:
    def __del__(self):
        stackful.suspend("suspended in the collection")


def collect():
    trash = SuspendsWhenCollected()
    trash.self = trash
    del trash
    gc.collect()


_gcpause.run(collect)
ok()
