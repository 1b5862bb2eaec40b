import stackful_test_extlib as ext
from stackful import coroutine_fn
from stackful_test_extlib import Client


def waits():
    ext.ext_wait()                                # SC101: annotated elsewhere


@coroutine_fn
def blocks():
    ext.ext_block()                               # SC103: blocking_fn elsewhere
    waits()


def native():
    ext.ext_native()                              # fine


def fetches(client: Client):
    client.fetch()                                # SC101: method annotated elsewhere
