"""stackful.io.Inverted, parse_xml, parse_html: callback APIs (expat, html.parser,
sqlite3, lxml if installed) iterated one event at a time."""

import gc
import html.parser
import io
import sqlite3
import weakref
from xml.parsers import expat

import pytest
from hypothesis import given, settings, strategies as st

from parser_events import merged

import stackful
from stackful import CoroutineError
from stackful.io import Inverted, parse_html, parse_xml

XML = ("<?xml version='1.0'?><!-- c --><doc xmlns:n='urn:x'><n:item id='1'>one &amp; "
       "two</n:item><?tool do?><empty/><t>é<![CDATA[<raw>]]></t></doc>")


def plain_expat(data):
    """The same events collected by plain callbacks: what parse_xml must match."""
    events = []
    p = expat.ParserCreate()
    p.buffer_text = True
    p.StartElementHandler = lambda name, attrs: events.append(("start", name, attrs))
    p.EndElementHandler = lambda name: events.append(("end", name))
    p.CharacterDataHandler = lambda text: events.append(("data", text))
    p.CommentHandler = lambda text: events.append(("comment", text))
    p.ProcessingInstructionHandler = lambda t, d: events.append(("pi", t, d))
    p.Parse(data, True)
    return events


def test_parse_xml_whole_document_matches_plain_callbacks():
    assert list(parse_xml(XML.encode())) == plain_expat(XML.encode())
    assert list(parse_xml(XML)) == plain_expat(XML)


def test_parse_xml_from_a_file_object_reads_lazily():
    doc = b"<r>" + b"<i/>" * 100000 + b"</r>"
    f = io.BytesIO(doc)
    events = parse_xml(f)
    assert next(events) == ("start", "r", {})
    assert 0 < f.tell() < len(doc)                 # only a chunk has been read
    assert sum(1 for _ in events) == 200001


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, len(XML.encode())), max_size=30))
def test_parse_xml_any_chunking_gives_the_one_shot_events(cuts):
    data = XML.encode()
    bounds = [0, *sorted(cuts), len(data)]
    chunks = [data[a:b] for a, b in zip(bounds, bounds[1:])]
    assert merged(parse_xml(chunks)) == merged(plain_expat(data))


def test_parse_xml_namespaces_and_errors():
    events = list(parse_xml(XML.encode(), namespace_separator=" "))
    assert ("start", "urn:x item", {"id": "1"}) in events
    it = parse_xml(b"<a><b></a>")
    assert next(it) == ("start", "a", {})
    with pytest.raises(expat.ExpatError, match="mismatched tag"):
        list(it)
    assert it.done
    with pytest.raises(CoroutineError, match="raised ExpatError"):
        it.result


def test_parse_xml_bad_source():
    with pytest.raises(TypeError, match="iterable of chunks, not int"):
        list(parse_xml(42))


HTML = ("<!DOCTYPE html><html><head><title>T &amp; t</title></head><body class=main>"
        "<p>one<br/>two &#65;</p><!-- note --><?php x ?><img src=a.png></body></html>")


def plain_html(text, convert_charrefs=True):
    events = []

    class P(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs): events.append(("starttag", tag, attrs))
        def handle_endtag(self, tag): events.append(("endtag", tag))
        def handle_startendtag(self, tag, attrs): events.append(("startendtag", tag, attrs))
        def handle_data(self, data): events.append(("data", data))
        def handle_comment(self, data): events.append(("comment", data))
        def handle_decl(self, decl): events.append(("decl", decl))
        def handle_pi(self, data): events.append(("pi", data))
        def handle_entityref(self, name): events.append(("entityref", name))
        def handle_charref(self, name): events.append(("charref", name))

    p = P(convert_charrefs=convert_charrefs)
    p.feed(text)
    p.close()
    return events


def test_parse_html_matches_plain_callbacks():
    assert list(parse_html(HTML)) == plain_html(HTML)
    assert list(parse_html(HTML, convert_charrefs=False)) == plain_html(HTML, False)
    assert ("entityref", "amp") in plain_html(HTML, False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, len(HTML)), max_size=20))
def test_parse_html_any_chunking(cuts):
    bounds = [0, *sorted(cuts), len(HTML)]
    chunks = [HTML[a:b] for a, b in zip(bounds, bounds[1:])]
    assert merged(parse_html(chunks)) == merged(plain_html(HTML))
    assert merged(parse_html(io.StringIO(HTML))) == merged(plain_html(HTML))


def test_parse_html_refuses_bytes():
    with pytest.raises(TypeError, match="decode"):
        parse_html(b"<p>")
    with pytest.raises(TypeError, match="decode bytes first"):
        list(parse_html([b"<p>"]))


# --- the generic Inverted -----------------------------------------------------------

def test_inverted_sqlite_function_callback_rows_lazily():
    con = sqlite3.connect(":memory:")
    con.execute("create table t(x)")
    con.executemany("insert into t values (?)", [(i,) for i in range(1000)])
    seen = []

    def run(emit):
        def f(x):
            seen.append(x)
            return emit(x)                      # what the consumer sends back
        con.create_function("f", 1, f)
        return con.execute("select f(x) from t").fetchall()

    inv = Inverted(run)
    assert next(inv) == 0
    assert inv.send("zero") == 1 and seen == [0, 1]   # sqlite3 waits inside its step
    for x in inv:
        pass
    assert len(inv.result) == 1000 and inv.result[0] == ("zero",)


def test_inverted_sqlite_aggregate_step():
    con = sqlite3.connect(":memory:")
    con.execute("create table t(x)")
    con.executemany("insert into t values (?)", [(i,) for i in range(10)])

    def run(emit):
        class Agg:
            def __init__(self): self.total = 0
            def step(self, x): self.total += emit(x) or 0
            def finalize(self): return self.total
        con.create_aggregate("agg", 1, Agg)
        return con.execute("select agg(x) from t").fetchone()[0]

    inv = Inverted(run)
    x = next(inv)
    try:
        while True:
            x = inv.send(x * 2)
    except StopIteration:
        pass
    assert inv.result == 90


def test_inverted_sqlite_progress_handler():
    con = sqlite3.connect(":memory:")

    def run(emit):
        con.set_progress_handler(lambda: emit("tick") and 0, 100)
        return con.execute("with recursive c(n) as (select 1 union all select n+1 from c "
                           "where n < 5000) select sum(n) from c").fetchone()[0]

    inv = Inverted(run)
    ticks = sum(1 for _ in inv)
    assert ticks > 10 and inv.result == 5000 * 5001 // 2


def test_inverted_lxml_target_parser():
    etree = pytest.importorskip("lxml.etree")

    class Target:
        def __init__(self, emit): self.emit = emit
        def start(self, tag, attrib): self.emit(("start", tag))
        def end(self, tag): self.emit(("end", tag))
        def data(self, text): self.emit(("data", text))
        def close(self): return "closed"

    def run(emit, chunks):
        parser = etree.XMLParser(target=Target(emit))
        for chunk in chunks:
            parser.feed(chunk)
        return parser.close()

    inv = Inverted(run, [b"<a><b>x", b"</b></a>"])
    assert list(inv) == [("start", "a"), ("start", "b"), ("data", "x"), ("end", "b"),
                         ("end", "a")]
    assert inv.result == "closed"


def test_close_unwinds_the_library_and_runs_finally():
    seen = []

    def run(emit):
        try:
            p = expat.ParserCreate()
            p.StartElementHandler = lambda name, attrs: emit(name)
            p.Parse(b"<a><b/><c/></a>", True)
        finally:
            seen.append("finally")

    with Inverted(run) as inv:
        assert next(inv) == "a"
    assert seen == ["finally"] and inv.done
    with pytest.raises(CoroutineError, match="closed before"):
        inv.result
    with pytest.raises(StopIteration):
        next(inv)


def test_throw_raises_in_the_callback():
    def run(emit):
        try:
            emit(1)
        except KeyError:
            emit("caught")
        return "r"

    inv = Inverted(run)
    next(inv)
    assert inv.throw(KeyError) == "caught"
    assert list(inv) == [] and inv.result == "r"


def test_result_before_the_end_and_bad_input():
    inv = Inverted(lambda emit: emit(1))
    with pytest.raises(CoroutineError, match="not finished"):
        inv.result
    with pytest.raises(TypeError, match="callable run"):
        Inverted("x")


def test_an_abandoned_inverted_is_collected_and_closed():
    seen = []

    def run(emit):
        try:
            emit(1)
            emit(2)
        finally:
            seen.append("closed")

    inv = Inverted(run)
    next(inv)
    ref = weakref.ref(inv)
    del inv
    gc.collect()
    assert ref() is None and seen == ["closed"]


def test_inverted_inside_a_coroutine_and_args_passed():
    def run(emit, a, *, b):
        emit(a)
        emit(b)

    def body():
        return list(Inverted(run, 1, b=2))

    assert stackful.Coroutine(body).resume() == [1, 2]
