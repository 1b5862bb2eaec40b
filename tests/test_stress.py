"""Correctness under stress: many coroutines, threads, signals, churn."""

import os
import signal
import threading

import pytest

import stackful
from stackful import Coroutine, ShareStack, suspend


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_10000_coroutines_interleave_on_one_share_stack_with_locals_intact():
    stack = ShareStack()

    def worker(i):
        a, b, text = i, i * 3, "w%d" % i
        total = 0
        for step in range(3):
            total += suspend((a, step))
            assert (a, b, text) == (i, i * 3, "w%d" % i)
        return total, text

    cos = [Coroutine(worker, i, stack=stack) for i in range(10_000)]
    for step in range(3):
        for i, co in enumerate(cos):
            assert co.resume(None if step == 0 else i) == (i, step)
    for i, co in enumerate(cos):
        assert co.resume(i) == (3 * i, "w%d" % i)
    assert stack.owner_changes >= 4 * 10_000 - 1


def test_100000_suspended_at_once():
    def f(i):
        return suspend(i) + 1

    cos = [Coroutine(f, i) for i in range(100_000)]
    assert [co.resume() for co in cos] == list(range(100_000))
    assert all(co.status == "suspended" for co in cos)
    assert [co.resume(i) for i, co in enumerate(cos)] == [i + 1 for i in range(100_000)]


def test_1000000_create_finish_cycles_keep_rss_flat():
    def body(x):
        return suspend(x)

    def cycle(n):
        for i in range(n):
            co = Coroutine(body, i)
            co.resume()
            co.resume(i)

    cycle(50_000)   # warm up pools and allocator
    before = rss_bytes()
    cycle(1_000_000)
    growth = rss_bytes() - before
    assert growth < 8 * 1024 * 1024, "RSS grew by %d bytes" % growth
    info = stackful.lowlevel.pool_info()
    assert info["frame_chunks"] >= 1


def test_standalone_stacks_are_pooled_and_rss_flat():
    def body():
        return suspend()

    def cycle(n):
        for _ in range(n):
            co = Coroutine(body, stack=ShareStack())
            co.resume()
            co.resume()

    cycle(2_000)
    before = rss_bytes()
    cycle(50_000)
    assert rss_bytes() - before < 8 * 1024 * 1024
    assert stackful.lowlevel.pool_info()["stacks"] >= 1


def test_coroutines_in_4_threads_at_once():
    errors = []
    results = {}
    barrier = threading.Barrier(4)

    def thread_main(t):
        try:
            barrier.wait()

            def worker(i):
                acc = 0
                for k in range(200):
                    acc += suspend((t, i, k))
                    assert stackful.current() is cos[i]
                return acc

            cos = [Coroutine(worker, i) for i in range(50)]
            for co in cos:
                co.resume()
            for k in range(1, 201):
                for i, co in enumerate(cos):
                    out = co.resume(1)
                    if k < 200:
                        assert out == (t, i, k), out
                    else:
                        assert out == 200
            results[t] = stackful.lowlevel.switch_count()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=thread_main, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert sorted(results) == [0, 1, 2, 3]
    assert all(count >= 2 * 50 * 201 for count in results.values())


def test_thread_exits_with_suspended_coroutines_then_more_threads_work():
    def thread_main():
        cos = [Coroutine(suspend) for _ in range(10)]
        for co in cos:
            co.resume()
        globals().setdefault("_leftovers", []).extend(cos)

    for _ in range(3):
        th = threading.Thread(target=thread_main)
        th.start()
        th.join()
    with pytest.raises(stackful.CoroutineError, match="another thread"):
        globals()["_leftovers"][0].resume()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        globals().pop("_leftovers")


def test_interval_timer_signals_during_300000_switches():
    fired = [0]

    def on_alarm(signum, frame):
        fired[0] += 1
        if stackful.in_coroutine():
            fired.append("in coroutine")

    stack = ShareStack()

    def ping(n):
        total = 0
        for _ in range(n):
            total += suspend(1)
        return total

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.0005, 0.0005)
    try:
        # Shared stack (copying) and standalone coroutines, 300,000 switches in all.
        a = Coroutine(ping, 50_000, stack=stack)
        b = Coroutine(ping, 50_000, stack=stack)
        c = Coroutine(ping, 50_000, stack=ShareStack())
        for co in (a, b, c):
            co.resume()
        results = {}
        while len(results) < 3:
            for co in (a, b, c):
                if co not in results:
                    value = co.resume(1)
                    if co.status == "dead":
                        results[co] = value
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0, 0)
        signal.signal(signal.SIGALRM, old)
    assert sorted(results.values()) == [50_000] * 3
    assert fired[0] > 0


def test_frames_spilling_past_the_root_chunk_reuse_cached_chunks():
    # A coroutine's frames start in a 1 KiB chunk; deeper ones spill into CPython's
    # 16 KiB chunks, which are kept for reuse instead of an mmap/munmap per crossing.
    def deep(n):
        return deep(n - 1) + 1 if n else suspend("bottom")

    def body():
        total = 0
        for _ in range(200):
            total += deep(60)      # crosses the root chunk's end twice per iteration
        return total

    co = Coroutine(body)
    assert co.resume() == "bottom"
    for _ in range(199):
        assert co.resume(0) == "bottom"
    assert co.resume(0) == 200 * 60
    assert stackful.lowlevel.pool_info()["spill_chunks"] >= 1
