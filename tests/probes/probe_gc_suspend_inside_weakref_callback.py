"""A coroutine suspends inside a weakref callback that the cycle collector runs.

Hostile: inside a coroutine, a cycle is collected that has a weak reference whose
callback calls suspend(); the main context then makes a new cycle and collects.
Correct: the main context's collection finds and frees the new cycle while the
coroutine waits (or the suspend is refused with CoroutineError); see _gcpause.run.
"""
import gc
import weakref

import stackful

import _gcpause
from _probe import ok

refs = []


def collect():
    trash = _gcpause.Plain()
    trash.self = trash
    refs.append(weakref.ref(trash, lambda ref: stackful.suspend("suspended in the collection")))
    del trash
    gc.collect()


_gcpause.run(collect)
ok()
