"""Stackful generators: the generator protocol, from any call depth."""

import gc
import itertools
import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import stackful
from stackful import CoroutineError, emit


# --- the protocol, against Python generators as the reference ---------------------

def reference_body(n):
    """An ordinary generator: the model the stackful one must match."""
    received = []
    try:
        for i in range(n):
            try:
                got = yield i
                received.append(got)
            except ValueError as e:
                received.append("caught %s" % e)
                yield "after-catch"
    finally:
        received.append("finally")
    return received


@stackful.generator
def stackful_body(n):
    """The same, but every item is emitted two calls below the generator's function."""
    received = []

    def deeper(value):
        return produce(value)

    def produce(value):
        return emit(value)

    try:
        for i in range(n):
            try:
                got = deeper(i)
                received.append(got)
            except ValueError as e:
                received.append("caught %s" % e)
                deeper("after-catch")
    finally:
        received.append("finally")
    return received


def outcome(call):
    try:
        return ("value", call())
    except StopIteration as e:
        return ("stop", e.value)
    except BaseException as e:  # noqa: BLE001 - compared as data
        return ("raise", type(e).__name__, str(e))


operations = st.lists(
    st.one_of(
        st.just(("next",)),
        st.tuples(st.just("send"), st.integers(0, 5)),
        st.just(("throw",)),
        st.just(("close",)),
    ),
    max_size=12,
)


def apply(gen, op):
    if op[0] == "next":
        return outcome(lambda: next(gen))
    if op[0] == "send":
        return outcome(lambda: gen.send(op[1]))
    if op[0] == "throw":
        return outcome(lambda: gen.throw(ValueError("boom")))
    return outcome(gen.close)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(0, 4), ops=operations)
def test_protocol_matches_python_generators(n, ops):
    ref, sut = reference_body(n), stackful_body(n)
    for op in ops:
        expected, got = apply(ref, op), apply(sut, op)
        if expected[0] == "raise" and "just-started" in expected[2]:
            expected = (expected[0], expected[1], expected[2])
        assert got == expected, (op, expected, got)
    ref.close()
    sut.close()


# --- the pieces one by one --------------------------------------------------------

def test_iteration_and_builtins():
    @stackful.generator
    def count(n):
        for i in range(n):
            emit(i)

    assert list(count(5)) == [0, 1, 2, 3, 4]
    assert sum(count(101)) == 5050
    assert list(itertools.islice(count(10**9), 3)) == [0, 1, 2]
    assert list(zip(count(3), count(3))) == [(0, 0), (1, 1), (2, 2)]
    assert [x for x in count(3) if x] == [1, 2]


def test_return_value_in_stop_iteration():
    @stackful.generator
    def g():
        emit(1)
        return ("tuple", "value")

    it = g()
    assert next(it) == 1
    with pytest.raises(StopIteration) as info:
        next(it)
    assert info.value.value == ("tuple", "value")
    with pytest.raises(StopIteration) as info:
        next(it)
    assert info.value.value is None


def test_yield_from_in_an_ordinary_generator_delegates():
    @stackful.generator
    def inner():
        got = emit("a")
        try:
            emit(("got", got))
        except KeyError:
            emit("inner caught")
        return "inner result"

    def outer():
        result = yield from inner()
        yield result

    o = outer()
    assert next(o) == "a"
    assert o.send(5) == ("got", 5)
    assert o.throw(KeyError) == "inner caught"
    assert next(o) == "inner result"


def test_emit_from_deep_recursion_and_c_callbacks():
    @stackful.generator
    def items():
        sorted([3, 1, 2], key=lambda x: emit(("key", x)) or x)
        re.sub(r"\d", lambda m: emit(("digit", m.group())) or "", "a1b2")

    assert list(items()) == [("key", 3), ("key", 1), ("key", 2), ("digit", "1"), ("digit", "2")]


def test_tree_traversal():
    class Node:
        def __init__(self, value, left=None, right=None):
            self.value, self.left, self.right = value, left, right

    def build(lo, hi):
        if lo > hi:
            return None
        mid = (lo + hi) // 2
        return Node(mid, build(lo, mid - 1), build(mid + 1, hi))

    @stackful.generator
    def in_order(tree):
        def visit(node):
            if node is not None:
                visit(node.left)
                emit(node.value)
                visit(node.right)

        visit(tree)

    assert list(in_order(build(0, 999))) == list(range(1000))


def hanoi_moves(n):
    @stackful.generator
    def hanoi(n):
        def move(k, a, b, c):
            if k:
                move(k - 1, a, c, b)
                emit((a, c))
                move(k - 1, b, a, c)

        move(n, "A", "B", "C")

    return list(hanoi(n))


def test_hanoi_matches_the_recursive_reference():
    def reference(k, a, b, c, out):
        if k:
            reference(k - 1, a, c, b, out)
            out.append((a, c))
            reference(k - 1, b, a, c, out)
        return out

    for n in range(1, 12):
        assert hanoi_moves(n) == reference(n, "A", "B", "C", [])


def test_nested_and_recursive_stackful_generators():
    @stackful.generator
    def flatten(tree):
        for item in tree:
            if isinstance(item, list):
                for sub in flatten(item):   # a stackful generator iterating another
                    emit(sub)
            else:
                emit(item)

    assert list(flatten([1, [2, [3, [4]], 5], [[6]]])) == [1, 2, 3, 4, 5, 6]


def test_exceptions_propagate_and_kill():
    @stackful.generator
    def g():
        emit(1)
        raise KeyError("k")

    it = g()
    next(it)
    with pytest.raises(KeyError):
        next(it)
    with pytest.raises(StopIteration):
        next(it)


def test_stop_iteration_inside_becomes_runtime_error():
    @stackful.generator
    def g():
        emit(1)
        next(iter([]))

    it = g()
    next(it)
    with pytest.raises(RuntimeError, match="generator raised StopIteration") as info:
        next(it)
    assert isinstance(info.value.__cause__, StopIteration)


def test_send_non_none_to_just_started():
    it = stackful.generator(lambda: emit(1))()
    with pytest.raises(TypeError, match="just-started generator"):
        it.send(1)
    assert next(it) == 1


def test_throw_forms():
    @stackful.generator
    def g():
        while True:
            try:
                emit("ready")
            except Exception as e:  # noqa: BLE001
                emit((type(e).__name__, str(e)))

    it = g()
    next(it)
    assert it.throw(ValueError("one")) == ("ValueError", "one")
    next(it)
    assert it.throw(ValueError) == ("ValueError", "")
    next(it)
    assert it.throw(ValueError, "legacy") == ("ValueError", "legacy")
    with pytest.raises(TypeError):
        it.throw()
    with pytest.raises(TypeError):
        it.throw(42)
    it.close()


def test_throw_into_unstarted_and_exhausted():
    it = stackful.generator(lambda: emit(1))()
    with pytest.raises(ValueError):
        it.throw(ValueError)
    with pytest.raises(StopIteration):
        next(it)
    done = stackful.generator(lambda: None)()
    assert list(done) == []
    with pytest.raises(KeyError):
        done.throw(KeyError)


def test_close_runs_finally_and_ignoring_is_an_error():
    log = []

    @stackful.generator
    def g():
        try:
            emit(1)
        finally:
            log.append("finally")

    it = g()
    next(it)
    it.close()
    assert log == ["finally"] and it.status == "dead"

    @stackful.generator
    def stubborn():
        while True:
            try:
                emit(1)
            except GeneratorExit:
                pass

    s = stubborn()
    next(s)
    with pytest.raises(RuntimeError, match="ignored GeneratorExit"):
        s.close()
    with pytest.raises(KeyError):
        s.throw(KeyError)


def test_abandoned_generator_runs_finally_on_gc():
    log = []

    @stackful.generator
    def g():
        try:
            me = emit(1)      # the consumer sends the generator itself: a cycle
            emit(2)
        finally:
            log.append("finally")
        return me

    it = g()
    next(it)
    it.send(it)
    del it
    gc.collect()
    assert log == ["finally"]

    it2 = g()
    next(it2)
    del it2               # no cycle: closed at once
    assert log == ["finally", "finally"]


def test_generator_already_executing():
    @stackful.generator
    def g():
        emit(next(me))

    me = g()
    with pytest.raises(ValueError, match="already executing"):
        next(me)


def test_emit_outside_a_generator():
    with pytest.raises(CoroutineError, match="cannot emit outside a stackful generator"):
        emit(1)
    with pytest.raises(CoroutineError, match="cannot emit outside a stackful generator"):
        stackful.Coroutine(emit, 1).resume()


def test_suspend_inside_a_generator_is_an_error_but_coroutines_inside_work():
    @stackful.generator
    def bad():
        stackful.suspend()

    with pytest.raises(CoroutineError, match="cannot suspend a stackful generator"):
        list(bad())

    @stackful.generator
    def good():
        co = stackful.Coroutine(lambda: stackful.suspend("from inner coroutine"))
        emit(co.resume())
        co.close()

    assert list(good()) == ["from inner coroutine"]


def test_transfer_into_or_out_of_a_generator_is_refused():
    target = stackful.Coroutine(stackful.suspend)

    @stackful.generator
    def g():
        stackful.lowlevel.transfer(target)

    with pytest.raises(CoroutineError, match="into or out of a stackful generator"):
        list(g())
    with pytest.raises(CoroutineError, match="into or out of a stackful generator"):
        stackful.lowlevel.transfer(g())


def test_decorator_keeps_metadata_and_checks_input():
    @stackful.generator
    def documented(x, *, stack=None, context=None):
        """Doc."""
        emit((x, stack, context))

    assert documented.__name__ == "documented" and documented.__doc__ == "Doc."
    # stack= and context= belong to the function: a generator takes neither.
    assert list(documented(1, stack="s", context="c")) == [(1, "s", "c")]
    with pytest.raises(TypeError, match="needs a callable"):
        stackful.generator(42)
    assert isinstance(documented(1), stackful.Generator)
    assert isinstance(documented(1), stackful.Coroutine)


def test_gi_running_and_gi_frame():
    @stackful.generator
    def g():
        emit(me.gi_running)

    me = g()
    assert me.gi_running is False and me.gi_frame is None
    assert next(me) is True
    assert me.gi_frame.f_code.co_name == "g"
    me.close()


def test_many_generators_interleaved_on_the_default_stack():
    @stackful.generator
    def numbers(k):
        for i in range(50):
            emit(k * 1000 + i)

    gens = [numbers(k) for k in range(200)]
    for i in range(50):
        assert [next(g) for g in gens] == [k * 1000 + i for k in range(200)]
    assert all(list(g) == [] for g in gens)


def test_generator_runs_in_its_own_copy_of_the_creators_context():
    import contextvars

    var = contextvars.ContextVar("var", default="unset")
    var.set("creator")

    @stackful.generator
    def g():
        emit(var.get())
        var.set("inside")
        emit(var.get())

    it = g()
    var.set("consumer changed it")
    assert list(it) == ["creator", "inside"]
    assert var.get() == "consumer changed it"


def test_generator_takes_stack_and_context_like_coroutine():
    import contextvars

    stack = stackful.ShareStack()
    ctx = contextvars.copy_context()
    gen = stackful.Generator(lambda: emit(1), stack=stack, context=ctx)
    assert gen.stack is stack and list(gen) == [1]
    with pytest.raises(TypeError, match="Generator\\(\\) argument 'stack' must be a ShareStack"):
        stackful.Generator(lambda: None, stack=42)


def test_decorator_stack_option_gives_each_generator_its_own_stack():
    @stackful.generator(stack=stackful.ShareStack)
    def walk(depth):
        def down(n):
            if n:
                return down(n - 1)
            emit(depth)
            emit(depth)
        down(depth)

    a, b = walk(300), walk(301)
    assert a.stack is not b.stack
    # Interleaved, deep: neither ever copies its stack.
    assert [next(a), next(b), next(a), next(b)] == [300, 301, 300, 301]
    assert a.stats.copies_out == b.stats.copies_out == 0

    shared = stackful.ShareStack()

    @stackful.generator(stack=shared)
    def one(stack=None):               # the function's own `stack` is passed through
        emit(stack)

    assert list(one(stack="mine")) == ["mine"] and one().stack is shared
    with pytest.raises(TypeError, match="needs a ShareStack or a callable"):
        stackful.generator(stack=42)


@pytest.mark.skipif(sys.version_info[:2] != (3, 11), reason="3.11's warm-up")
def test_a_generators_function_is_specialised_even_with_a_while_loop():
    import dis
    import io

    @stackful.generator
    def countdown(n):
        while n:
            emit(n)
            n -= 1

    assert sum(countdown(100)) == 5050
    out = io.StringIO()
    dis.dis(countdown.__wrapped__, adaptive=True, file=out)
    assert "RESUME_QUICK" in out.getvalue()
