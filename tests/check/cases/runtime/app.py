"""The runtime's calls are roots; the blocking calls inside tasks are flagged."""

import subprocess
import time
import urllib.request

import stackful
from stackful import socket as cosocket


def fetch_all(urls):
    for url in urls:
        stackful.to_thread(urllib.request.urlopen, url)   # fine: runs in a thread


def waits_for_the_queue():
    queue = stackful.Queue()
    return queue.get()


def joins(task):
    return stackful.Task.join(task)


def sleeps_then_blocks():
    stackful.sleep(0.1)
    time.sleep(1)
    subprocess.run(["true"])


def talks():
    conn = cosocket.create_connection(("127.0.0.1", 80))
    conn.sendall(b"x")


def blocking_helper():
    time.sleep(1)


def task_body():
    blocking_helper()


def main():
    stackful.spawn(task_body)
    stackful.to_thread(blocking_helper)


def outside_entry():
    stackful.run(main)


def nested_run_is_wrong():
    stackful.sleep(0)
    stackful.run(main)
