"""The generator protocol abused, compared with Python generators.

Hostile: the same generator bodies, written once as a Python generator (yield) and once
as a stackful generator (emit), get the same sequences of three next/send/throw/close
calls, including abuse: throw() with None, a number, an instance plus a value, a bad
traceback, a class plus a value, a class plus an instance, a class plus a traceback,
GeneratorExit and StopIteration; next() after the end; next/send/throw/close called by
the generator on itself while it runs. Bodies: a plain one with a return value, one that
catches what is thrown (GeneratorExit too) and produces again, one that raises
StopIteration (PEP 479), one that produces in `finally`.
Correct: every call has the same outcome as for the Python generator: the same value, or
the same exception type and message (for StopIteration, the same value; stackful's
message may go on after Python's).
"""
import itertools
import warnings

import stackful

from _probe import check, ok

warnings.simplefilter("ignore", DeprecationWarning)     # 3.12+: throw(type, value, tb)
try:
    raise OSError("for a traceback")
except OSError as e:
    TRACEBACK = e.__traceback__


def py_plain(me):
    got = yield 1
    got2 = yield ("got", got)
    return ("returned", got2)


def sf_plain(me):
    got = stackful.emit(1)
    got2 = stackful.emit(("got", got))
    return ("returned", got2)


def py_catches(me):
    try:
        yield "waiting"
    except BaseException as e:
        yield ("caught", type(e).__name__, str(e))


def sf_catches(me):
    try:
        stackful.emit("waiting")
    except BaseException as e:
        stackful.emit(("caught", type(e).__name__, str(e)))


def py_pep479(me):
    yield 1
    raise StopIteration("inside")


def sf_pep479(me):
    stackful.emit(1)
    raise StopIteration("inside")


def py_finally(me):
    try:
        yield 1
    finally:
        yield "in finally"


def sf_finally(me):
    try:
        stackful.emit(1)
    finally:
        stackful.emit("in finally")


SELF_CALLS = [lambda g: next(g), lambda g: g.send(1), lambda g: g.throw(ValueError),
              lambda g: g.close()]


def self_outcomes(me):
    got = []
    for call in SELF_CALLS:
        try:
            call(me[0])
            got.append("allowed")
        except Exception as e:
            got.append((type(e).__name__, str(e)))
    return got


def py_selfish(me):
    yield self_outcomes(me)


def sf_selfish(me):
    stackful.emit(self_outcomes(me))


BODIES = {"plain": (py_plain, sf_plain), "catches": (py_catches, sf_catches),
          "pep479": (py_pep479, sf_pep479), "finally": (py_finally, sf_finally),
          "selfish": (py_selfish, sf_selfish)}

CALLS = [
    ("next", lambda g: next(g)),
    ("send 5", lambda g: g.send(5)),
    ("throw None", lambda g: g.throw(None)),
    ("throw 1", lambda g: g.throw(1)),
    ("throw instance+value", lambda g: g.throw(ValueError("v"), 1)),
    ("throw bad traceback", lambda g: g.throw(ValueError, 1, "not a traceback")),
    ("throw class+value", lambda g: g.throw(KeyError, "k")),
    ("throw class+instance", lambda g: g.throw(ValueError, ValueError("same"))),
    ("throw class+traceback", lambda g: g.throw(ValueError, None, TRACEBACK)),
    ("throw GeneratorExit", lambda g: g.throw(GeneratorExit)),
    ("throw StopIteration", lambda g: g.throw(StopIteration)),
    ("close", lambda g: g.close()),
]


def outcome(call, gen):
    try:
        return ("value", call(gen))
    except StopIteration as e:      # its args: probe_generator_send_return_none_args
        return ("raised", "StopIteration", e.value)
    except BaseException as e:
        return ("raised", type(e).__name__, str(e))


def same(py, sf):
    """Equal outcomes; a stackful message may say more after Python's."""
    if py[:2] != sf[:2] or len(py) != len(sf):
        return False
    return py == sf or (isinstance(py[2], str) and isinstance(sf[2], str)
                        and sf[2].startswith(py[2]))


differences = []
for name, (py_body, sf_body) in BODIES.items():
    for sequence in itertools.product(CALLS, repeat=3):
        results = []
        for make in (lambda me: py_body(me), lambda me: stackful.Generator(sf_body, me)):
            me = []
            gen = make(me)
            me.append(gen)
            results.append([outcome(call, gen) for _, call in sequence])
            try:
                gen.close()
            except RuntimeError:
                pass
        if not all(same(py, sf) for py, sf in zip(*results)):
            differences.append("%s, %s:\n  python   %r\n  stackful %r" % (
                name, [label for label, _ in sequence], results[0], results[1]))
check(not differences, "%d differences, e.g.:\n%s" % (len(differences),
                                                      "\n".join(differences[:6])))
ok()
