import stackful
@stackful.coroutine_fn
def wait(): stackful.suspend()
