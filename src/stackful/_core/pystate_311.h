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

/* Tracing is per thread; 3.11 caches "is tracing on" in the innermost cframe, and the
 * eval loop keeps the live cframe's copy current (sys.settrace updates it, each return
 * passes it down to the caller's cframe). The incoming context's innermost cframe may
 * have slept through a sys.settrace(), so it takes the flag of the cframe just left. */
#define STACKFUL_SAVE_EXTRA(s, ts) ((s)->use_tracing = (ts)->cframe->use_tracing)
#define STACKFUL_RESTORE_EXTRA(s, prev, ts) ((ts)->cframe->use_tracing = (prev)->use_tracing)

typedef struct {
    STACKFUL_COMMON_SAVED_FIELDS
    uint8_t use_tracing;    /* the live cframe's flag, at the last save (see above) */
} PyStateSaved;

#include "pystate_common.h"
