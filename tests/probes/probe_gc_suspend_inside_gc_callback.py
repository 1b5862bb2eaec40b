"""A coroutine suspends inside a gc.callbacks callback.

Hostile: a callback in gc.callbacks calls suspend() at the "start" of a collection that
a coroutine started (gc.collect() in the coroutine); the main context then makes a new
cycle and collects.
Correct: the main context's collection finds and frees the new cycle while the
coroutine waits (or the suspend is refused with CoroutineError); see _gcpause.run.
"""
import gc

import stackful

import _gcpause
from _probe import ok

armed = []


def callback(phase, info):
    if phase == "start" and armed:
        armed.clear()
        stackful.suspend("suspended in the collection")


def collect():
    armed.append(True)
    gc.collect()


gc.callbacks.append(callback)
_gcpause.run(collect)
ok()
