"""07 -- A concurrent crawler, against a small web site this example serves itself.

The site is the standard library's ``http.server`` running in a thread: 40 pages
that link to one another, each answering after a short delay, like a real server.

The crawler is plain sequential-looking code: ``fetch`` opens a connection with
``stackful.socket``, sends a request and reads the answer; ``crawl`` takes URLs from
a ``stackful.Queue`` and puts the links it finds back. Four crawler tasks share the
queue, so four requests are in flight at once, while each task reads like the
one-at-a-time version. A ``Semaphore`` would limit concurrency just as well; a
queue also gives the work out.

When every page has been seen, the last worker closes the queue: each crawler's
``for url in queue`` loop ends, the ``TaskGroup`` block ends, and the crawl is
done. ``stackful.timeout`` bounds the whole crawl; the site counts the requests it
serves at the same time, and the example checks that there were several.
"""

import http.server
import re
import threading
import time

import stackful
from stackful import socket

PAGES = 40
DELAY = 0.02
in_flight = [0, 0]                 # now, most at once
in_flight_lock = threading.Lock()


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with in_flight_lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        number = int(self.path.strip("/") or 0)
        links = "".join('<a href="/%d">page %d</a>' % (n, n)
                        for n in (number * 2 + 1, number * 2 + 2, number + 1) if n < PAGES)
        body = ("<title>page %d</title>%s" % (number, links)).encode()
        time.sleep(DELAY)
        with in_flight_lock:
            in_flight[0] -= 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def fetch(port, path):
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(b"GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" % path.encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.0 200"), head
    return body.decode()


def crawl(port, queue, seen, titles, pending):
    for path in queue:
        body = fetch(port, path)
        titles[path] = re.search(r"<title>(.*?)</title>", body).group(1)
        for link in re.findall(r'href="(/\d+)"', body):
            if link not in seen:
                seen.add(link)
                pending[0] += 1
                queue.put(link)
        pending[0] -= 1
        if pending[0] == 0:
            queue.close()                       # nothing left to fetch: stop every worker


def main(port):
    queue = stackful.Queue()
    seen, titles, pending = {"/0"}, {}, [1]
    queue.put("/0")
    with stackful.timeout(60):
        with stackful.TaskGroup() as workers:
            for _ in range(4):
                workers.spawn(crawl, port, queue, seen, titles, pending)
    print("crawled %d pages with 4 workers" % len(titles))
    for path in sorted(titles, key=lambda p: int(p[1:]))[:5]:
        print("  %-4s %s" % (path, titles[path]))
    print("  ...")
    assert len(titles) == PAGES
    assert in_flight[1] > 1, in_flight
    print("requests in flight at once: more than one")


if __name__ == "__main__":
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        stackful.run(main, server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
