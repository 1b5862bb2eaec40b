"""11 -- greenlet's API on stackful (``stackful.compat.greenlet``).

Code written for greenlet runs unchanged on the compat module: ``greenlet(run)``,
``switch`` passing values both ways, ``parent`` receiving a finished greenlet's result,
``throw``, ``GreenletExit`` and ``getcurrent``. ``greenlet.install()`` (not used here,
so that the example does not change ``sys.modules``) makes ``import greenlet`` resolve to
it, which is how SQLAlchemy's asyncio layer runs on stackful (docs/compat.md).
"""

from stackful.compat import greenlet as gl

trail = []


def consumer(first):
    total = first
    while True:
        try:
            value = gl.getcurrent().parent.switch(total)   # hand back, wait for more
        except gl.GreenletExit:
            trail.append("consumer got GreenletExit")
            return "closed with total %d" % total
        total += value


main = gl.getcurrent()
g = gl.greenlet(consumer)
print("first switch returns", g.switch(10))
print("then", g.switch(5), "and", g.switch(7))
print("parent is the main greenlet:", g.parent is main, "; dead:", g.dead)
print("throw GreenletExit ->", g.throw(gl.GreenletExit))
print("dead:", g.dead, trail)


# A finished greenlet's return value goes to its parent, which need not be what
# switched to it: here the main greenlet starts `child`, whose parent is `waiter`.
def waiter():
    got = main.switch("waiter is waiting")
    return "waiter got: " + got


def child():
    return "the child's result"


w = gl.greenlet(waiter)
print(w.switch())
print(gl.greenlet(child, parent=w).switch())

a = gl.greenlet(consumer)
b = gl.greenlet(consumer, parent=a)
try:
    a.parent = b
except ValueError as exc:
    print("a cycle of parents is refused: ValueError:", exc)
