"""No imports at all, and no newline at the end."""
from stackful import coroutine_fn


@coroutine_fn
def uses_other_module():
    import stackful
    stackful.suspend()