"""Runaway recursions, one Python frame per level, each level through C code (for the
probe_recursion_*.py probes; imported by their child processes)."""
import json
import pickle
import re


def sorted_key(x):
    return sorted([x], key=sorted_key)


def map_(x):
    return list(map(map_, [x]))


class Attr:
    def __getattr__(self, name):
        return getattr(self, name + "x")


class Obj:
    pass


def json_default(o):
    return json.dumps(Obj(), default=json_default)


def re_sub(m):
    return re.sub("a", re_sub, "a")


class Reduce:
    def __reduce__(self):
        return (list, ([Reduce()],))


def python(n):
    return python(n + 1)


PATHS = {
    "sorted_key": lambda: sorted_key(0),
    "map": lambda: map_(0),
    "getattr": lambda: Attr().a,
    "json_default": lambda: json_default(None),
    "re_sub": lambda: re_sub(None),
    "pickle_reduce": lambda: pickle.dumps(Reduce()),
    "python": lambda: python(0),     # no C level: costs no C stack on 3.11+
}


def attempt(path):
    """'RecursionError' or 'returned' (it never should)."""
    try:
        PATHS[path]()
    except RecursionError:
        return "RecursionError"
    return "returned"
