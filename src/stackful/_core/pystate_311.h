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
/* The frame below an is_entry frame called into C (pystate_reclaim.h). */
#define STACKFUL_ENTERED_FROM_C(f) ((f)->is_entry)

#include "pystate_fields.h"

#define STACKFUL_TRACING_EVENT tracing_what
/* 3.11 generators turn a StopIteration thrown into an unstarted generator into PEP 479's
 * RuntimeError (3.12+ raise it as thrown): generator.c follows. */
#define STACKFUL_PEP479_ON_UNSTARTED_THROW 1

/* 3.11 caches "report trace events now" in the innermost cframe, and the eval loop
 * keeps the live cframe's copy current (sys.settrace updates it, each return passes it
 * down to the caller's cframe). The incoming context's innermost cframe may have slept
 * through a sys.settrace(), or have been left inside a trace callback: it gets the
 * live flag of the context just left when their `tracing` counts agree (the trace
 * functions are the thread's), else the flag computed from the thread's state as
 * CPython computes it (_PyThreadState_UpdateTracingState). */
static inline uint8_t
use_tracing_now(PyThreadState *ts)
{
    return (ts->tracing == 0 && (ts->c_tracefunc != NULL || ts->c_profilefunc != NULL))
           ? 255 : 0;
}
#define STACKFUL_SAVE_EXTRA(s, ts) ((s)->use_tracing = (ts)->cframe->use_tracing)
#define STACKFUL_RESTORE_EXTRA(s, prev, ts)                                           \
    ((void)(s), (ts)->cframe->use_tracing = ((ts)->tracing == (prev)->tracing)         \
                                            ? (prev)->use_tracing : use_tracing_now(ts))

typedef struct {
    STACKFUL_COMMON_SAVED_FIELDS
    uint8_t use_tracing;    /* the live cframe's flag, at the last save (see above) */
} PyStateSaved;

/* 3.11 specialises ("quickens") a code object once its warm-up counter, bumped at each
 * entry (RESUME) and each JUMP_BACKWARD, reaches zero. A Python generator's frame is
 * re-entered at every next(), but a coroutine's function is entered once and resumed
 * inside a C call, so a `while cond:` loop there (which loops back with a conditional
 * jump, not JUMP_BACKWARD) would run on generic bytecode for good (docs/benchmarks.md
 * has the cost). So the function a coroutine is about to
 * call gets a counter one short of zero: its entry quickens it. Later versions warm up
 * on every backward branch. */
#define STACKFUL_HAVE_WARM_ENTRY 1
static inline void
pystate_warm_entry(PyObject *fn)
{
    if (PyMethod_Check(fn))
        fn = PyMethod_GET_FUNCTION(fn);
    if (!PyFunction_Check(fn))
        return;
    PyCodeObject *code = (PyCodeObject *)PyFunction_GET_CODE(fn);
    if (code->co_warmup < -1)
        code->co_warmup = -1;
}

#include "pystate_common.h"
