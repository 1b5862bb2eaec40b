import stackful as sf


@sf.coroutine_fn
def wait():
    sf.suspend()


@sf.coroutine_fn
def already():
    wait()
