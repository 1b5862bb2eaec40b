"""stackful in a legacy (non-isolated) subinterpreter on 3.12+, after the main used it.

Hostile: as probe_subinterp_default_kind, with the kind of subinterpreter that 3.12+ still
offers for single-phase extension modules (isolated=False / config 'legacy').
Correct: the import raises ImportError there, or coroutines work exactly as in the main
interpreter (first frame's f_back is None; results right). Never a frame of the other
interpreter, never a crash. (3.11 has only this kind: probe_subinterp_default_kind.)
"""
import sys

import stackful

import _subinterp
from _probe import check, ok, skip

if sys.version_info < (3, 12):
    skip("3.11's only kind of subinterpreter is probe_subinterp_default_kind's")
check(stackful.Coroutine(lambda: "main").resume() == "main", "main interpreter")
got = _subinterp.run("legacy")
check(got in (_subinterp.WORKS, "refused: ImportError"), "legacy subinterpreter: %s" % got)
check(stackful.Coroutine(lambda: "again").resume() == "again", "main interpreter afterwards")
ok()
