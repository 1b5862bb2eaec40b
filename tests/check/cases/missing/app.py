"""SC101: functions that may suspend but are not annotated."""
import stackful
from stackful import coroutine_fn


def wait_ready():
    # Direct call of a cooperative primitive.
    return stackful.suspend("ready?")


def fetch(key):
    # Indirect: through wait_ready().
    wait_ready()
    return key


@coroutine_fn
def handler(request):
    # Correctly annotated: no finding here.
    return fetch(request)


def outer():
    def inner():
        stackful.suspend()

    inner()


def native(x):
    # Calls nothing cooperative: no finding.
    return x * 2
