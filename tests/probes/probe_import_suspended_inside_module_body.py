"""A coroutine suspends in the middle of a module's body; another context imports it.

Hostile: coroutine A imports a fresh module whose top level calls suspend() between two
assignments; while A waits there, the main context and coroutine B `import` the module,
and a thread imports it too.
Correct: the import lock belongs to the importing code, as it does across threads (the
other thread waits until A finishes the import, then gets the whole module). In the
same thread, no context may silently get the half-initialized module: either the suspend
inside the module body is refused (CoroutineError), or the other contexts' import raises
an ImportError or CoroutineError; or they get the complete module. After A is resumed,
everyone sees the whole module.
"""
import os
import sys
import threading

import stackful

from _probe import check, ok, temporary_directory

directory = temporary_directory()
with open(os.path.join(directory, "half_done.py"), "w") as f:
    f.write("import stackful\nBEFORE = 1\nstackful.suspend('inside the import')\nAFTER = 2\n")
sys.path.insert(0, directory)


def import_it():
    try:
        import half_done
    except (ImportError, stackful.CoroutineError) as e:
        return "refused: " + type(e).__name__
    return "complete" if hasattr(half_done, "AFTER") else "half-initialized"


a = stackful.Coroutine(lambda: __import__("half_done"))
try:
    first = a.resume()
except stackful.CoroutineError:
    first = "suspend refused"
if first == "suspend refused":
    check(import_it() == "complete", "after a refused suspend")
else:
    check(first == "inside the import", "A suspended inside the import: %r" % (first,))
    in_main = import_it()
    in_b = stackful.Coroutine(import_it).resume()
    in_thread = []
    thread = threading.Thread(target=lambda: in_thread.append(import_it()))
    thread.start()
    thread.join(0.5)
    check(thread.is_alive(), "the other thread did not wait for the import: %r" % in_thread)
    check(a.resume().AFTER == 2, "A finishes the import")
    thread.join(10)
    check(in_thread == ["complete"], "the other thread: %r" % in_thread)
    check(in_main != "half-initialized" and in_b != "half-initialized",
          "while A waited inside the import: main context %s, coroutine B %s" % (
              in_main, in_b))
check(import_it() == "complete", "afterwards")
ok()
