"""A SIGSEGV that is not a stack overflow (raised with signal.raise_signal).

Hostile: with stackful's overflow handler installed (a coroutine has run), the process
sends itself SIGSEGV; its action was the default one before stackful was imported.
Correct: the default action: the process dies of SIGSEGV at the first raise, and stackful
prints no overflow report (the fault is not in any stack's guard region). Never a
signal swallowed by the overflow handler. Runs in a child process.
"""
import signal

from _probe import check, describe, ok, run_child, skip, under_asan

if under_asan():
    skip("AddressSanitizer installs its own SIGSEGV handler: the action before stackful "
         "is not the default one")

proc = run_child("""
import signal
import stackful
stackful.Coroutine(lambda: None).resume()
signal.raise_signal(signal.SIGSEGV)
print("survived the first SIGSEGV", flush=True)
signal.raise_signal(signal.SIGSEGV)
print("survived the second SIGSEGV", flush=True)
""")
check(proc.returncode == -signal.SIGSEGV and proc.stdout == ""
      and "stackful:" not in proc.stderr, "raised SIGSEGV: " + describe(proc))
ok()
