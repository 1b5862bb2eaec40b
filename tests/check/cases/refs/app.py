"""Functions whose reference is taken: entry functions of coroutines and
generators, callbacks stored away, thread targets."""
import time

import stackful
from stackful import coroutine_fn


def entry_cooperative():
    stackful.suspend()                            # SC101: an entry that suspends


def entry_native():
    return 1                                      # entry that never suspends: fine


@coroutine_fn
def entry_annotated():
    return 2                                      # not spurious: handed to Coroutine


@coroutine_fn
def stored_callback():
    return 3                                      # not spurious: stored in a list


@coroutine_fn
def never_referenced():
    return 4                                      # SC102


def entry_blocks():
    time.sleep(1)                                 # SC107: runs inside a coroutine


@stackful.generator
def numbers():
    return 5                                      # generator entry: fine


CALLBACKS = [stored_callback]


def start():
    for fn in (entry_cooperative, entry_native, entry_annotated):
        pass
    a = stackful.Coroutine(entry_cooperative)
    b = stackful.Coroutine(entry_native)
    c = stackful.Coroutine(fn=entry_annotated)
    d = stackful.Coroutine(entry_blocks)
    return a, b, c, d


def call_through_pointer():
    # Calls through the stored reference are not resolved statically, but
    # calling the function directly is: it is trusted to be cooperative.
    for cb in CALLBACKS:
        cb()
    stored_callback()                             # SC101 on call_through_pointer
