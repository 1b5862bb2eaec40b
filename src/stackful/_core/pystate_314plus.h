/* pystate_314plus.h -- the thread-state code that CPython 3.14 and later share: C-stack
 * limits per context, tagged stack references, the running executor. Included by
 * pystate_314.h and pystate_315.h after their notes; a later version adds its own
 * fields through the STACKFUL_315_* hooks. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#define Py_BUILD_CORE
#include "internal/pycore_frame.h"
#include "internal/pycore_interpframe.h"
#include "internal/pycore_pythonrun.h"
#include "internal/pycore_stackref.h"
#include "internal/pycore_tstate.h"
#undef Py_BUILD_CORE
#pragma GCC diagnostic pop

#if !_Py_STACK_GROWS_DOWN
#  error "stackful: the C stack must grow down"
#endif

#define STACKFUL_PY_REMAINING py_recursion_remaining
#define STACKFUL_TRACING_EVENT what_event
#define STACKFUL_PY_LIMIT py_recursion_limit
#define STACKFUL_HAS_CFRAME 0
#define STACKFUL_CSTACK_FRAMES 1
#define STACKFUL_FRAME_ON_CSTACK(f) ((f)->owner >= FRAME_OWNED_BY_INTERPRETER)
#define STACKFUL_FRAME_CODE f_executable
#define STACKFUL_FRAME_FUNC f_funcobj
/* A frame's slots (and its code and function) are tagged stack references: some are
 * borrowed (from a local of the same or a calling frame), and a frame object that takes
 * a frame over makes each its own, as CPython does (pystate_reclaim.h). The eval loop
 * records a frame's stack depth (stackpointer) before every call that can run other
 * code, so it is known for every frame of a suspended chain. */
#define STACKFUL_SLOT _PyStackRef
#define STACKFUL_SLOT_OF(x) (x)
#define STACKFUL_SLOT_OBJECT(slot) PyStackRef_AsPyObjectBorrow(slot)
#define STACKFUL_SLOT_CLOSE(slot) PyStackRef_XCLOSE(slot)
#define STACKFUL_SLOT_HEAP_SAFE(slot) PyStackRef_MakeHeapSafe(slot)
#define STACKFUL_FRAME_STACK_END(f) ((f)->stackpointer)
#define STACKFUL_FRAME_SET_STACK_END(f, end) ((f)->stackpointer = (end))
#define STACKFUL_STACK_DEPTH_ALWAYS_KEPT 1

#include "pystate_fields.h"

#ifndef STACKFUL_315_SAVED_FIELDS
#  define STACKFUL_315_SAVED_FIELDS
#  define STACKFUL_315_SAVE(s, ts) ((void)0)
#  define STACKFUL_315_RESTORE(s, ts) ((void)0)
#  define STACKFUL_315_INIT(s, ts) ((void)0)
#endif

typedef struct {
    STACKFUL_COMMON_SAVED_FIELDS
    /* current_executor: a borrowed pointer to the tier-2 executor the context's eval
     * loop runs in; a new coroutine starts in none. */
    PyObject *current_executor;
    /* The C-stack limits of the context's own stack (3.14's notes). */
    uintptr_t c_stack_top;
    uintptr_t c_stack_soft_limit;
    uintptr_t c_stack_hard_limit;
    STACKFUL_315_SAVED_FIELDS
} PyStateSaved;

/* An owned reference held by a tagged stack reference: not NULL, not a tagged int, not
 * borrowed or immortal (Py_TAG_REFCNT set: no reference count is held for it). Only
 * those are visited; visiting a borrowed one would make the collector count a
 * reference that does not exist. */
static inline int
stackref_visit(_PyStackRef ref, visitproc visit, void *arg)
{
    if (PyStackRef_IsNull(ref) || PyStackRef_IsTaggedInt(ref) ||
        !PyStackRef_RefcountOnObject(ref))
        return 0;
    Py_VISIT(PyStackRef_AsPyObjectBorrow(ref));
    return 0;
}

/* Owned references of a thread-owned frame: code, function, locals dict, frame object,
 * fast locals (the evaluation stack of a frame inside a call is not visited, as on
 * every version: what only it holds stays alive). */
#define STACKFUL_HAVE_FRAME_VISIT 1
static inline int
frame_visit(_PyInterpreterFrame *f, visitproc visit, void *arg)
{
    int err;
    Py_VISIT(f->frame_obj);
    Py_VISIT(f->f_locals);
    if ((err = stackref_visit(f->f_funcobj, visit, arg)) != 0 ||
        (err = stackref_visit(f->f_executable, visit, arg)) != 0)
        return err;
    PyObject *code = PyStackRef_AsPyObjectBorrow(f->f_executable);
    if (code == NULL || !PyCode_Check(code))
        return 0;
    int n = ((PyCodeObject *)code)->co_nlocalsplus;
    for (int i = 0; i < n; i++) {
        if ((err = stackref_visit(f->localsplus[i], visit, arg)) != 0)
            return err;
    }
    return 0;
}

static inline void
save_314(PyStateSaved *s, PyThreadState *ts)
{
    _PyThreadStateImpl *impl = (_PyThreadStateImpl *)ts;
    s->current_executor = ts->current_executor;
    s->c_stack_top = impl->c_stack_top;
    s->c_stack_soft_limit = impl->c_stack_soft_limit;
    s->c_stack_hard_limit = impl->c_stack_hard_limit;
    STACKFUL_315_SAVE(s, ts);
}

/* The main context's limits may still be unset (hard limit 0: CPython computes them
 * lazily, on the thread's own stack); they are restored as they were, and a coroutine's
 * are never 0, so the lazy computation never runs on a coroutine's stack. */
static inline void
restore_314(PyStateSaved *s, PyThreadState *ts)
{
    _PyThreadStateImpl *impl = (_PyThreadStateImpl *)ts;
    ts->current_executor = s->current_executor;
    impl->c_stack_top = s->c_stack_top;
    impl->c_stack_soft_limit = s->c_stack_soft_limit;
    impl->c_stack_hard_limit = s->c_stack_hard_limit;
    STACKFUL_315_RESTORE(s, ts);
}

/* Limits for a coroutine whose C stack spans [lo, hi). CPython's own layout: the hard
 * limit one margin (_PyOS_STACK_MARGIN_BYTES) above the bottom, the soft limit two;
 * between them the RecursionError is raised and handled. A stack smaller than CPython's
 * minimum (three margins) gets margins of a quarter of its size, so that code still has
 * half of it. Where CPython offers PyUnstable_ThreadState_SetStackProtection (setup.py
 * detects it), it computes them (it also knows about sanitizers): it writes the live
 * thread state, so the live values are put back afterwards. */
static inline int
init_314(PyStateSaved *s, char *stack_lo, char *stack_hi)
{
    uintptr_t lo = (uintptr_t)stack_lo, hi = (uintptr_t)stack_hi;
    uintptr_t margin = _PyOS_STACK_MARGIN_BYTES;
    s->current_executor = NULL;
    STACKFUL_315_INIT(s, PyThreadState_Get());
#ifdef STACKFUL_HAVE_SET_STACK_PROTECTION
    if (hi - lo >= 3 * margin) {
        PyThreadState *ts = PyThreadState_Get();
        PyStateSaved live;
        save_314(&live, ts);
        int rc = PyUnstable_ThreadState_SetStackProtection(ts, stack_lo, hi - lo);
        save_314(s, ts);
        restore_314(&live, ts);
        s->current_executor = NULL;
        STACKFUL_315_INIT(s, ts);
        if (rc == 0)
            return 0;
        PyErr_Clear();      /* computed below instead */
    }
#endif
    if (hi - lo < 3 * margin)
        margin = ((hi - lo) / 4) & ~(uintptr_t)15;
    s->c_stack_top = hi;
    s->c_stack_hard_limit = lo + margin;
    s->c_stack_soft_limit = lo + 2 * margin;
    return 0;
}

#define STACKFUL_SAVE_EXTRA(s, ts) save_314((s), (ts))
#define STACKFUL_RESTORE_EXTRA(s, prev, ts) ((void)(prev), restore_314((s), (ts)))
#define STACKFUL_INIT_EXTRA(s, lo, hi) init_314((s), (lo), (hi))

#include "pystate_common.h"
