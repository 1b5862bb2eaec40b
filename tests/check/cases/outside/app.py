"""SC106: coroutine functions called from code known to run outside any
coroutine: a @blocking_fn, the `if __name__ == "__main__"` block, and the
target of a thread."""
import threading

import stackful
from stackful import blocking_fn, coroutine_fn


@coroutine_fn
def tick():
    stackful.suspend()


@coroutine_fn
def loop():
    while True:
        tick()


@blocking_fn
def shutdown():
    tick()                                        # SC106 (and SC105 above)


def main():
    # Right: run the coroutine function inside a coroutine.
    co = stackful.Coroutine(loop)
    co.resume()


# Module-level code outside the main guard is not *known* to run outside a
# coroutine (a module may be imported from one): no finding.
tick()

if __name__ == "__main__":
    main()
    loop()                                        # SC106
    threading.Thread(target=loop).start()         # SC106
    threading.Thread(None, main).start()          # fine: main is native
