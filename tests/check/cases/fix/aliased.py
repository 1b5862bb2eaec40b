import stackful as sf


def wait():
    sf.suspend()


@sf.coroutine_fn
def already():
    wait()
