"""stackful.io.Driver: the resume loop of a Coroutine, its result kept apart."""

import re

import pytest

import stackful
from stackful import Coroutine, CoroutineError, suspend
from stackful.io import Driver


def render(template):
    return re.sub(r"\{(\w+)\}", lambda m: suspend(m.group(1)), template)


def test_run_answers_each_suspension_and_returns_the_result():
    answers = {"name": "Ada", "age": "36"}
    d = Driver(render, "Hello {name}, you are {age}")
    assert d.run(answers.__getitem__) == "Hello Ada, you are 36"
    assert d.result == "Hello Ada, you are 36" and d.done


def test_iterating_gives_suspended_values_result_separately():
    def body(n):
        for i in range(n):
            suspend(i)
        return "end"

    d = Driver(body, 3)
    assert list(d) == [0, 1, 2]
    assert d.result == "end"
    with pytest.raises(StopIteration) as info:
        next(d)
    assert info.value.value == "end"


def test_a_result_that_looks_like_a_suspended_value_is_not_confused():
    # resume() gives None both for suspend(None) and for a function returning None.
    def body():
        suspend(None)
        suspend(None)

    d = Driver(body)
    assert list(d) == [None, None] and d.result is None


def test_send_and_first_send_must_be_none():
    def body():
        return suspend("q") + suspend("r")

    d = Driver(body)
    with pytest.raises(TypeError, match="first send"):
        d.send(1)
    assert d.send(None) == "q"
    assert d.send(1) == "r"
    with pytest.raises(StopIteration):
        d.send(2)
    assert d.result == 3


def test_drives_an_existing_coroutine_even_one_already_started():
    def body():
        return [suspend(1), suspend(2)]

    co = Coroutine(body)
    assert co.resume() == 1
    d = Driver(co)
    with pytest.raises(TypeError, match="first send"):
        Driver(Coroutine(print)).send(1)
    assert d.send("a") == 2 and d.coroutine is co
    with pytest.raises(StopIteration):
        d.send("b")
    assert d.result == ["a", "b"]
    with pytest.raises(TypeError, match="no arguments"):
        Driver(co, 1)


def test_exception_propagates_and_result_says_so():
    def body():
        suspend(1)
        raise ValueError("bad")

    d = Driver(body)
    next(d)
    with pytest.raises(ValueError, match="bad"):
        next(d)
    with pytest.raises(CoroutineError, match="raised ValueError") as info:
        d.result
    assert isinstance(info.value.__cause__, ValueError)


def test_throw_and_close():
    seen = []

    def body():
        try:
            suspend(1)
        except KeyError:
            seen.append("caught")
        try:
            suspend(2)
        finally:
            seen.append("finally")

    d = Driver(body)
    next(d)
    assert d.throw(KeyError) == 2
    with d:
        pass
    assert seen == ["caught", "finally"] and d.done
    with pytest.raises(CoroutineError, match="closed before"):
        d.result


def test_stop_iteration_inside_becomes_runtime_error():
    def body():
        raise StopIteration("leak")

    d = Driver(body)
    with pytest.raises(RuntimeError, match="raised StopIteration"):
        next(d)
    with pytest.raises(CoroutineError):
        d.result


def test_result_before_the_end_and_bad_targets():
    d = Driver(render, "{x}")
    with pytest.raises(CoroutineError, match="has not finished"):
        d.result
    with pytest.raises(TypeError, match="already an iterator"):
        Driver(stackful.Generator(lambda: None))
    with pytest.raises(TypeError, match="callable or a stackful.Coroutine"):
        Driver(3)


def test_drives_a_feed_free_protocol_of_requests():
    # A driver loop for a coroutine that asks its driver for data by suspending.
    def parse_lines():
        lines = []
        while (line := suspend("need line")) is not None:
            lines.append(line)
        return lines

    feed = iter(["a", "b", None])
    d = Driver(parse_lines)
    assert d.run(lambda request: next(feed)) == ["a", "b"]
