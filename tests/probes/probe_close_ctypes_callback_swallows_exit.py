"""close() of a coroutine suspended in a ctypes callback that C code calls again.

Hostile: a coroutine sorts with libc's qsort through a ctypes comparator that suspends
at every comparison; it is closed while suspended in the comparator. ctypes cannot pass
the CoroutineExit through qsort: it prints "Exception ignored on calling ctypes callback
function", returns 0 to qsort, and qsort calls the comparator again, which suspends again.
Correct: close() still unwinds the coroutine: a closing coroutine that suspends again gets
CoroutineExit again at that suspension (a bounded, forceful close), so qsort ends, the
coroutine's finally block runs, close() returns None and the coroutine is dead.
"""
import ctypes

import stackful

from _probe import check, check_closes, ok

libc = ctypes.CDLL(None)
COMPARE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                           ctypes.POINTER(ctypes.c_int))


@COMPARE
def compare(a, b):
    stackful.suspend("comparing")
    return a[0] - b[0]


finally_ran = []


def body():
    values = (ctypes.c_int * 8)(5, 3, 8, 1, 9, 2, 7, 4)
    try:
        libc.qsort(values, len(values), ctypes.sizeof(ctypes.c_int), compare)
        return list(values)
    finally:
        finally_ran.append(True)


co = stackful.Coroutine(body)
check(co.resume() == "comparing", "suspended in the comparator")
check_closes(co, finally_ran)
ok()
