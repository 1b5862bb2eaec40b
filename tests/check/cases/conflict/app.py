"""SC104 (both annotations) and SC105 (a blocking_fn that may suspend)."""
import stackful
from stackful import blocking_fn, coroutine_fn


@coroutine_fn
@blocking_fn
def confused():
    stackful.suspend()


@coroutine_fn
def step():
    stackful.suspend()


@blocking_fn
def drain():
    step()
