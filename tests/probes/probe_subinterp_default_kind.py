"""stackful in a subinterpreter of the default kind, after the main interpreter used it.

Hostile: the main interpreter imports stackful and runs a coroutine (so the module's
per-thread state exists); then a new subinterpreter (3.11: the only, legacy kind; 3.12+:
isolated, the default) imports stackful and runs a coroutine that suspends, and looks at
its first frame's f_back.
Correct: the subinterpreter's import raises ImportError (a single-phase module that keeps
per-thread state in C globals cannot serve two interpreters), or coroutines work there
exactly as in the main interpreter (first frame's f_back is None; results right). Never
a frame of the other interpreter, never a crash.
"""
import sys

import stackful

import _subinterp
from _probe import check, ok

check(stackful.Coroutine(lambda: "main").resume() == "main", "main interpreter")
kind = "legacy" if sys.version_info < (3, 12) else "isolated"
got = _subinterp.run(kind)
check(got in (_subinterp.WORKS, "refused: ImportError"), "%s subinterpreter: %s" % (kind, got))
check(stackful.Coroutine(lambda: "again").resume() == "again", "main interpreter afterwards")
ok()
