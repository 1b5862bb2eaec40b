/* pystate_312.h -- CPython 3.12 thread-state fields that are per coroutine.
 * Included only through pystate.h (see there for the contract).
 *
 * What changed since 3.11 (and why it matters here):
 *  - recursion_remaining became py_recursion_remaining, and C recursion has its own
 *    counter, c_recursion_remaining: both are per context.
 *  - _PyCFrame lost use_tracing: tracing and profiling go through sys.monitoring's
 *    instrumentation of code objects (interp->monitoring_version, checked by each
 *    frame at RESUME), and the legacy trace/profile functions stay per thread in
 *    c_tracefunc/c_profilefunc. Nothing to refresh on a switch.
 *  - Each eval-loop activation links an entry frame (FRAME_OWNED_BY_CSTACK) that lives
 *    on the C stack into the frame chain: see pystate_stack_moved (pystate_common.h).
 *  - The trash can moved into tstate->trash {delete_nesting, delete_later}.
 * Switched since 3.12 as in 3.11 (pystate_fields.h): tracing, and what_event (the event
 * of the running monitoring callback) where 3.11 had tracing_what.
 * Per thread, not switched: c_tracefunc/c_profilefunc and their objects,
 * current_exception (a throw carries its exception across the switch in it),
 * recursion_headroom, dict, async_exc, trash.delete_later (garbage any context may
 * free). */
#define Py_BUILD_CORE
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

#define STACKFUL_PY_REMAINING py_recursion_remaining
#define STACKFUL_TRACING_EVENT what_event
#define STACKFUL_PY_LIMIT py_recursion_limit
#define STACKFUL_HAS_CFRAME 1
#define STACKFUL_TRASH_NESTING trash.delete_nesting
#define STACKFUL_CSTACK_FRAMES 1
#define STACKFUL_FRAME_ON_CSTACK(f) ((f)->owner == FRAME_OWNED_BY_CSTACK)
#define STACKFUL_FRAME_CODE f_code
#define STACKFUL_FRAME_FUNC f_funcobj

/* The C recursion budget of a thread (and of a new coroutine): 3.12.0 and later
 * releases spell it differently. */
#if defined(Py_C_RECURSION_LIMIT)
#  define STACKFUL_C_RECURSION_LIMIT Py_C_RECURSION_LIMIT
#elif defined(C_RECURSION_LIMIT)
#  define STACKFUL_C_RECURSION_LIMIT C_RECURSION_LIMIT
#else
#  error "stackful: this CPython 3.12 does not define its C recursion limit"
#endif

#include "pystate_fields.h"

typedef struct {
    STACKFUL_COMMON_SAVED_FIELDS
} PyStateSaved;

#include "pystate_common.h"
