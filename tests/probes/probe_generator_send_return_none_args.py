"""The StopIteration that send() raises when a stackful generator returns None.

Hostile: a generator that returns None (falls off its end) is driven to its end by
send(), and by throw() of an exception it catches; compared with a Python generator.
Correct: as for a Python generator, StopIteration() with no arguments (e.args == (),
str(e) == ''); its value is None. (A generator that returns a value raises
StopIteration(value) both ways.)
"""
import stackful

from _probe import check, ok


def py_body():
    try:
        yield 1
    except KeyError:
        pass


def sf_body():
    try:
        stackful.emit(1)
    except KeyError:
        pass


def args_at_end(gen, finish):
    next(gen)
    try:
        finish(gen)
    except StopIteration as e:
        return e.args, e.value
    return "no StopIteration"


for how, finish in (("send", lambda g: g.send(5)), ("throw", lambda g: g.throw(KeyError))):
    want = args_at_end(py_body(), finish)
    got = args_at_end(stackful.Generator(sf_body), finish)
    check(got == want, "%s at the end: StopIteration args, value %r; a Python generator's %r"
          % (how, got, want))
ok()
