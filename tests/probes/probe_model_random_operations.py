"""Random sequences of operations on a few coroutines, checked against a model.

Hostile: hypothesis draws sequences of operations on four coroutines (three taking turns
on one ShareStack, one on a default stack): from the main context resume (with a nested
instruction), throw, close, drop (the last reference, so the finalizer closes it) and
gc.collect(), and renew (a new, unstarted coroutine in place of a dead or dropped one);
the instruction a coroutine receives makes it suspend, return, raise,
transfer to another coroutine, resume another one, collect garbage, or do any of those
from 20 levels deep in C recursion, nested up to three deep (so transfers chain, resumes
nest, coroutines are refused because they are running, normal or dead, and share stacks
change hands in every pattern).
Correct: every operation's result (value or exception), every coroutine's status and the
order in which finally blocks ran are exactly what the model (a plain-Python
re-statement of the documented semantics) predicts; the same fixed set of examples every
run (derandomized).
"""
import gc

from hypothesis import HealthCheck, given, settings, strategies as st

import stackful
from stackful import lowlevel

from _probe import ok

N = 4
SHARED = stackful.ShareStack()
STACKS = [SHARED, SHARED, SHARED, None]     # three take turns on one stack


class Thrown(Exception):
    pass


class Raised(Exception):
    pass


# --------------------------------------------------------------------------------------
# The real thing: each coroutine interprets the instructions it is sent.

def instruction(rnd, depth):
    """What a coroutine is sent (None: suspend as well): mostly transfers and resumes of
    other coroutines, ending in a suspend (so that chains get somewhere)."""
    if depth == 0 or rnd.random() < 0.25:
        kind = rnd.choice(["suspend"] * 6 + ["return", "raise"])
        return (kind, rnd.randrange(10))
    kind = rnd.choice(["transfer", "transfer", "resume", "resume", "gc", "deep"])
    inner = None if rnd.random() < 0.15 else instruction(rnd, depth - 1)
    if kind in ("gc", "deep"):
        return (kind, inner or ("suspend", 0))
    return (kind, rnd.randrange(N), inner)


def operation(rnd):
    kind = rnd.choice(["resume"] * 12 + ["throw", "throw", "close", "drop", "gc"] +
                      ["renew"] * 3)
    i = rnd.randrange(N)
    if kind == "resume":
        return (kind, i, None if rnd.random() < 0.1 else instruction(rnd, 3))
    if kind == "throw":
        return (kind, i, rnd.randrange(10))
    return (kind, i)


class Real:
    def __init__(self):
        self.cos = [stackful.Coroutine(self.body, i, stack=STACKS[i]) for i in range(N)]
        self.finished = []

    def body(self, i):
        try:
            got = ("started",)
            while True:
                try:
                    got = self.step(i, got)
                except Thrown as e:
                    got = ("caught", e.args[0])      # suspends in the next step, in the try
                if got is not None and got[0] == "returned":
                    return got
        finally:
            self.finished.append(i)

    def step(self, i, instr):
        kind = instr[0] if instr is not None else "suspend"
        if kind == "suspend":
            return stackful.suspend(("suspended", i, instr and instr[1]))
        if kind == "caught":
            return stackful.suspend(("caught", i, instr[1]))
        if kind == "started":
            return stackful.suspend(("started", i))
        if kind == "return":
            return ("returned", i, instr[1])
        if kind == "raise":
            raise Raised(("raised", i, instr[1]))
        if kind == "gc":
            gc.collect(0)      # the young generation: these coroutines (a full one is slow)
            return self.step(i, instr[1])
        if kind == "deep":
            return self.deep(20, i, instr[1])
        j, inner = instr[1], instr[2]
        if kind == "transfer":
            try:
                return lowlevel.transfer(self.cos[j], inner)
            except (stackful.CoroutineError, TypeError):
                return stackful.suspend(("refused", i, j))
        try:
            got = self.cos[j].resume(inner)
        except (stackful.CoroutineError, TypeError, AttributeError):
            got = ("refused", j)
        except Raised as e:
            got = ("caught raise", e.args[0])
        return stackful.suspend(("resumed", i, got))

    def deep(self, n, i, instr):
        if n == 0:
            return self.step(i, instr)
        return list(map(lambda k: self.deep(k, i, instr), [n - 1]))[0]

    def apply(self, op):
        kind, i = op[0], op[1]
        co = self.cos[i]
        try:
            if kind == "resume":
                return ("value", co.resume(op[2]))
            if kind == "throw":
                return ("value", co.throw(Thrown(op[2])))
            if kind == "close":
                return ("value", co.close())
            if kind == "drop":
                self.cos[i] = None
                del co
                return ("value", None)
            if kind == "renew":
                self.cos[i] = stackful.Coroutine(self.body, i, stack=STACKS[i])
                return ("value", None)
            gc.collect(0)
            return ("value", None)
        except (stackful.CoroutineError, TypeError) as e:
            return ("error", type(e).__name__)
        except (Raised, Thrown) as e:
            return ("raise", type(e).__name__, e.args[0])

    def statuses(self):
        return [co.status if co is not None else "dropped" for co in self.cos]


# --------------------------------------------------------------------------------------
# The model: the documented semantics, in plain Python.

class Model:
    def __init__(self):
        self.state = ["unstarted"] * N       # + suspended, running, normal, dead, dropped
        self.waits_on = [None] * N           # suspended in transfer(j): holds j
        self.finished = []

    def resumable(self, j, value):
        """Why resume/transfer to j (with value) is refused, or None."""
        if self.state[j] == "dropped":
            return "AttributeError"
        if self.state[j] not in ("unstarted", "suspended"):
            return "CoroutineError"
        if self.state[j] == "unstarted" and value is not None:
            return "TypeError"
        return None

    def enter(self, j, value):
        """j (checked resumable) receives value; returns what its resumer receives."""
        if self.state[j] == "unstarted":
            self.state[j] = "suspended"
            return ("value", ("started", j))
        self.state[j], self.waits_on[j] = "running", None
        return self.run(j, value)

    def finish(self, i, outcome):
        self.state[i] = "dead"
        self.finished.append(i)
        return outcome

    def suspend(self, i, value):
        self.state[i] = "suspended"
        return ("value", value)

    def run(self, i, instr):
        kind = instr[0] if instr is not None else "suspend"     # None: suspend too
        if kind == "suspend":
            return self.suspend(i, ("suspended", i, instr and instr[1]))
        if kind == "return":
            return self.finish(i, ("value", ("returned", i, instr[1])))
        if kind == "raise":
            return self.finish(i, ("raise", "Raised", ("raised", i, instr[1])))
        if kind in ("gc", "deep"):
            return self.run(i, instr[1])
        j, inner = instr[1], instr[2]
        if kind == "transfer":
            if self.resumable(j, inner) is not None:
                return self.suspend(i, ("refused", i, j))
            self.state[i], self.waits_on[i] = "suspended", j
            return self.enter(j, inner)
        why = self.resumable(j, inner)
        if why is not None:
            got = ("refused", j)
        else:
            self.state[i] = "normal"
            outcome = self.enter(j, inner)
            self.state[i] = "running"
            got = outcome[1] if outcome[0] == "value" else ("caught raise", outcome[2])
        return self.suspend(i, ("resumed", i, got))

    def close(self, i):
        if self.state[i] == "suspended":
            self.finished.append(i)
        self.state[i], self.waits_on[i] = "dead", None

    def apply(self, op):
        kind, i = op[0], op[1]
        state = self.state[i]
        if kind == "resume":
            why = self.resumable(i, op[2])
            return ("error", why) if why else self.enter(i, op[2])
        if kind == "throw":
            if state == "dead":
                return ("error", "CoroutineError")
            if state == "unstarted":          # like a generator: raised here, never run
                self.state[i] = "dead"
                return ("raise", "Thrown", op[2])
            self.state[i], self.waits_on[i] = "running", None
            return self.suspend(i, ("caught", i, op[2]))
        if kind == "close":
            self.close(i)
        elif kind == "drop":
            self.close(i)
            self.state[i] = "dropped"
        elif kind == "renew":
            self.state[i] = "unstarted"
        return ("value", None)

    def allowed(self, op):
        """Operations the test does not make: on a dropped coroutine (but renewing it);
        dropping one that another holds (it is suspended in transfer() to it); renewing
        one that is alive."""
        if op[0] == "gc":
            return True
        if op[0] == "renew":
            return self.state[op[1]] in ("dead", "dropped") and op[1] not in self.waits_on
        if self.state[op[1]] == "dropped":
            return False
        return op[0] != "drop" or op[1] not in self.waits_on

    def statuses(self):
        return [{"unstarted": "suspended"}.get(s, s) for s in self.state]


@settings(max_examples=100, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False))
def test_operations(rnd):
    """A random subset of the coroutines is started first; then 40 operations."""
    real, model = Real(), Model()
    started = [("resume", i, None) for i in range(N) if rnd.random() < 0.8]
    for n, op in enumerate(started + [operation(rnd) for _ in range(40)]):
        if not model.allowed(op):
            continue
        want = model.apply(op)
        got = real.apply(op)
        assert got == want, "operation %d %r: got %r, the model says %r" % (n, op, got, want)
        assert real.statuses() == model.statuses(), "after %r: %r, the model says %r" % (
            op, real.statuses(), model.statuses())
        assert real.finished == model.finished, "finally blocks after %r: %r, model %r" % (
            op, real.finished, model.finished)
    for co in real.cos:                       # leave nothing suspended for the next example
        if co is not None:
            co.close()
    gc.collect()


test_operations()
ok()
