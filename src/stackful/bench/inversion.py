"""The inversion benchmark: a push parser turned into a pull iterator, four ways.

Reproduces issue 11's measurement (part 3): an expat pull iterator over a generated XML
document (about 2 MB in the default run), fed to the parser in 64 KiB chunks, each event
a tuple the consumer takes one at a time. Rows, all in the same run:

* plain callbacks: the handlers append to a list, the consumer iterates it afterwards
  (no inversion: the whole event list is held; the floor);
* stackful.Generator, hand-written: the handlers call ``stackful.emit`` (what the issue
  measured at 1.04x);
* stackful.io.parse_xml: the same through the library's Inverted (its guards and kept
  result cost one Python-level call per event);
* greenlet: the parser in a greenlet, each handler switching to the consumer (the shape
  of the stackful rows, written here);
* a thread and a bounded queue.Queue: the parser in a thread, the handlers ``put``.

And the file object: gzip decompression through ``Feed`` + ``gzip.GzipFile`` fed 64 KiB
chunks, against ``gzip.decompress`` of the whole buffer and ``GzipFile`` over a BytesIO.
"""

from __future__ import annotations

import gzip
import io
import queue
import random
import threading
import time
from typing import Any, Callable, Iterator
from xml.parsers import expat

import stackful
import stackful.io

from ._report import Result, Target, bar_plot, ratio_table
from ._timing import Case, Progress, Scale, Timing, measure, optional

CHUNK = 65536


def make_document(items: int) -> bytes:
    """An XML document of items records, attributes and text (deterministic)."""
    rng = random.Random(11)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    parts = ["<?xml version='1.0'?>\n<catalog>\n"]
    for i in range(items):
        parts.append("<item id='%d' kind='%s'><name>%s %s</name><price>%d.%02d</price>"
                     "<tags><tag>%s</tag><tag>%s</tag></tags></item>\n" % (
                         i, rng.choice(words), rng.choice(words), rng.choice(words),
                         rng.randrange(1000), rng.randrange(100), rng.choice(words),
                         rng.choice(words)))
    parts.append("</catalog>\n")
    return "".join(parts).encode()


def chunks_of(data: bytes) -> list[bytes]:
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]


def _parser(on_start: Callable[..., Any], on_end: Callable[..., Any],
            on_data: Callable[..., Any]) -> Any:
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler = on_start
    p.EndElementHandler = on_end
    p.CharacterDataHandler = on_data
    return p


def _parse_all(p: Any, chunks: list[bytes]) -> None:
    for chunk in chunks:
        p.Parse(chunk, False)
    p.Parse(b"", True)


def plain_callbacks(chunks: list[bytes]) -> int:
    events: list[Any] = []
    append = events.append
    p = _parser(lambda name, attrs: append(("start", name, attrs)),
                lambda name: append(("end", name)),
                lambda text: append(("data", text)))
    _parse_all(p, chunks)
    count = 0
    for _ in events:
        count += 1
    return count


def _generator_run(chunks: list[bytes]) -> None:
    emit = stackful.emit
    p = _parser(lambda name, attrs: emit(("start", name, attrs)),
                lambda name: emit(("end", name)),
                lambda text: emit(("data", text)))
    _parse_all(p, chunks)


def stackful_generator(chunks: list[bytes]) -> int:
    count = 0
    for _ in stackful.Generator(_generator_run, chunks):
        count += 1
    return count


def stackful_parse_xml(chunks: list[bytes]) -> int:
    count = 0
    for _ in stackful.io.parse_xml(chunks):
        count += 1
    return count


def greenlet_inversion(chunks: list[bytes]) -> int:
    greenlet = optional("greenlet")
    assert greenlet is not None
    done = object()

    def body() -> Any:
        switch = greenlet.getcurrent().parent.switch
        p = _parser(lambda name, attrs: switch(("start", name, attrs)),
                    lambda name: switch(("end", name)),
                    lambda text: switch(("data", text)))
        _parse_all(p, chunks)
        return done

    def events() -> Iterator[Any]:
        glet = greenlet.greenlet(body)
        switch = glet.switch
        while True:
            event = switch()
            if event is done:
                return
            yield event

    count = 0
    for _ in events():
        count += 1
    return count


def thread_queue_inversion(chunks: list[bytes]) -> int:
    q: queue.Queue[Any] = queue.Queue(maxsize=1024)
    done = object()

    def body() -> None:
        put = q.put
        p = _parser(lambda name, attrs: put(("start", name, attrs)),
                    lambda name: put(("end", name)),
                    lambda text: put(("data", text)))
        try:
            _parse_all(p, chunks)
        finally:
            put(done)

    worker = threading.Thread(target=body)
    worker.start()
    count = 0
    get = q.get
    while get() is not done:
        count += 1
    worker.join()
    return count


def _per_event(fn: Callable[[list[bytes]], int], chunks: list[bytes]) -> Callable[[int], Timing]:
    def run(n: int) -> Timing:
        events = 0
        start = time.perf_counter()
        for _ in range(n):
            events += fn(chunks)
        return Timing(time.perf_counter() - start, events)

    return run


def _gzip_feed(data: bytes) -> int:
    parts = chunks_of(data)
    feed = stackful.io.Feed(lambda f: len(gzip.GzipFile(fileobj=f).read()))
    for part in parts:
        feed.feed(part)
    feed.feed_eof()
    size: int = feed.result
    return size


def _per_kib(fn: Callable[[bytes], int], data: bytes) -> Callable[[int], Timing]:
    def run(n: int) -> Timing:
        size = 0
        start = time.perf_counter()
        for _ in range(n):
            size += fn(data)
        return Timing(time.perf_counter() - start, max(1, size // 1024))

    return run


PLAIN = "plain callbacks (list of events)"
GENERATOR = "stackful.Generator, hand-written"
PARSE_XML = "stackful.io.parse_xml (Inverted)"
GREENLET = "greenlet inversion"
THREADS = "thread + queue.Queue(1024)"
DECOMPRESS = "gzip.decompress(whole buffer)"


def cases(scale: Scale) -> tuple[list[Case], list[Case], int, int]:
    doc = make_document(scale.pick(14000, 4000, 300))
    chunks = chunks_of(doc)
    # Each repeat parses the document a few times: one parse is short enough for a
    # busy moment of the shared machine to swamp it.
    times = scale.pick(3, 1, 1)
    parse = [Case(PLAIN, _per_event(plain_callbacks, chunks), "expat", fixed_n=times),
             Case(GENERATOR, _per_event(stackful_generator, chunks), "expat", fixed_n=times),
             Case(PARSE_XML, _per_event(stackful_parse_xml, chunks), "expat", fixed_n=times)]
    if optional("greenlet") is not None:
        parse.append(Case(GREENLET, _per_event(greenlet_inversion, chunks), "expat",
                          fixed_n=times))
    parse.append(Case(THREADS, _per_event(thread_queue_inversion, chunks), "expat",
                      fixed_n=times))
    compressed = gzip.compress(doc, compresslevel=6)
    unzip = [
        Case(DECOMPRESS, _per_kib(lambda d: len(gzip.decompress(d)), compressed), "gzip",
             fixed_n=times * 2),
        Case("gzip.GzipFile over io.BytesIO",
             _per_kib(lambda d: len(gzip.GzipFile(fileobj=io.BytesIO(d)).read()),
                      compressed), "gzip", fixed_n=times * 2),
        Case("stackful.io.Feed + GzipFile, 64 KiB chunks fed", _per_kib(_gzip_feed, compressed),
             "gzip", fixed_n=times * 2),
    ]
    return parse, unzip, len(doc), len(compressed)


def run(scale: Scale, progress: Progress) -> Result:
    parse, unzip, doc_size, gz_size = cases(scale)
    measure(parse + unzip, repeats=scale.repeats, target_seconds=scale.target_seconds,
            progress=progress)
    events = plain_callbacks(chunks_of(make_document(scale.pick(14000, 4000, 300))))
    result = Result("inversion", "inversion: an expat pull iterator, and gzip through a Feed")
    result.notes.append("XML document of %d bytes, %d events, fed in %d KiB chunks; "
                        "compressed stream of %d bytes" % (doc_size, events, CHUNK // 1024,
                                                          gz_size))
    result.tables.append(ratio_table("expat events, one at a time to the consumer", parse,
                                     PLAIN, unit="ns/event"))
    result.tables.append(ratio_table("gzip decompression, whole stream", unzip, DECOMPRESS,
                                     unit="ns/KiB"))
    result.plots.append(bar_plot("inversion_expat.png", "inversion: ns per expat event",
                                 parse, unit="ns/event"))
    if optional("greenlet") is None:
        result.notes.append("greenlet not installed: its row is skipped")
    by = {c.name: c for c in parse + unzip}
    result.targets.append(Target(
        "expat pull iterator, hand-written stackful / plain callbacks (issue 11: 1.04x)",
        by[GENERATOR].ratio_to(by[PLAIN]), 1.25))
    if GREENLET in by:
        result.targets.append(Target(
            "stackful.io.parse_xml / greenlet inversion (issue 11)",
            by[PARSE_XML].ratio_to(by[GREENLET]), 1.0))
    return result
