"""A library outside the analysed files (found on sys.path, never imported
by the checker): only its annotations are read."""
from stackful import blocking_fn, coroutine_fn


@coroutine_fn
def ext_wait():
    pass


@blocking_fn
def ext_block():
    pass


def ext_native():
    pass


class Client:
    @coroutine_fn
    def fetch(self):
        pass
