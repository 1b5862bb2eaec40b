/* pystate_311.h -- CPython 3.11 thread-state fields that are per coroutine.
 * Included only through pystate.h (see there for the contract). */
/* The frame layout is only in CPython's internal headers. */
#define Py_BUILD_CORE
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

#define STACKFUL_PY_REMAINING recursion_remaining
#define STACKFUL_PY_LIMIT recursion_limit
#define STACKFUL_HAS_CFRAME 1
#define STACKFUL_TRASH_NESTING trash_delete_nesting
/* 3.11 marks the first frame of an eval-loop activation with is_entry; no frame of the
 * chain lives on the C stack. */
#define STACKFUL_CSTACK_FRAMES 0
#define STACKFUL_FRAME_CODE f_code
#define STACKFUL_FRAME_FUNC f_func

#include "pystate_fields.h"

/* Tracing is per thread; the flag cached in the innermost cframe must follow the
 * thread's state when a context is switched in (sys.settrace may have run while it
 * slept). */
#define STACKFUL_RESTORE_EXTRA(s, ts)                                                 \
    ((ts)->cframe->use_tracing =                                                      \
         ((ts)->tracing == 0 && ((ts)->c_tracefunc != NULL || (ts)->c_profilefunc != NULL)) \
             ? 255 : 0)

typedef struct {
    STACKFUL_COMMON_SAVED_FIELDS
} PyStateSaved;

#include "pystate_common.h"
