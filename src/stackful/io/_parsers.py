"""Ready-made inverted parsers: expat and html.parser as iterators of event tuples.

Principles: each parser object is made inside its Inverted's run and never handed out,
so nothing but the run can call it: the Inverted's guards (one consuming context,
no re-entry from a callback) are the whole of its re-entrancy protection. The handlers
call ``stackful.emit`` directly (the run is the generator they fire in): an event costs
one tuple and one switch pair. The source is pulled as the parser needs it: a whole
document, a file object (read in chunks as parsing goes), or an iterable of chunks.

Events are tuples whose first item names the callback:

* ``parse_xml``: ``("start", name, attrs)``, ``("end", name)``, ``("data", text)``,
  ``("comment", text)``, ``("pi", target, data)``;
* ``parse_html``: ``("starttag", tag, attrs)``, ``("endtag", tag)``,
  ``("startendtag", tag, attrs)``, ``("data", text)``, ``("comment", text)``,
  ``("decl", text)``, ``("pi", text)``, ``("unknown_decl", text)``, and with
  ``convert_charrefs=False`` also ``("entityref", name)`` and ``("charref", name)``.
"""

from __future__ import annotations

import html.parser
from typing import Any, Callable, Iterable, Union
from xml.parsers import expat

from .. import coroutine_fn, emit
from ._inverted import Inverted

__all__ = ["parse_html", "parse_xml"]

XMLSource = Union[bytes, str, Iterable[Union[bytes, str]], Any]
HTMLSource = Union[str, Iterable[str], Any]

_CHUNK = 65536


def _chunks(source: Any, kind: str, types: tuple[type, ...]) -> Iterable[Any] | None:
    """The source as an iterable of chunks, or None for a whole document."""
    if isinstance(source, types):
        return None
    if hasattr(source, "read"):
        read: Callable[[int], Any] = source.read
        end: Any = read(0)
        return iter(lambda: read(_CHUNK), end)
    try:
        chunks: Iterable[Any] = iter(source)
    except TypeError:
        raise TypeError("%s() needs a document, a file object or an iterable of chunks, "
                        "not %s" % (kind, type(source).__name__)) from None
    return chunks


def _run_xml(_emit: Callable[[Any], Any], source: Any, encoding: str | None,
             namespace_separator: str | None) -> None:
    parser = expat.ParserCreate(encoding, namespace_separator)
    parser.buffer_text = True
    parser.StartElementHandler = lambda name, attrs: emit(("start", name, attrs))
    parser.EndElementHandler = lambda name: emit(("end", name))
    parser.CharacterDataHandler = lambda text: emit(("data", text))
    parser.CommentHandler = lambda text: emit(("comment", text))
    parser.ProcessingInstructionHandler = lambda target, data: emit(("pi", target, data))
    chunks = _chunks(source, "parse_xml", (bytes, bytearray, str))
    if chunks is None:
        parser.Parse(source, True)
        return
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def parse_xml(source: XMLSource, *, encoding: str | None = None,
              namespace_separator: str | None = None) -> Inverted:
    """Iterate the events of an XML document parsed by expat (character data buffered:
    one "data" event per text run within a chunk). ``encoding`` overrides the document's;
    ``namespace_separator`` turns on namespace processing as in ParserCreate. A
    malformed document raises ``xml.parsers.expat.ExpatError`` from the iteration."""
    return Inverted(_run_xml, source, encoding, namespace_separator)


class _EmittingHTMLParser(html.parser.HTMLParser):
    @coroutine_fn
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        emit(("starttag", tag, attrs))

    @coroutine_fn
    def handle_endtag(self, tag: str) -> None:
        emit(("endtag", tag))

    @coroutine_fn
    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        emit(("startendtag", tag, attrs))

    @coroutine_fn
    def handle_data(self, data: str) -> None:
        emit(("data", data))

    @coroutine_fn
    def handle_comment(self, data: str) -> None:
        emit(("comment", data))

    @coroutine_fn
    def handle_decl(self, decl: str) -> None:
        emit(("decl", decl))

    @coroutine_fn
    def handle_pi(self, data: str) -> None:
        emit(("pi", data))

    @coroutine_fn
    def unknown_decl(self, data: str) -> None:
        emit(("unknown_decl", data))

    @coroutine_fn
    def handle_entityref(self, name: str) -> None:
        emit(("entityref", name))

    @coroutine_fn
    def handle_charref(self, name: str) -> None:
        emit(("charref", name))


def _run_html(_emit: Callable[[Any], Any], source: Any,
              convert_charrefs: bool) -> None:
    parser = _EmittingHTMLParser(convert_charrefs=convert_charrefs)
    chunks = _chunks(source, "parse_html", (str,))
    if chunks is None:
        parser.feed(source)
    else:
        for chunk in chunks:
            if not isinstance(chunk, str):
                raise TypeError("parse_html() reads text: a chunk was %s (decode bytes "
                                "first, e.g. io.TextIOWrapper)" % type(chunk).__name__)
            parser.feed(chunk)
    parser.close()


def parse_html(source: HTMLSource, *, convert_charrefs: bool = True) -> Inverted:
    """Iterate the events of an HTML document parsed by html.parser.HTMLParser
    (``convert_charrefs`` as there)."""
    if isinstance(source, (bytes, bytearray)):
        raise TypeError("parse_html() reads text, not bytes: decode the document first")
    return Inverted(_run_html, source, convert_charrefs)
