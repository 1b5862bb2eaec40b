"""Coroutines suspended inside contextvars.Context.run(), and contexts they share.

Hostile: a coroutine suspends inside ctx.run(); the main context then tries to enter the
same ctx; the coroutine is later finished, or closed, or dropped (collected) while inside
it; two coroutines created with the same context= both try to enter it; a Token made in a
coroutine's context is used to reset the variable in the main context; a ContextVar is
read and set around every switch.
Correct: entering a context that a suspended coroutine is inside raises RuntimeError
(as for any entered context); after the coroutine leaves it (finished, closed or
collected: CoroutineExit unwinds the run()), the main context can enter it and sees the
coroutine's value; a Token of another context raises ValueError; each context reads its
own values at every switch.
"""
import contextvars
import gc

import stackful

from _probe import check, expect_raises, ok

var = contextvars.ContextVar("var", default="unset")


def inside():
    var.set("set in ctx")
    got = stackful.suspend(var.get())
    return got, var.get()


for ending in ("finish", "close", "collect"):
    ctx = contextvars.copy_context()
    co = stackful.Coroutine(ctx.run, inside)
    check(co.resume() == "set in ctx" and var.get() == "unset", "%s: suspended" % ending)
    expect_raises(RuntimeError, ctx.run, var.get)
    if ending == "finish":
        check(co.resume("back") == ("back", "set in ctx"), "finished inside ctx.run")
    elif ending == "close":
        co.close()
    else:
        del co
        gc.collect()
    check(ctx.run(var.get) == "set in ctx", "%s: ctx can be entered again" % ending)

shared = contextvars.Context()
first = stackful.Coroutine(shared.run, stackful.suspend, "first inside", context=shared)
second = stackful.Coroutine(shared.run, lambda: "second inside", context=shared)
check(first.resume() == "first inside", "first entered the shared context")
expect_raises(RuntimeError, second.resume)
check(first.resume("out") == "out", "first leaves")

tokens = []
co = stackful.Coroutine(lambda: (tokens.append(var.set("coroutine")), stackful.suspend())[1])
co.resume()
expect_raises(ValueError, var.reset, tokens[0])
check(var.get() == "unset", "the main context's value")


def counts():
    for i in range(50):
        var.set(i)
        check(stackful.suspend(var.get()) == i and var.get() == i, "coroutine's value")


co = stackful.Coroutine(counts)
var.set("main")
check(co.resume() == 0, "first value")
for i in range(1, 50):
    check(var.get() == "main", "main's value")
    check(co.resume(i - 1) == i, "value %d" % i)
ok()
