"""Re-entrancy: the objects stackful.io owns refuse a second context while a library call
is suspended half-way (CoroutineError); and each unsafe library operation docs/io.md
lists behaves as it says (run in a subprocess: a library may crash)."""

import gc
import io
import signal
import subprocess
import sys
import textwrap
from xml.parsers import expat

import pytest

import stackful
from stackful import Coroutine, CoroutineError
from stackful.io import Feed, Inverted, parse_xml


# --- the Feed and its file ------------------------------------------------------------

def test_another_coroutine_reading_the_feed_file_is_refused():
    feed = Feed(lambda f: f.read(4))
    feed.feed(b"ab")                         # the consumer waits inside read(4)
    thief = Coroutine(feed.file.read, 1)
    with pytest.raises(CoroutineError, match="read only by its consumer coroutine"):
        thief.resume()
    feed.feed(b"cd")
    assert feed.result == b"abcd"            # nothing was taken from under it


def test_the_driver_reading_the_feed_file_is_refused():
    feed = Feed(lambda f: f.read(4))
    feed.feed(b"ab")
    with pytest.raises(CoroutineError, match="this read came from None"):
        feed.file.read1(1)


def test_a_text_wrapper_shared_with_another_coroutine_is_refused():
    # TextIOWrapper has no lock of its own: the FeedFile's check is what stops it.
    texts = []

    def consumer(f):
        text = io.TextIOWrapper(f, encoding="utf-8")
        texts.append(text)
        return text.readline()

    feed = Feed(consumer)
    feed.feed(b"half a ")
    other = Coroutine(lambda: texts[0].read())
    with pytest.raises(CoroutineError, match="consumer coroutine"):
        other.resume()
    feed.feed(b"line\n")
    assert feed.result == "half a line\n"


def test_a_buffered_reader_shared_with_another_coroutine_is_refused_by_its_lock():
    readers = []

    def consumer(f):
        readers.append(io.BufferedReader(f))
        return readers[0].read(4)

    feed = Feed(consumer)
    feed.feed(b"ab")
    other = Coroutine(lambda: readers[0].read(1))
    with pytest.raises(RuntimeError, match="reentrant call"):
        other.resume()
    feed.feed(b"cd")
    assert feed.result == b"abcd"


def test_feed_from_the_consumer_itself_is_refused():
    feeds = []

    def consumer(f):
        with pytest.raises(CoroutineError, match="while its consumer runs"):
            feeds[0].feed(b"more")
        with pytest.raises(CoroutineError, match="while its consumer runs"):
            feeds[0].feed_eof()
        return "ok"

    feeds.append(Feed(consumer))
    feeds[0].feed(b"")
    assert feeds[0].result == "ok"


def test_feed_from_a_coroutine_the_consumer_resumed_is_refused():
    feeds = []

    def consumer(f):
        helper = Coroutine(lambda: feeds[0].feed(b"x"))
        with pytest.raises(CoroutineError, match="a coroutine it resumed"):
            helper.resume()
        return f.read(1)

    feeds.append(Feed(consumer))
    feeds[0].feed(b"")
    feeds[0].feed(b"y")
    assert feeds[0].result == b"y"


def test_another_coroutine_may_drive_a_waiting_feed():
    # Driving is not owned: whoever feeds while the consumer waits is the driver.
    feed = Feed(lambda f: f.read(2))
    feed.feed(b"a")
    assert Coroutine(feed.feed, b"b").resume() == []
    assert feed.result == b"ab"


# --- Inverted -------------------------------------------------------------------------

def test_another_coroutine_iterating_a_mid_callback_inverted_is_refused():
    events = parse_xml(b"<a><b/><c/></a>")
    assert next(events) == ("start", "a", {})      # expat waits inside its handler
    other = Coroutine(next, events)
    with pytest.raises(CoroutineError, match="mid-callback.*main context"):
        other.resume()
    assert list(events) == [("start", "b", {}), ("end", "b"), ("start", "c", {}),
                            ("end", "c"), ("end", "a")]


def test_another_coroutine_looping_over_a_mid_callback_inverted_is_refused():
    events = parse_xml(b"<a><b/></a>")
    loop = iter(events)                            # the loop gets the Generator itself
    assert loop is not events and next(loop) == ("start", "a", {})
    with pytest.raises(CoroutineError, match="mid-callback"):
        Coroutine(lambda: [e for e in events]).resume()
    assert next(events) == ("start", "b", {})      # the owner goes on, either way
    assert list(loop) == [("end", "b"), ("end", "a")]


def test_a_coroutine_owner_refuses_the_main_context():
    events = parse_xml(b"<a><b/></a>")

    def consumer():
        first = next(events)
        stackful.suspend(first)
        return list(events)

    co = Coroutine(consumer)
    assert co.resume() == ("start", "a", {})
    with pytest.raises(CoroutineError, match="iterated by <stackful.Coroutine"):
        next(events)
    assert co.resume() == [("start", "b", {}), ("end", "b"), ("end", "a")]


def test_after_the_end_or_close_another_context_may_use_it():
    events = parse_xml(b"<a/>")
    next(events)
    events.close()
    with pytest.raises(StopIteration):
        Coroutine(next, events).resume()


def test_close_from_another_context_is_allowed():
    events = parse_xml(b"<a><b/></a>")
    next(events)
    Coroutine(events.close).resume()
    assert events.done


def test_an_owner_that_died_leaves_the_inverted_to_others():
    events = parse_xml(b"<a><b/></a>")
    co = Coroutine(lambda: stackful.suspend(next(events)))
    co.resume()
    co.close()
    del co
    gc.collect()
    assert next(events) == ("start", "b", {})


def test_the_run_iterating_itself_from_a_callback_is_refused():
    inverted = []

    def run(emit):
        p = expat.ParserCreate()

        def start(name, attrs):
            with pytest.raises(CoroutineError, match="re-entered from its own run"):
                next(inverted[0])
            emit(name)
        p.StartElementHandler = start
        p.Parse(b"<a/>", True)

    inverted.append(Inverted(run))
    assert list(inverted[0]) == ["a"]


def test_an_emit_fired_in_another_generator_is_refused():
    emits = []

    def run(emit):
        emits.append(emit)
        emit(1)

    inv = Inverted(run)
    next(inv)

    @stackful.generator
    def other():
        emits[0]("misdirected")

    with pytest.raises(CoroutineError, match="outside its own run"):
        list(other())
    with pytest.raises(CoroutineError, match="outside its own run"):
        emits[0]("from main")
    assert list(inv) == []


def test_an_inverted_run_may_not_suspend():
    def run(emit):
        stackful.suspend()

    with pytest.raises(CoroutineError):
        next(Inverted(run))


# --- the unsafe library operations docs/io.md lists -------------------------------------

def run_script(source):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(source)],
                          capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr


def test_unsafe_expat_parse_reentered_from_its_handler_duplicates_events_or_is_refused():
    rc, out, err = run_script("""
        from xml.parsers import expat
        p = expat.ParserCreate(); events = []
        def start(name, attrs):
            events.append(name)
            if len(events) == 1:
                try:
                    p.Parse(b"<x/>")
                except RuntimeError as e:
                    print("refused:", e)
        p.StartElementHandler = start
        p.Parse(b"<a><b/></a>", True)
        print(events)
    """)
    assert rc == 0, err
    # Newer CPythons' pyexpat (3.14.10 and 3.15.2 here) refuse the reentrant call.
    assert out.strip() in ("['a', 'a', 'b', 'x', 'b']",
                           "refused: cannot call Parse() from within a handler\n['a', 'b']")


def test_unsafe_expat_parse_while_another_call_is_suspended_in_a_read():
    rc, out, err = run_script("""
        import stackful
        from xml.parsers import expat
        p = expat.ParserCreate(); events = []
        p.StartElementHandler = lambda n, a: events.append(n)
        class F:
            def read(self, n): return stackful.suspend()
        co = stackful.Coroutine(p.ParseFile, F())
        co.resume(); co.resume(b"<a><b/>")
        p.Parse(b"<x/>")
        try:
            co.resume(b"</a>"); co.resume(b"")
        except expat.ExpatError as e:
            print(events, "ExpatError")
    """)
    assert rc == 0, err
    assert out.strip() == "['a', 'b', 'x'] ExpatError"


def test_unsafe_html_parser_feed_reentered_from_its_handler():
    rc, out, err = run_script("""
        import html.parser
        class P(html.parser.HTMLParser):
            tags = []
            def handle_starttag(self, tag, attrs):
                self.tags.append(tag)
                if len(self.tags) == 1:
                    self.feed("<inner>")
        p = P()
        try:
            p.feed("<a><b>text</b></a>")
        except AssertionError:
            print(P.tags, "AssertionError")
    """)
    assert rc == 0, err
    assert out.strip() == "['a', 'a', 'b', 'inner'] AssertionError"


@pytest.mark.parametrize("where", ["in the callback", "while the callback is suspended"])
def test_sqlite3_close_during_a_callback_raises_programming_error(where):
    rc, out, err = run_script("""
        import sqlite3, stackful
        con = sqlite3.connect(":memory:")
        con.execute("create table t(x)")
        con.executemany("insert into t values (?)", [(i,) for i in range(10)])
        def f(x):
            if x == 3:
                if %r == "in the callback":
                    con.close()
                else:
                    stackful.suspend()
            return x
        con.create_function("f", 1, f)
        co = stackful.Coroutine(lambda: con.execute("select f(x) from t").fetchall())
        try:
            co.resume()
            con.close()
            co.resume()
        except sqlite3.ProgrammingError as e:
            print("ProgrammingError:", e)
    """ % where)
    assert rc == 0, err
    assert out.strip() == "ProgrammingError: Cannot operate on a closed database."


def test_sqlite3_schema_change_while_a_callback_is_suspended_is_refused_by_sqlite():
    rc, out, err = run_script("""
        import sqlite3, stackful
        con = sqlite3.connect(":memory:")
        con.execute("create table t(x)")
        con.executemany("insert into t values (?)", [(i,) for i in range(10)])
        con.create_function("f", 1, lambda x: stackful.suspend() if x == 3 else x)
        co = stackful.Coroutine(lambda: con.execute("select f(x) from t").fetchall())
        co.resume()
        try:
            con.execute("drop table t")
        except sqlite3.OperationalError as e:
            print("OperationalError:", e)
        print(len(co.resume(3)))
    """)
    assert rc == 0, err
    assert out.split("\n")[:2] == ["OperationalError: database table is locked", "10"]


LXML_FEED_FROM_ITS_OWN_TARGET = """
    from lxml import etree
    class Target:
        def start(self, tag, attrib):
            try:
                parser.feed(b"<x/>")
            except etree.XMLSyntaxError:
                print("XMLSyntaxError", flush=True)
        def end(self, tag): pass
        def close(self): return "closed"
    parser = etree.XMLParser(target=Target())
    parser.feed(b"<a><b/></a>")
    print(parser.close(), flush=True)
"""

LXML_FEED_WHILE_ANOTHER_FEED_IS_SUSPENDED = """
    import stackful
    from lxml import etree
    class Target:
        def start(self, tag, attrib):
            if tag == "b":
                stackful.suspend()
        def end(self, tag): pass
        def close(self): return "closed"
    parser = etree.XMLParser(target=Target())
    co = stackful.Coroutine(parser.feed, b"<a><b/><c/>")
    co.resume()
    try:
        parser.feed(b"<x/>")
    except etree.XMLSyntaxError:
        print("XMLSyntaxError", flush=True)
    co.resume()
    parser.feed(b"</a>")
    print(parser.close(), flush=True)
"""


@pytest.mark.parametrize("source", [LXML_FEED_FROM_ITS_OWN_TARGET,
                                    LXML_FEED_WHILE_ANOTHER_FEED_IS_SUSPENDED],
                         ids=["from its own target", "while another feed is suspended"])
def test_unsafe_lxml_feed_reentered_crashes_the_process(source):
    pytest.importorskip("lxml.etree")
    rc, out, err = run_script(source)
    # The nested feed fails, then the parser's state is corrupt: lxml faults later (in
    # the first case without any coroutine involved).
    assert out.split() == ["XMLSyntaxError"], (rc, out, err)
    assert rc == -signal.SIGSEGV, (rc, out, err)
