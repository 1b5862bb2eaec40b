"""A raised SIGSEGV, with a Python handler for it installed before stackful.

Hostile: signal.signal(SIGSEGV, handler), then stackful is imported and used (its
overflow handler goes in front, chaining to the previous one), then the process raises
SIGSEGV twice with signal.raise_signal.
Correct: the Python handler runs for each of the two signals, as it does without
stackful (the overflow handler hands faults that are not its own to the previous handler,
every time). Never a signal lost.
"""
import signal

calls = []
signal.signal(signal.SIGSEGV, lambda signum, frame: calls.append(signum))

import stackful  # noqa: E402  (after the handler, on purpose)

from _probe import check, ok  # noqa: E402

stackful.Coroutine(lambda: None).resume()
signal.raise_signal(signal.SIGSEGV)
signal.raise_signal(signal.SIGSEGV)
check(calls == [signal.SIGSEGV] * 2, "the Python handler saw %r" % calls)
ok()
