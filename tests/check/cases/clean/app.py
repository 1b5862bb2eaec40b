"""Correctly annotated code: no findings, exit status 0."""
import threading
import time

import stackful
from stackful import blocking_fn, coroutine_fn


@coroutine_fn
def produce(items):
    for item in items:
        stackful.suspend(item)


@coroutine_fn
def pipeline(items):
    produce(items)
    return "done"


@blocking_fn
def save(path, data):
    with open(path, "w") as f:
        f.write(data)
    time.sleep(0.01)


def background():
    save("/dev/null", "x")


def main():
    co = stackful.Coroutine(pipeline, [1, 2, 3])
    while co.status != "dead":
        co.resume()
    threading.Thread(target=background).start()


if __name__ == "__main__":
    main()
