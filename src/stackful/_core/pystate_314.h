/* pystate_314.h -- CPython 3.14 thread-state fields that are per coroutine.
 * Included only through pystate.h (see there for the contract).
 *
 * What changed since 3.13 (and why it matters here):
 *  - C recursion is no longer counted: CPython compares the machine stack pointer with
 *    limits kept in the thread state's hidden part (_PyThreadStateImpl: c_stack_top,
 *    c_stack_soft_limit, c_stack_hard_limit, set from the OS thread's stack). Past the
 *    soft limit it raises RecursionError, past the hard limit it aborts ("Unrecoverable
 *    stack overflow"); newer 3.14 releases skip the check when the stack pointer is
 *    outside the thread's stack altogether. A coroutine runs on its own (share) stack,
 *    so it gets limits computed from that stack's bounds, saved and restored per
 *    context; the trash can also decides by them when to defer deallocations.
 *  - previous_executor became current_executor (the JIT/tier-2 executor the running
 *    eval loop is in): it belongs to the code running now.
 *  - Entry frames on the C stack are FRAME_OWNED_BY_INTERPRETER (and
 *    FRAME_OWNED_BY_CSTACK exists too): both are "on the C stack" here.
 *  - Frame members and fast locals are _PyStackRef (tagged references).
 * Per thread, not switched: as 3.13, plus c_stack_init_base/top (the OS thread's own
 * stack, for PyUnstable_ThreadState_ResetStackProtection), asyncio_running_loop/task,
 * dict_global_version (a version counter that must only grow), datastack_cached_chunk
 * (a spare chunk any context may use). The code is shared with 3.15:
 * pystate_314plus.h. */
#include "pystate_314plus.h"
