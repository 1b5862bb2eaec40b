"""A Python signal handler (SIGALRM every 200 us) that switches, while coroutines switch.

Hostile: six workers (three taking turns on one ShareStack) suspend to a driver 1000
times each, from 10 levels deep in map(). An interval timer fires SIGALRM every 200 us;
its handler, run wherever the interpreter happens to be: inside a worker, suspends the
worker from the handler (the driver acknowledges and resumes it); in the main context,
resumes a counting coroutine, runs a stackful generator to its end, runs a short
coroutine and collects the young generation.
Correct: every worker's suspends receive exactly the driver's answers and every worker
returns its right total; the counting coroutine counted every handler call made in the
main context; signals were handled both inside workers and in the main context.
"""
import gc
import signal

import stackful

from _probe import check, ok

STEPS = 1000
shared = stackful.ShareStack()
seen = {"worker": 0, "main": 0}


def counter():
    n = 0
    while True:
        n += 1
        stackful.suspend(n)


counting = stackful.Coroutine(counter)
counted = [counting.resume() - 1]      # it counts from 1


def on_alarm(signum, frame):
    if stackful.in_coroutine() and stackful.current() in workers:
        seen["worker"] += 1
        got = stackful.suspend(("signal",))
        check(got == "ack", "handler's suspend got %r" % (got,))
    elif not stackful.in_coroutine():
        seen["main"] += 1
        counted[0] = counting.resume() - 1
        check(list(stackful.Generator(lambda: [stackful.emit(i) for i in range(3)])) ==
              [0, 1, 2], "generator in the handler")
        check(stackful.Coroutine(lambda: "short").resume() == "short", "short coroutine")
        gc.collect(0)


def deep(n, f):
    return f() if n == 0 else list(map(lambda m: deep(m, f), [n - 1]))[0]


def worker(k):
    total = 0
    for step in range(STEPS):
        got = deep(10, lambda: stackful.suspend(("step", k, step)))
        check(got == ("go", k, step), "worker %d got %r at step %d" % (k, got, step))
        total += step * k
    return total


workers = [stackful.Coroutine(worker, k, stack=shared if k % 2 else None) for k in range(6)]
results = {}
signal.signal(signal.SIGALRM, on_alarm)
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
try:
    answers = {co: None for co in workers}
    while answers:
        for co in list(answers):
            got = co.resume(answers[co])
            while got == ("signal",):
                got = co.resume("ack")
            if co.status == "dead":
                results[workers.index(co)] = got
                del answers[co]
            else:
                answers[co] = ("go",) + got[1:]
finally:
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
check(results == {k: k * sum(range(STEPS)) for k in range(6)}, "totals: %r" % results)
check(counted[0] == seen["main"], "counting coroutine: %d of %d" % (counted[0], seen["main"]))
check(seen["worker"] >= 1 and seen["main"] >= 1, "signals handled: %r" % seen)
print("signals handled:", seen)
ok()
