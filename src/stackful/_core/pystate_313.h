/* pystate_313.h -- CPython 3.13 thread-state fields that are per coroutine.
 * Included only through pystate.h (see there for the contract).
 *
 * What changed since 3.12 (and why it matters here):
 *  - _PyCFrame is gone: the thread state points at the innermost frame directly
 *    (current_frame), which is simply saved and restored.
 *  - The trash can has no nesting counter any more: Py_TRASHCAN_BEGIN defers a
 *    deallocation when c_recursion_remaining is low (per context, c_depth), and the
 *    deferred objects wait in delete_later (per thread: see pystate_fields.h).
 *  - critical_section: the innermost critical section, on the C stack, of
 *    free-threaded builds only; with the GIL (the only builds stackful accepts, see
 *    setup.py) it is always 0, and it is not switched (a free-threaded port would have
 *    to suspend and resume the sections, not just move the pointer).
 *  - previous_executor (tier-2 optimizer): the executor the running eval loop just
 *    left, read on its next side exit; it belongs to the code running now.
 *  - Entry frames on the C stack, as 3.12 (FRAME_OWNED_BY_CSTACK).
 * Per thread, not switched: as 3.12, plus eval_breaker, state/holds_gil,
 * delete_later, critical_section (see above), threading_local_*. */
#define Py_BUILD_CORE
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

#define STACKFUL_PY_REMAINING py_recursion_remaining
#define STACKFUL_TRACING_EVENT what_event
#define STACKFUL_PY_LIMIT py_recursion_limit
#define STACKFUL_HAS_CFRAME 0
#define STACKFUL_CSTACK_FRAMES 1
#define STACKFUL_FRAME_ON_CSTACK(f) ((f)->owner == FRAME_OWNED_BY_CSTACK)
#define STACKFUL_FRAME_CODE f_executable
#define STACKFUL_FRAME_FUNC f_funcobj
#define STACKFUL_C_RECURSION_LIMIT Py_C_RECURSION_LIMIT

#include "pystate_fields.h"

typedef struct {
    STACKFUL_COMMON_SAVED_FIELDS
    /* previous_executor: a borrowed pointer the tier-2 interpreter leaves for its own
     * next instruction; a new coroutine starts with none. */
    PyObject *previous_executor;
} PyStateSaved;

#define STACKFUL_SAVE_EXTRA(s, ts)                                                    \
    (assert((ts)->critical_section == 0),                                             \
     (s)->previous_executor = (ts)->previous_executor)
#define STACKFUL_RESTORE_EXTRA(s, prev, ts) ((void)(prev), (ts)->previous_executor = (s)->previous_executor)
#define STACKFUL_INIT_EXTRA(s, lo, hi) ((void)(lo), (void)(hi), (s)->previous_executor = NULL, 0)

#include "pystate_common.h"
