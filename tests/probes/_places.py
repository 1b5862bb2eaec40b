"""Places to suspend from: each runs `pause()` (suspend or emit) once, from inside a
different construct of the language or the standard library (probe_close_*, probe_throw_*).
"""
import contextlib
import copy
import functools
import heapq
import importlib
import itertools
import json
import os
import pickle
import re
import sys
import weakref

from _probe import temporary_directory


class Collides:
    """Equal to nothing but itself; same hash as every other: dict lookups call __eq__."""

    def __init__(self, pause):
        self.pause = pause

    def __hash__(self):
        return 1

    def __eq__(self, other):
        self.pause()
        return self is other


def via_dunder(pause, name, use):
    cls = type("Pauses", (), {name: lambda self, *a: (pause(), use(a))[1]})
    return cls()


def class_creation(pause):
    class Base:
        def __init_subclass__(cls):
            pause()

    class Sub(Base):
        pass
    return Sub


def metaclass_call(pause):
    class Meta(type):
        def __call__(cls):
            pause()
            return super().__call__()

    class K(metaclass=Meta):
        pass
    return K()


def python_generator(pause):
    def gen():
        pause()
        yield 1
    return list(gen())


def with_exit(pause):
    class CM:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pause()

    with CM():
        pass


def contextmanager(pause):
    @contextlib.contextmanager
    def cm():
        pause()
        yield

    with cm():
        pass


def deepcopy(pause):
    class D:
        def __deepcopy__(self, memo):
            pause()
            return D()
    return copy.deepcopy([D()])


def pickled(pause):
    class R:
        def __reduce__(self):
            pause()
            return (int, (1,))
    return pickle.dumps(R())


_module_dir = temporary_directory()
_modules = itertools.count()


def module_import(pause):
    name = "stackful_probe_module_%d_%d" % (os.getpid(), next(_modules))
    with open(os.path.join(_module_dir, name + ".py"), "w") as f:
        f.write("import _places\n_places.PAUSE()\n")
    sys.path.insert(0, _module_dir)
    try:
        global PAUSE
        PAUSE = pause
        importlib.invalidate_caches()
        return importlib.import_module(name)
    finally:
        sys.path.remove(_module_dir)


def finalizer(pause):
    class Dies:
        def __del__(self):
            pause()
    Dies()


def weakref_callback(pause):
    class Obj:
        pass
    o = Obj()
    r = weakref.ref(o, lambda ref: pause())
    del o
    return r


def by_key(run):
    return lambda pause: run(lambda x: (pause(), x)[1])


PLACES = {
    "direct": lambda pause: pause(),
    "sorted key": by_key(lambda key: sorted([3], key=key)),
    "list.sort __lt__": lambda pause: sorted([via_dunder(pause, "__lt__", lambda a: True),
                                              via_dunder(pause, "__lt__", lambda a: True)]),
    "map": by_key(lambda f: list(map(f, [1]))),
    "filter": by_key(lambda f: list(filter(f, [1]))),
    "min key": by_key(lambda key: min([2], key=key)),
    "functools.reduce": lambda pause: functools.reduce(lambda a, b: (pause(), a + b)[1],
                                                        [1, 2]),
    "itertools.starmap": lambda pause: list(itertools.starmap(lambda a: (pause(), a)[1],
                                                              [(1,)])),
    "re.sub": lambda pause: re.sub("a", lambda m: (pause(), "b")[1], "a"),
    "json default": lambda pause: json.dumps(object(), default=lambda o: (pause(), 1)[1]),
    "dict lookup __eq__": lambda pause: {Collides(pause): 1, Collides(pause): 2},
    "__hash__": lambda pause: {via_dunder(pause, "__hash__", lambda a: 1): 1},
    "__getattr__": lambda pause: via_dunder(pause, "__getattr__", lambda a: 1).missing,
    "__index__ (range)": lambda pause: range(via_dunder(pause, "__index__", lambda a: 2)),
    "__len__": lambda pause: len(via_dunder(pause, "__len__", lambda a: 0)),
    "__bool__": lambda pause: not via_dunder(pause, "__bool__", lambda a: True),
    "__format__": lambda pause: format(via_dunder(pause, "__format__", lambda a: "x"), ""),
    "__iter__ / __next__": lambda pause: list(iter(lambda: (pause(), None)[1], None)),
    "__contains__": lambda pause: 1 in via_dunder(pause, "__contains__", lambda a: True),
    "__init__": lambda pause: via_dunder(pause, "__init__", lambda a: None),
    "__init_subclass__": class_creation,
    "metaclass __call__": metaclass_call,
    "property": lambda pause: type("P", (), {"p": property(lambda s: pause())})().p,
    "heapq __lt__": lambda pause: heapq.heappush(
        [via_dunder(pause, "__lt__", lambda a: True)],
        via_dunder(pause, "__lt__", lambda a: True)),
    "python generator": python_generator,
    "str.join generator": lambda pause: "".join((pause(), "x")[1] for _ in range(1)),
    "with __exit__": with_exit,
    "contextlib.contextmanager": contextmanager,
    "copy.deepcopy": deepcopy,
    "pickle __reduce__": pickled,
    "exec": lambda pause: exec("pause()", {"pause": pause}),
    "import (module body)": module_import,
    "__del__": finalizer,
    "weakref callback": weakref_callback,
}
