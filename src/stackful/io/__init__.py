"""stackful.io: bridges from push to pull.

A push API calls you (a parser's callbacks, a decompressor fed chunks, a C library that
reads through a callback); the code you want to write pulls (``for event in ...``, a file
object's ``read``). A stackful coroutine suspended inside the callback -- below the C
library, at any depth -- turns one into the other with no thread, no buffering of the
whole input and no rewrite of either side. Generators cannot (they suspend only their own
frame) and asyncio cannot (the library is not async).

* ``Feed(consumer)`` / ``FeedFile``: bytes pushed by a driver (``feed``, ``feed_eof``,
  ``feed_error``) are read through a file object by ordinary reading code (gzip,
  tarfile, pickle, json, csv, zipfile with ``seekable=True``, expat's ParseFile);
* ``Inverted(run)``, ``parse_xml``, ``parse_html``: a callback-style consumer iterated
  as a stream of events;
* ``Driver(fn)``: the resume loop of a Coroutine, its suspended values as an iterator and
  its result kept apart.

Each guards the objects it owns against use from a second coroutine while a library
call is suspended half-way (``CoroutineError``); docs/io.md lists the library operations
that stay unsafe. The names below are the whole namespace (a test enforces the list).
"""

from ._driver import Driver
from ._feed import Feed, FeedFile
from ._inverted import Inverted
from ._parsers import parse_html, parse_xml

__all__ = ["Driver", "Feed", "FeedFile", "Inverted", "parse_html", "parse_xml"]
