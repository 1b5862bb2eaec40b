"""A project with its own primitives and annotation name."""


def coro(fn):
    return fn


def yield_now():
    pass


def slow_io():
    pass


def spawn(target):
    pass
