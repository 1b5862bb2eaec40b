"""12 -- Push to pull: ordinary reading code over bytes that arrive in pieces (``stackful.io``).

A network or a decompressor *pushes* chunks; csv and gzip want to *pull* from a file.
``stackful.io.Feed(consumer)`` runs the consumer in a coroutine over a ``FeedFile``:
where a read finds no bytes, the consumer suspends -- inside gzip's and csv's own code --
until the driver's next ``feed(chunk)``, which returns what the consumer emitted
meanwhile. ``stackful.io.parse_xml`` turns expat's callbacks into an iterator of events.
No thread, no buffering of the whole input.
"""

import csv
import gzip
import io

import stackful.io

rows = "".join("%d,item %d,%d\n" % (i, i, i * i) for i in range(1, 6)).encode()
compressed = gzip.compress(rows)
chunks = [compressed[i:i + 7] for i in range(0, len(compressed), 7)]


def consumer(f):
    text = io.TextIOWrapper(gzip.GzipFile(fileobj=f), encoding="utf-8", newline="")
    for row in csv.reader(text):
        f.emit(row)
    return "done"


feed = stackful.io.Feed(consumer)
got = []
for chunk in chunks:                    # pushed, 7 bytes at a time
    got += feed.feed(chunk)             # rows completed by this chunk, pulled
got += feed.feed_eof()
assert [r[0] for r in got] == ["1", "2", "3", "4", "5"], got
print("%d chunks in, %d rows out, result %r" % (len(chunks), len(got), feed.result))
print("last row:", got[-1])

xml = b"<order id='7'><line sku='a'>2</line><line sku='b'>1</line></order>"
events = list(stackful.io.parse_xml([xml[:20], xml[20:45], xml[45:]]))
print("xml events:", [e[0] for e in events])
print("first:", events[0])
