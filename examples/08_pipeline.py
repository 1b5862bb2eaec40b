"""08 -- A pipeline: stages joined by bounded queues.

Each stage is a task with an inbox and an outbox, ``stackful.Queue(maxsize=2)``:
``for item in inbox`` takes items until the queue is closed and empty, and the
stage closes its outbox when it is done, so the end of the stream flows down the
pipeline by itself. Bounded queues give back-pressure: a fast producer waits in
``put`` while the slow stage is behind, and no queue ever holds more than two items
(the example checks it at every step).

The stages: read numbered records, parse them, a slow "enrich" stage that two
tasks run side by side (both read the same inbox: whichever is free takes the next
item), and a sink that aggregates. The ``TaskGroup`` waits for all of them.
"""

import stackful

RECORDS = ["%d,%s" % (i, word) for i, word in enumerate(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split())]
MAXSIZE = 2


def read(outbox):
    for record in RECORDS:
        outbox.put(record)
    outbox.close()


def parse(inbox, outbox):
    for record in inbox:
        number, word = record.split(",")
        outbox.put((int(number), word))
    outbox.close()


def enrich(inbox, outbox, done):
    for number, word in inbox:
        stackful.sleep(0.002 * (number % 3))     # slow, unevenly
        outbox.put((number, word, len(word)))
    done.release()                               # the last enricher to finish closes


def close_when_done(done, workers, outbox):
    for _ in range(workers):
        done.acquire()
    outbox.close()


def sink(inbox, queues):
    total = {}
    for number, word, length in inbox:
        assert all(q.qsize() <= MAXSIZE for q in queues)
        total[number] = (word, length)
    return total


def main():
    raw, parsed, enriched = (stackful.Queue(MAXSIZE) for _ in range(3))
    done = stackful.Semaphore(0)
    with stackful.TaskGroup() as stages:
        stages.spawn(read, raw)
        stages.spawn(parse, raw, parsed)
        for _ in range(2):
            stages.spawn(enrich, parsed, enriched, done)
        stages.spawn(close_when_done, done, 2, enriched)
        result = stages.spawn(sink, enriched, [raw, parsed, enriched])
    total = result.result()
    for number in sorted(total):
        word, length = total[number]
        print("%2d %-8s %d letters" % (number, word, length))
    assert sorted(total) == list(range(len(RECORDS)))
    print("every record went through, no queue ever held more than", MAXSIZE)


if __name__ == "__main__":
    stackful.run(main)
