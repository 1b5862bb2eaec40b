/* pystate.h -- the part of CPython's thread state that belongs to the running code.
 *
 * Principles:
 *  - Everything CPython keeps per thread that describes "the code running now" is saved
 *    for the context switched away from and restored for the one switched to. Nothing
 *    else is touched: tracing functions, the thread dict, async exceptions stay per
 *    thread (like generators, coroutines share them).
 *  - One file per CPython version, side by side, each field saying why it is switched.
 *    This header only selects the file; an unsupported version fails to compile.
 *  - Nothing here runs Python code or allocates on the switch path.
 *
 * Each version file defines:
 *   PyStateSaved                 the saved fields of one context (main or coroutine)
 *   PyStateOwn                   storage a coroutine's saved state points into
 *   pystate_save / pystate_restore
 *   pystate_init_coroutine       the start state of a new coroutine
 *   pystate_release_finished     what a finished coroutine hands back (frame chunk, refs)
 *   pystate_traverse / pystate_clear_own   for the cycle collector
 *   pystate_frame_object         the top Python frame of a suspended context, or NULL
 *   pystate_has_frames           whether a suspended context still has Python frames
 *   pystate_is_finalizing        whether the interpreter is shutting down
 *   chunk_pool_count             frame chunks kept for reuse (introspection)
 */
#ifndef STACKFUL_PYSTATE_H
#define STACKFUL_PYSTATE_H

#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
#  include "pystate_311.h"
#else
#  error "stackful supports CPython 3.11 (see README: supported versions)"
#endif

#endif
