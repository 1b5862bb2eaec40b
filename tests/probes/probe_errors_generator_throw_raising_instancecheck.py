"""Generator.throw(T, value) where T's metaclass __instancecheck__ raises.

Hostile: the legacy three-argument throw() checks isinstance(value, T); T's metaclass
makes that check raise ZeroDivisionError.
Correct: that ZeroDivisionError comes out of throw() (the generator is untouched and
still suspended), or the generator receives a T as a Python generator does (which does
not call __instancecheck__ here). Never a SystemError.
"""
import warnings

import stackful

from _probe import check, ok

warnings.simplefilter("ignore", DeprecationWarning)   # 3.12+: the 3-argument form


class Meta(type):
    def __instancecheck__(cls, obj):
        raise ZeroDivisionError("from __instancecheck__")


class T(Exception, metaclass=Meta):
    pass


@stackful.generator
def waits():
    try:
        stackful.emit("waiting")
    except BaseException as e:
        stackful.emit("inside: " + type(e).__name__)


gen = waits()
next(gen)
try:
    got = gen.throw(T, 5)
except BaseException as e:
    got = "caller: %s (generator %s)" % (type(e).__name__, gen.status)
check(got in ("inside: T", "caller: ZeroDivisionError (generator suspended)"),
      "Generator.throw(T, 5): %s" % got)
ok()
