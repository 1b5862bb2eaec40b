"""stackful.io.Feed: ordinary reading code (gzip, csv, tarfile, pickle, zipfile, json,
expat) over a FeedFile, fed chunk by chunk; any chunking gives the one-shot result."""

import csv
import gzip
import hashlib
import io
import json
import pickle
import tarfile
import zipfile
from xml.parsers import expat

import pytest
from hypothesis import given, settings, strategies as st

from parser_events import merged

import stackful
from stackful import CoroutineError
from stackful.io import Feed, FeedFile


def feed_in(feed, data, cuts):
    """Feed data cut at the given offsets; all outputs, then feed_eof()'s."""
    out = []
    start = 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        out += feed.feed(data[start:cut])
        start = cut
    out += feed.feed_eof()
    return out


cuts = st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40)


# --- the readers of the brief, each one-shot against chunked ------------------------

CSV_TEXT = 'name,quote\r\nada,"a, b"\r\nbob,"line\r\nbreak"\r\nzoë,x\r\n'


def csv_rows(f):
    for row in csv.reader(io.TextIOWrapper(f, encoding="utf-8", newline="")):
        f.emit(row)
    return "end"


@settings(max_examples=60, deadline=None)
@given(cuts)
def test_csv_over_a_text_wrapper_any_chunking(cut):
    feed = Feed(csv_rows)
    assert feed_in(feed, CSV_TEXT.encode(), cut) == list(csv.reader(io.StringIO(CSV_TEXT, newline="")))
    assert feed.result == "end"


PAYLOAD = bytes(range(256)) * 40 + b"tail"


@settings(max_examples=60, deadline=None)
@given(cuts)
def test_gzip_any_chunking(cut):
    feed = Feed(lambda f: gzip.GzipFile(fileobj=f).read())
    assert feed_in(feed, gzip.compress(PAYLOAD), cut) == []
    assert feed.result == PAYLOAD


def test_gzip_outputs_come_back_as_they_are_decompressed():
    def lines(f):
        for line in gzip.GzipFile(fileobj=f):
            f.emit(line)

    # Hashes compress badly: half the compressed stream is more than gzip's read size
    # (gzip reads whole blocks of 8 KiB on 3.11, 128 KiB later).
    expected = [hashlib.sha256(b"%d" % i).hexdigest().encode() + b"\n" for i in range(20000)]
    data = gzip.compress(b"".join(expected))
    feed = Feed(lines)
    first = feed.feed(data[:len(data) // 2])
    assert 0 < len(first) < 20000 and first[0] == expected[0]
    rest = feed.feed(data[len(data) // 2:]) + feed.feed_eof()
    assert first + rest == expected


def tar_bytes(compression):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:" + compression) as tar:
        for i in range(5):
            body = (b"member %d " % i) * (i * 300)
            info = tarfile.TarInfo("dir/file%d" % i)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return buf.getvalue()


def tar_members(f):
    with tarfile.open(fileobj=f, mode="r|*") as tar:
        for member in tar:
            f.emit((member.name, tar.extractfile(member).read()))


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["", "gz", "bz2", "xz"]), cuts)
def test_tarfile_stream_mode_any_chunking(compression, cut):
    data = tar_bytes(compression)
    expected = [(m.name, tarfile.open(fileobj=io.BytesIO(data)).extractfile(m).read())
                for m in tarfile.open(fileobj=io.BytesIO(data))]
    assert feed_in(Feed(tar_members), data, cut) == expected


OBJ = {"numbers": list(range(300)), "text": "é" * 100, "nested": [{"a": (1, 2.5)}] * 10}


@settings(max_examples=60, deadline=None)
@given(st.integers(0, pickle.HIGHEST_PROTOCOL), cuts)
def test_pickle_load_any_chunking(protocol, cut):
    feed = Feed(pickle.load)
    assert feed_in(feed, pickle.dumps(OBJ, protocol), cut) == []
    assert feed.result == OBJ


@settings(max_examples=20, deadline=None)
@given(cuts)
def test_pickle_load_through_a_buffered_reader(cut):
    feed = Feed(lambda f: pickle.load(io.BufferedReader(f)))
    feed_in(feed, pickle.dumps(OBJ), cut)
    assert feed.result == OBJ


def test_pickle_load_stops_at_the_end_of_its_object():
    data = pickle.dumps("first") + pickle.dumps("second")
    feed = Feed(lambda f: (pickle.load(f), pickle.load(f)))
    feed.feed(data[:5])
    feed.feed(data[5:])
    assert feed.result == ("first", "second") and feed.unread == b""


@settings(max_examples=60, deadline=None)
@given(cuts)
def test_json_load_any_chunking(cut):
    text = json.dumps(OBJ, ensure_ascii=False).encode()
    feed = Feed(json.load)
    feed_in(feed, text, cut)
    assert feed.result == json.loads(text)


def expat_events(f):
    parser = expat.ParserCreate()
    parser.StartElementHandler = lambda name, attrs: f.emit(("start", name, attrs))
    parser.EndElementHandler = lambda name: f.emit(("end", name))
    parser.CharacterDataHandler = lambda text: f.emit(("data", text))
    parser.ParseFile(f)
    return "parsed"


XML = "<root a='1'><item n='é'>one</item><item/>tail &amp; more<![CDATA[x<y]]></root>"


@settings(max_examples=60, deadline=None)
@given(cuts)
def test_expat_parsefile_any_chunking(cut):
    one_shot = Feed(expat_events)
    expected = one_shot.feed(XML.encode()) + one_shot.feed_eof()
    feed = Feed(expat_events)
    assert merged(feed_in(feed, XML.encode(), cut)) == merged(expected)
    assert feed.result == "parsed"


def zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", "alpha " * 500)
        z.writestr("b/c.bin", bytes(range(256)))
    return buf.getvalue()


@settings(max_examples=30, deadline=None)
@given(cuts)
def test_zipfile_on_a_seekable_feed_any_chunking(cut):
    def names_and_bodies(f):
        with zipfile.ZipFile(f) as z:
            return [(n, z.read(n)) for n in z.namelist()]

    feed = Feed(names_and_bodies, seekable=True)
    feed_in(feed, zip_bytes(), cut)
    assert feed.result == [("a.txt", b"alpha " * 500), ("b/c.bin", bytes(range(256)))]


def test_zipfile_on_a_non_seekable_feed_says_why():
    feed = Feed(lambda f: zipfile.ZipFile(f))
    with pytest.raises(zipfile.BadZipFile) as info:
        feed.feed(zip_bytes())
    # zipfile turns the failed seek into BadZipFile; the reason is its context.
    cause = info.value.__context__
    assert isinstance(cause, io.UnsupportedOperation)
    assert "seekable=True" in str(cause) and "zipfile" in str(cause)
    assert feed.done


# --- the file object itself -----------------------------------------------------------

def test_read_waits_for_size_bytes_read1_returns_what_is_there():
    def reader(f):
        f.emit(f.read1(10))
        f.emit(f.read(10))
        f.emit(f.read1())
        f.emit(f.read())
        f.emit(f.read(5))
        f.emit(f.read1(5))

    feed = Feed(reader)
    assert feed.feed(b"abc") == [b"abc"]          # read1: what is there
    assert feed.feed(b"defg") == []               # read(10) waits for ten bytes
    assert feed.feed(b"hijklmnop") == [b"defghijklm", b"nop"]
    assert feed.feed(b"q") == []                  # read() waits for the end
    assert feed.feed_eof() == [b"q", b"", b""]
    assert feed.done and feed.result is None


def test_read_returns_fewer_bytes_only_at_the_end():
    feed = Feed(lambda f: f.read(10))
    feed.feed(b"abc")
    assert feed.feed_eof() == [] and feed.result == b"abc"


def test_readline_across_chunks_and_with_a_limit():
    def reader(f):
        f.emit(f.readline())
        f.emit(f.readline(3))
        f.emit(f.readline())
        f.emit(f.readline())
        f.emit(f.readline())

    feed = Feed(reader)
    assert feed.feed(b"ab") == []
    assert feed.feed(b"c\nlong line\nno newline") == [b"abc\n", b"lon", b"g line\n"]
    assert feed.feed_eof() == [b"no newline", b""]


def test_readinto_and_buffered_wrappers():
    def reader(f):
        buf = bytearray(4)
        n = f.readinto(buf)
        f.emit(bytes(buf[:n]))
        f.emit(io.BufferedReader(f, 8).read(6))

    feed = Feed(reader)
    assert feed.feed(b"12") == [b"12"]
    assert feed.feed(b"3456") == []
    assert feed.feed(b"789") == [b"345678"]
    feed.feed_eof()
    assert feed.done


def test_tell_counts_bytes_read_and_seek_is_refused_unless_seekable():
    def reader(f):
        f.read(3)
        f.emit(f.tell())
        f.emit(f.seekable())
        with pytest.raises(io.UnsupportedOperation, match="seekable=True"):
            f.seek(0)
        f.read()
        f.emit(f.tell())

    feed = Feed(reader)
    assert feed.feed(b"abcde") == [3, False]
    assert feed.feed(b"fg") + feed.feed_eof() == [7]


def test_seekable_feed_seeks_back_and_to_the_end():
    def reader(f):
        f.emit(f.read(2))
        f.seek(0)
        f.emit(f.read(4))
        f.emit(f.seek(-1, 2))                     # waits for the end of the stream
        f.emit(f.read())
        f.seek(1, 1)
        f.emit(f.read())
        with pytest.raises(ValueError, match="negative"):
            f.seek(-100)
        with pytest.raises(ValueError, match="whence"):
            f.seek(0, 7)

    feed = Feed(reader, seekable=True)
    assert feed.feed(b"ab") == [b"ab"]
    assert feed.feed(b"cd") == [b"abcd"]
    assert feed.feed(b"ef") == []
    assert feed.feed_eof() == [5, b"f", b""]


def test_data_is_copied_so_the_driver_may_reuse_its_buffer():
    buf = bytearray(b"abcd")
    feed = Feed(lambda f: f.read())
    feed.feed(buf)
    buf[:] = b"XXXX"
    feed.feed(memoryview(b"ef"))
    feed.feed_eof()
    assert feed.result == b"abcdef"


def test_empty_feed_is_not_the_end():
    feed = Feed(lambda f: f.read1(4))
    assert feed.feed(b"") == [] and not feed.done
    feed.feed(b"xy")
    assert feed.result == b"xy"


def test_unread_bytes_and_bytes_fed_after_the_end():
    feed = Feed(lambda f: f.read(3))
    feed.feed(b"abcdef")
    assert feed.done and feed.result == b"abc"
    assert feed.feed(b"gh") == []
    assert feed.feed_eof() == []
    assert feed.unread == b"defgh"


def test_consumer_that_never_reads_finishes_at_the_first_feed():
    feed = Feed(lambda f, x, *, y: x + y, 1, y=2)
    assert feed.feed(b"zz") == []
    assert feed.result == 3 and feed.unread == b"zz"


# --- errors ---------------------------------------------------------------------------

def test_feed_error_raises_at_the_waiting_read_after_buffered_bytes():
    def reader(f):
        f.emit(f.read(2))
        try:
            f.read(2)
        except ConnectionResetError as e:
            f.emit("caught %s" % e)
        return "after"

    feed = Feed(reader)
    assert feed.feed(b"ab") == [b"ab"]
    assert feed.feed_error(ConnectionResetError("peer")) == ["caught peer"]
    assert feed.result == "after"


def test_feed_error_accepts_a_class_and_propagates_if_uncaught():
    feed = Feed(lambda f: f.read())
    with pytest.raises(TimeoutError):
        feed.feed_error(TimeoutError)
    assert feed.done
    with pytest.raises(CoroutineError, match="raised TimeoutError") as info:
        feed.result
    assert isinstance(info.value.__cause__, TimeoutError)
    with pytest.raises(CoroutineError, match="already finished"):
        feed.feed_error(ValueError)


def test_consumer_exception_keeps_pending_outputs():
    def reader(f):
        f.emit("first")
        f.read(1)
        raise KeyError("bad")

    feed = Feed(reader)
    assert feed.feed(b"") == ["first"]
    with pytest.raises(KeyError):
        feed.feed(b"x")
    assert feed.pending == []
    feed = Feed(lambda f: (f.emit(1), f.emit(2), 1 / 0))
    with pytest.raises(ZeroDivisionError):
        feed.feed(b"")
    assert feed.pending == [1, 2]


def test_bad_input_is_a_clear_type_error():
    with pytest.raises(TypeError, match="callable consumer"):
        Feed(42)
    feed = Feed(lambda f: f.read())
    with pytest.raises(TypeError, match="bytes, not str: encode"):
        feed.feed("text")
    with pytest.raises(TypeError, match="bytes-like object, not int"):
        feed.feed(3)
    with pytest.raises(TypeError, match="takes an exception"):
        feed.feed_error("boom")
    with pytest.raises(TypeError, match="made by stackful.io.Feed"):
        FeedFile(feed)


def test_result_before_the_end_says_what_to_do():
    feed = Feed(lambda f: f.read())
    feed.feed(b"x")
    with pytest.raises(CoroutineError, match="feed_eof"):
        feed.result


def test_a_foreign_suspend_in_the_consumer_is_refused_and_closes_it():
    closed = []

    def consumer(f):
        try:
            stackful.suspend("not a read")
        finally:
            closed.append(True)

    feed = Feed(consumer)
    with pytest.raises(CoroutineError, match="outside a read.*emit"):
        feed.feed(b"")
    assert closed == [True] and feed.done


def test_close_runs_the_consumers_finally_at_its_read():
    seen = []

    def consumer(f):
        try:
            f.read(1)
            f.read(1)
        finally:
            seen.append("finally")

    with Feed(consumer) as feed:
        feed.feed(b"a")
    assert seen == ["finally"] and feed.done and feed.file.closed
    with pytest.raises(CoroutineError, match="closed before it returned"):
        feed.result


def test_the_file_is_closed_when_the_consumer_ends():
    feed = Feed(lambda f: None)
    feed.feed(b"")
    assert feed.file.closed
    with pytest.raises(ValueError):
        feed.file.read(1)
