"""stackful.aio.run_sync / await_: sync code that awaits on the asyncio task driving it."""

import asyncio
import contextvars
import gc
import sys
import threading
import traceback
import types
import warnings
import weakref

import pytest

import stackful
import stackful.aio as aio
from stackful.aio import AwaitRequired, await_, run_sync

var = contextvars.ContextVar("var", default="unset")


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------- results and values


def test_result_of_fn_and_of_awaitables():
    async def double(x):
        await asyncio.sleep(0)
        return 2 * x

    def sync(a, *, b):
        fut = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(fut.set_result, "f")
        return (await_(double(a)), await_(asyncio.sleep(0, result=b)), await_(fut))

    async def main():
        return await run_sync(sync, 21, b="s")

    assert run(main()) == (42, "s", "f")


def test_awaits_at_any_depth():
    def leaf(n):
        return await_(asyncio.sleep(0, result=n))

    def recurse(n):
        return leaf(n) if n == 0 else recurse(n - 1) + leaf(n)

    async def main():
        return await run_sync(recurse, 50)

    assert run(main()) == sum(range(51))


def test_awaits_through_c_frames():
    # sorted() calls the key through C code; the key suspends the bridge.
    def sync():
        return sorted([3, 1, 2], key=lambda x: await_(asyncio.sleep(0, result=-x)))

    async def main():
        return await run_sync(sync)

    assert run(main()) == [3, 2, 1]


def test_generator_based_coroutine_and_custom_awaitable():
    @types.coroutine
    def legacy():
        yield
        return "legacy"

    class Custom:
        def __await__(self):
            yield from asyncio.sleep(0).__await__()
            return "custom"

    async def main():
        return await run_sync(lambda: (await_(legacy()), await_(Custom())))

    assert run(main()) == ("legacy", "custom")


def test_no_await_at_all_and_none_result():
    async def main():
        return await run_sync(lambda: None), await run_sync(lambda: 5)

    assert run(main()) == (None, 5)


def test_concurrent_bridges_interleave():
    order = []

    def sync(name):
        for i in range(3):
            order.append((name, i))
            await_(asyncio.sleep(0))
        return name

    async def main():
        return await asyncio.gather(run_sync(sync, "a"), run_sync(sync, "b"))

    assert run(main()) == ["a", "b"]
    assert order == [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]


# ---------------------------------------------------------------- contextvars


def test_shares_the_tasks_context_both_ways():
    seen = []

    def sync():
        seen.append(var.get())
        var.set("set by sync")
        await_(check_inside())
        seen.append(var.get())

    async def check_inside():
        # An awaitable run by the task sees what the sync code set before awaiting it.
        seen.append(var.get())
        var.set("set by awaitable")

    async def main():
        var.set("set by task")
        await run_sync(sync)
        return var.get()

    assert run(main()) == "set by awaitable"
    assert seen == ["set by task", "set by sync", "set by awaitable"]


def test_context_is_the_tasks_own_object():
    async def main():
        mine = stackful.lowlevel.current_context()
        inside = await run_sync(stackful.lowlevel.current_context)
        return mine, inside

    mine, inside = run(main())
    assert inside is mine


def test_other_tasks_contexts_are_not_touched():
    async def other(started, done):
        var.set("other")
        started.set()
        await done.wait()
        return var.get()

    async def main():
        started, done = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(other(started, done))
        await started.wait()
        await run_sync(lambda: (var.set("bridge"), await_(asyncio.sleep(0))))
        done.set()
        return await task, var.get()

    assert run(main()) == ("other", "bridge")


# ---------------------------------------------------------------- exceptions


def test_exception_in_fn_propagates_with_traceback():
    def inner():
        raise KeyError("from sync")

    def outer():
        await_(asyncio.sleep(0))
        inner()

    async def main():
        await run_sync(outer)

    with pytest.raises(KeyError, match="from sync") as info:
        run(main())
    names = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert names[-2:] == ["outer", "inner"]
    assert "main" in names


def test_exception_before_any_await_propagates():
    async def main():
        await run_sync(lambda: 1 / 0)

    with pytest.raises(ZeroDivisionError):
        run(main())


def test_exception_of_the_awaitable_is_raised_at_await_with_full_traceback():
    async def failing():
        await asyncio.sleep(0)
        raise ValueError("from async")

    caught = []

    def sync_frame():
        try:
            await_(failing())
        except ValueError as exc:
            caught.append(exc)
            raise

    async def main():
        await run_sync(sync_frame)

    with pytest.raises(ValueError, match="from async") as info:
        run(main())
    assert caught == [info.value]
    names = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    # The task's frame, the sync frames down to await_, then the awaitable's.
    for name in ("main", "run_sync", "sync_frame", "await_", "failing"):
        assert name in names, names
    assert names.index("sync_frame") < names.index("await_") < names.index("failing")


def test_sync_code_can_handle_the_awaitables_exception_and_go_on():
    async def failing():
        raise OSError("nope")

    def sync():
        try:
            await_(failing())
        except OSError:
            return await_(asyncio.sleep(0, result="recovered"))

    async def main():
        return await run_sync(sync)

    assert run(main()) == "recovered"


def test_base_exceptions_cross_too():
    async def failing():
        raise SystemExit(3)

    def sync():
        await_(failing())

    async def main():
        try:
            await run_sync(sync)
        except SystemExit as exc:
            return exc.code

    assert run(main()) == 3


# ---------------------------------------------------------------- cancellation


def test_cancelling_the_task_raises_cancelled_error_at_await_and_runs_finally():
    log = []

    def sync(started):
        try:
            started.set()
            await_(asyncio.sleep(10))
            log.append("not reached")
        except asyncio.CancelledError:
            log.append("cancelled at await_")
            raise
        finally:
            log.append("finally")

    async def main():
        started = asyncio.Event()
        task = asyncio.create_task(run_sync(sync, started))
        await started.wait()
        await asyncio.sleep(0)
        task.cancel("stop it")
        with pytest.raises(asyncio.CancelledError):
            await task
        return task.cancelled()

    assert run(main()) is True
    assert log == ["cancelled at await_", "finally"]


def test_asyncio_timeout_around_run_sync():
    if sys.version_info < (3, 11):
        pytest.skip("asyncio.timeout is 3.11+")
    log = []

    def sync():
        try:
            await_(asyncio.sleep(10))
        finally:
            log.append("finally")

    async def main():
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.01):
                await run_sync(sync)
        return asyncio.current_task().cancelling()

    assert run(main()) == 0
    assert log == ["finally"]


def test_finally_may_await_during_cancellation():
    log = []

    def sync():
        try:
            await_(asyncio.sleep(10))
        finally:
            log.append(await_(asyncio.sleep(0, result="cleanup awaited")))

    async def main():
        task = asyncio.create_task(run_sync(sync))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert log == ["cleanup awaited"]


def test_sync_code_that_swallows_cancellation_goes_on_like_async_code():
    # The defined behaviour: what async code would do at an await.  The sync code's
    # choice stands: it goes on (later awaits work), run_sync returns its result, and
    # the task still counts the cancellation request (cancelling() == 1).
    def sync():
        try:
            await_(asyncio.sleep(10))
        except asyncio.CancelledError:
            pass
        return await_(asyncio.sleep(0, result="went on"))

    async def body():
        result = await run_sync(sync)
        return result, asyncio.current_task().cancelling()

    async def main():
        task = asyncio.create_task(body())
        await asyncio.sleep(0.01)
        task.cancel()
        return await task

    assert run(main()) == ("went on", 1)


def test_swallowed_cancellation_inside_asyncio_timeout_is_no_timeout():
    def sync():
        try:
            await_(asyncio.sleep(10))
        except asyncio.CancelledError:
            return "swallowed"

    async def main():
        async with asyncio.timeout(0.01):
            return await run_sync(sync)

    assert run(main()) == "swallowed"


def test_closing_the_driver_closes_the_sync_code():
    log = []

    def sync():
        try:
            await_(asyncio.sleep(10))
        except stackful.CoroutineExit:
            log.append("CoroutineExit")
            raise
        finally:
            log.append("finally")

    async def main():
        coro = run_sync(sync)
        fut = coro.send(None)          # runs up to the sleep
        coro.close()
        return fut

    run(main())
    assert log == ["CoroutineExit", "finally"]


# ---------------------------------------------------------------- misuse


def test_await_outside_a_bridge_raises_and_closes_the_awaitable():
    async def never():
        return 1

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(stackful.CoroutineError, match="run_sync") as info:
            await_(never())
        assert "outside a bridge" in str(info.value)
        gc.collect()                  # a "never awaited" warning would be raised here


def test_await_outside_a_bridge_does_not_warn_in_a_subprocess(python_subprocess):
    # The "never awaited" warning is emitted when the coroutine object dies; run it
    # where warnings are errors from the start and print whatever is reported.
    proc = python_subprocess("""
        import asyncio, gc, sys, warnings
        warnings.simplefilter("error")
        import stackful, stackful.aio as aio
        async def coro():
            return 1
        try:
            aio.await_(coro())
        except stackful.CoroutineError as exc:
            print("raised", "run_sync" in str(exc))
        gc.collect()
        async def main():
            # In async code (no bridge) too.
            try:
                aio.await_(asyncio.sleep(0))
            except stackful.CoroutineError:
                print("raised in async code")
        asyncio.run(main())
    """, env={"PYTHONWARNINGS": "error"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["raised True", "raised in async code"]
    assert "never awaited" not in proc.stderr


def test_await_in_a_nested_coroutine_raises():
    def nested():
        return await_(asyncio.sleep(0))

    def sync():
        co = stackful.Coroutine(nested)
        co.resume()

    async def main():
        await run_sync(sync)

    with pytest.raises(stackful.CoroutineError, match="no run_sync\\(\\) bridge drives"):
        run(main())


def test_await_in_a_stackful_task_raises():
    def task_code():
        await_(asyncio.sleep(0))

    with pytest.raises(stackful.CoroutineError, match="stackful task '.*task_code'"):
        stackful.run(task_code)


def test_await_of_a_non_awaitable_raises_type_error():
    def sync():
        with pytest.raises(TypeError, match="needs an awaitable.*int"):
            await_(42)
        with pytest.raises(TypeError, match="needs an awaitable"):
            await_(lambda: None)
        return await_(asyncio.sleep(0, result="still usable"))

    async def main():
        return await run_sync(sync)

    assert run(main()) == "still usable"


def test_run_sync_of_a_non_callable():
    async def main():
        await run_sync(42)

    with pytest.raises(TypeError, match="plain callable"):
        run(main())


def test_run_sync_of_an_async_function_is_refused_clearly():
    async def coro_fn():
        return 1

    async def main():
        await run_sync(coro_fn)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError, match="async function"):
            run(main())


def test_run_sync_without_a_running_loop_raises():
    errors = []

    def thread():
        coro = run_sync(lambda: 1)
        try:
            coro.send(None)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=thread)
    t.start()
    t.join()
    assert len(errors) == 1
    assert isinstance(errors[0], stackful.CoroutineError)
    assert "no event loop runs" in str(errors[0])


# ---------------------------------------------------------------- nesting


def test_nesting_run_sync_inside_an_awaited_coroutine():
    def innermost(x):
        return await_(asyncio.sleep(0, result=x + 1))

    async def middle(x):
        await asyncio.sleep(0)
        return await run_sync(innermost, x * 10)

    def outer():
        first = await_(middle(1))
        second = await_(middle(first))
        return first, second

    async def main():
        return await run_sync(outer)

    assert run(main()) == (11, 111)


def test_nested_exception_crosses_every_level():
    def innermost():
        await_(asyncio.sleep(0))
        raise LookupError("deep")

    async def middle():
        await run_sync(innermost)

    def outer():
        await_(middle())

    async def main():
        await run_sync(outer)

    with pytest.raises(LookupError) as info:
        run(main())
    names = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert names.index("outer") < names.index("middle") < names.index("innermost")


# ---------------------------------------------------------------- require_await


def test_require_await():
    async def main():
        assert await run_sync(lambda: await_(asyncio.sleep(0, result=1)),
                              require_await=True) == 1
        with pytest.raises(AwaitRequired, match="returned without awaiting anything"):
            await run_sync(lambda: 2, require_await=True)
        # An exception of fn wins over the missing await.
        with pytest.raises(ZeroDivisionError):
            await run_sync(lambda: 1 / 0, require_await=True)

    run(main())
    assert issubclass(AwaitRequired, stackful.CoroutineError)


# ---------------------------------------------------------------- memory


def test_no_reference_cycles_left_for_the_collector():
    async def failing():
        raise ValueError("x")

    def sync(i):
        var.set(i)
        await_(asyncio.sleep(0))
        if i % 2:
            try:
                await_(failing())
            except ValueError:
                pass
        return i

    def raising():
        await_(asyncio.sleep(0))
        raise KeyError("y")

    async def main():
        refs = []

        def tracked(i):
            refs.append(weakref.ref(stackful.current()))
            return sync(i)

        for i in range(3):          # warm up caches (asyncio's, the core's pools)
            await run_sync(tracked, i)
        gc.collect()
        gc.disable()
        try:
            for i in range(200):
                await run_sync(tracked, i)
                try:
                    await run_sync(raising)
                except KeyError:
                    pass
            assert all(r() is None for r in refs)   # gone by reference counting
            return gc.collect()
        finally:
            gc.enable()

    assert run(main()) == 0


def test_cancelled_bridge_leaves_no_cycle():
    async def main():
        refs = []

        def sync():
            refs.append(weakref.ref(stackful.current()))
            await_(asyncio.sleep(10))

        gc.collect()
        gc.disable()
        try:
            for _ in range(50):
                task = asyncio.create_task(run_sync(sync))
                await asyncio.sleep(0)
                task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    pass
            del task
            await asyncio.sleep(0)    # the loop's callbacks drop the last task's exception
            alive = sum(r() is not None for r in refs)
            return alive, len(refs), gc.collect()
        finally:
            gc.enable()

    alive, total, collected = run(main())
    assert total == 50 and alive == 0 and collected == 0
