import time

import stackful
from stackful import coroutine_fn


def silenced():  # stackful: ignore[SC101]
    stackful.suspend()


def silenced_all():  # stackful: ignore
    stackful.suspend()


def other_code_silenced():  # stackful: ignore[SC102]
    stackful.suspend()                            # SC101 still reported


@coroutine_fn
def sleeper():
    time.sleep(1)  # stackful: ignore[SC107]
    time.sleep(2)                                 # SC107
    stackful.suspend()
