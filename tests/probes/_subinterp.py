"""Run stackful in a subinterpreter (for probe_subinterp_*.py)."""
import os
import sys
import tempfile

CODE = """
import sys
try:
    import stackful
except ImportError as e:
    result = "refused: ImportError"
else:
    def body():
        return sys._getframe().f_back is None, stackful.suspend("suspended")
    co = stackful.Coroutine(body)
    first = co.resume()
    result = repr((first, co.resume("back"), co.status))
open(RESULT_PATH, "w").write(result)
"""
# What CODE finds when coroutines work in the subinterpreter.
WORKS = repr(("suspended", (True, "back"), "dead"))


def run(kind):
    """What CODE finds in a new subinterpreter of `kind`: 'legacy' (shares single-phase
    extension modules with the main interpreter; the only kind 3.11 has) or 'isolated'."""
    try:
        import _interpreters as si          # 3.13+
    except ImportError:
        import _xxsubinterpreters as si
    if sys.version_info < (3, 12):
        assert kind == "legacy"
        interp = si.create()
    elif sys.version_info < (3, 13):
        interp = si.create(isolated=kind == "isolated")
    else:
        interp = si.create(kind)
    fd, path = tempfile.mkstemp()     # the channel APIs differ by version: use a file
    os.close(fd)
    try:
        failure = si.run_string(interp, "RESULT_PATH = %r\n" % path + CODE)
        with open(path) as f:
            return f.read() or "failed: %r" % (failure,)
    except Exception as e:
        return "failed: %s: %s" % (type(e).__name__, e)
    finally:
        os.unlink(path)
