"""close() of a coroutine suspended in a sqlite3 user function.

Hostile: a query calls a Python function (Connection.create_function) that suspends, and
the coroutine is closed there. sqlite3 turns the CoroutineExit raised in the function into
sqlite3.OperationalError("user-defined function raised exception") and aborts the query.
Correct: the coroutine unwinds: its finally block runs and it is dead; close() returns
None or, like a Python generator whose code turns GeneratorExit into another exception,
raises that OperationalError. Never a coroutine left suspended, never a crash.
"""
import sqlite3

import stackful

from _probe import check, check_closes, ok

finally_ran = []


def body():
    db = sqlite3.connect(":memory:")
    db.create_function("pause", 1, stackful.suspend)
    try:
        return db.execute("select pause(x) from (select 1 as x union all select 2)").fetchall()
    finally:
        finally_ran.append(True)
        db.close()


co = stackful.Coroutine(body)
check(co.resume() == 1, "suspended in the user function")
check_closes(co, finally_ran, also_fine=sqlite3.OperationalError)
ok()
