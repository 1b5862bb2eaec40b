import lib
from lib import coro


def pause():
    lib.yield_now()                               # SC101: a configured root


@coro
def task():
    pause()
    lib.slow_io()                                 # SC107: configured blocking call


@coro
def spurious():
    return 1                                      # SC102, ignored by the config


def job():
    lib.slow_io()                                 # SC107: job runs in a coroutine


lib.spawn(target=job)
