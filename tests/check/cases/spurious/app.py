"""SC102: annotated @coroutine_fn, but nothing in it may suspend."""
import abc
from typing import Protocol

import stackful
from stackful import coroutine_fn


@coroutine_fn
def pure(x):
    return x + 1


@coroutine_fn
def calls_native():
    return pure(1) + len("abc")


@coroutine_fn
def really_suspends():
    stackful.suspend()


class Base(abc.ABC):
    @coroutine_fn
    @abc.abstractmethod
    def step(self):
        """Overrides may suspend: the annotation is a declaration, trusted."""


class Immediate(Base):
    @coroutine_fn
    def step(self):
        """An override of a @coroutine_fn method keeps the interface: trusted."""
        return None


class Stream(Protocol):
    @coroutine_fn
    def read(self) -> bytes:
        ...


@coroutine_fn
def not_yet_implemented():
    raise NotImplementedError
