"""SC103 (blocking_fn called from a coroutine function) and SC107 (known
blocking calls reached from a coroutine function)."""
import socket
import subprocess
import time
from time import sleep as nap

import requests
import stackful
from stackful import blocking_fn, coroutine_fn


@blocking_fn
def load_config():
    with open("config.toml") as f:
        return f.read()


def helper():
    # Native, but blocks: reported where a coroutine function calls it.
    time.sleep(0.1)


def indirect_helper():
    helper()


@coroutine_fn
def worker(host):
    load_config()                                # SC103
    time.sleep(1)                                # SC107
    nap(1)                                       # SC107, through the alias
    subprocess.run(["true"])                     # SC107
    requests.get("http://example.invalid/")      # SC107
    sock = socket.socket()
    sock.recv(1024)                              # SC107: socket.socket.recv
    indirect_helper()                            # SC107: via helper
    stackful.suspend()


def outside_only():
    # Not a coroutine function: blocking is fine here.
    time.sleep(1)
    load_config()
