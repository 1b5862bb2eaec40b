"""Methods: self, cls, known classes, super(), overrides, properties, with."""
import stackful
from stackful import coroutine_fn


class Lock:
    def __enter__(self):
        stackful.suspend("acquire")               # SC101
        return self

    def __exit__(self, *exc):
        return False


class Queue:
    def __init__(self):
        self.lock = Lock()
        self.items = []

    @coroutine_fn
    def get(self):
        while not self.items:
            stackful.suspend()
        return self.items.pop()

    def get_locked(self):
        with self.lock:                           # Lock.__enter__ may suspend
            return self.items.pop()

    def first(self):
        return self.get()                         # SC101 on first

    @property
    def head(self):
        return self.get()                         # SC101 on head (a property)

    def peek(self):
        return self.head                          # reading the property calls it

    @classmethod
    def make(cls):
        q = cls()
        return q

    def size(self):
        return len(self.items)


class Base:
    def step(self):
        return None

    def run(self):
        # self.step() may dispatch to an override in a known subclass.
        self.step()                               # SC101 on run


class Child(Base):
    def step(self):
        stackful.suspend()                        # SC101 on Child.step

    def run_parent(self):
        super().run()                             # SC101 on run_parent


def uses_local_instance():
    q = Queue()
    q.get()                                       # SC101


def uses_annotated_parameter(q: "Queue"):
    return q.size()                               # native


class Holder:
    def __init__(self, queue: Queue):
        self.queue = queue

    def take(self):
        return self.queue.get()                   # SC101 via typed attribute
