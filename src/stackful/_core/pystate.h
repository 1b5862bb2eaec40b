/* pystate.h -- the part of CPython's thread state that belongs to the running code.
 *
 * Principles:
 *  - Everything CPython keeps per thread that describes "the code running now" is saved
 *    for the context switched away from and restored for the one switched to. Nothing
 *    else is touched: tracing functions, the thread dict, async exceptions stay per
 *    thread (like generators, coroutines share them).
 *  - One file per CPython version, side by side, each field saying why it is switched;
 *    what the versions share is written once (pystate_fields.h: the common fields,
 *    pystate_common.h: the common code). This header only selects the file; an
 *    unsupported version fails to compile (setup.py stops earlier, with a message).
 *  - Nothing here runs Python code or allocates on the switch path.
 *  - Nothing on a suspended coroutine's C stack is read while it is suspended (its
 *    bytes may be copied out): what is needed is saved at the switch.
 *
 * Each version file defines:
 *   PyStateSaved                 the saved fields of one context (main or coroutine)
 *   PyStateOwn                   storage a coroutine's saved state points into
 *   pystate_save / pystate_restore
 *   PyStateThread, pystate_thread_init   per-thread storage contexts point into
 *   pystate_init_coroutine       the start state of a new coroutine
 *                                (s, own, thread's PyStateThread, context, stack_lo, stack_hi)
 *   pystate_release_finished     what a finished coroutine hands back (frame chunk, refs)
 *   pystate_traverse             for the cycle collector
 *   pystate_frame_object         the top Python frame of a suspended context, or NULL
 *   pystate_stack_moved          a suspended context's C-stack bytes were copied
 *                                (3.12+: keeps its frame chain readable; no-op on 3.11)
 *   pystate_reclaim, pystate_reclaimed_release
 *                                a suspended context will never run again: its frames
 *                                are freed without running them (pystate_reclaim.h)
 *   pystate_abandon              or, where that cannot be done, leaked, and it loses
 *                                its C stack (3.12+: unlinks C-stack frames; no-op on 3.11)
 *   pystate_is_finalizing        whether the interpreter is shutting down
 *   pystate_warm_entry           make a coroutine's function specialise at its entry
 *   STACKFUL_T_OBJECT_EX, STACKFUL_READONLY   member-descriptor constants (spelling)
 */
#ifndef STACKFUL_PYSTATE_H
#define STACKFUL_PYSTATE_H

#include <Python.h>

#if defined(Py_GIL_DISABLED) && Py_GIL_DISABLED
#  error "stackful does not support free-threaded CPython builds yet (see README: supported versions)"
#endif

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#  include "pystate_311.h"
#elif PY_VERSION_HEX >= 0x030C0000 && PY_VERSION_HEX < 0x030D0000
#  include "pystate_312.h"
#elif PY_VERSION_HEX >= 0x030D0000 && PY_VERSION_HEX < 0x030E0000
#  include "pystate_313.h"
#elif PY_VERSION_HEX >= 0x030E0000 && PY_VERSION_HEX < 0x030F0000
#  include "pystate_314.h"
#elif PY_VERSION_HEX >= 0x030F0000 && PY_VERSION_HEX < 0x03100000
#  include "pystate_315.h"
#elif defined(STACKFUL_TRY_NEWER)
/* A newer CPython, built on purpose with the newest version's code (setup.py) to see
 * what breaks: the first step of docs/porting.md. */
#  include "pystate_315.h"
#else
#  error "stackful supports CPython 3.11 to 3.15 (see README: supported versions; docs/porting.md: a new version)"
#endif

#endif
