/* pystate_common.h -- the parts of the per-version thread-state code that every
 * supported CPython shares. Included only by the pystate_3XX.h files, after they have
 * defined PyStateSaved (with STACKFUL_COMMON_SAVED_FIELDS, pystate_fields.h) and these
 * version macros:
 *
 *   STACKFUL_PY_REMAINING, STACKFUL_PY_LIMIT   names of the Python recursion counters
 *   STACKFUL_TRACING_EVENT     name of the event of the running trace callback
 *   STACKFUL_HAS_CFRAME        1 if the thread state reaches the current frame through
 *                              a _PyCFrame (3.11, 3.12), 0 if directly (3.13+)
 *   STACKFUL_C_RECURSION_LIMIT (3.12, 3.13) the thread's C recursion budget, counted
 *                              down in c_recursion_remaining
 *   STACKFUL_TRASH_NESTING     (3.11, 3.12) the thread-state member counting trash-can
 *                              nesting
 *   STACKFUL_CSTACK_FRAMES     1 if the frame chain contains frames that live on the
 *                              C stack (the eval loop's entry frames, 3.12+)
 *   STACKFUL_FRAME_ON_CSTACK(f)   whether frame f is one of those
 *   STACKFUL_FRAME_CODE, STACKFUL_FRAME_FUNC   names of a frame's code and function
 *                              members (PyObject pointers), unless the version file
 *                              defines its own frame_visit (and STACKFUL_HAVE_FRAME_VISIT)
 */
#ifndef STACKFUL_PYSTATE_COMMON_H
#define STACKFUL_PYSTATE_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chunks.h"

/* ------------------------------------------------------------------------------ */
/* Frame data-stack chunks                                                        */

/* The data-stack fields a new coroutine starts with: a root chunk of its own, empty.
 * Returns -1 with MemoryError set. */
static inline int
datastack_init(PyStateSaved *s)
{
    _PyStackChunk *chunk = stackful_root_chunk_take();
    if (chunk == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    chunk->previous = NULL;
    chunk->size = STACKFUL_ROOT_CHUNK_SIZE;
    chunk->top = 0;
    s->datastack_chunk = chunk;
    /* Slot 0 stays unused, as CPython does for a thread's root chunk: popping the
     * first frame then never frees the chunk (it is ours to recycle). */
    s->datastack_top = &chunk->data[1];
    s->datastack_limit = (PyObject **)((char *)chunk + chunk->size);
    return 0;
}

/* ------------------------------------------------------------------------------ */
/* Save, restore, start                                                           */

/* `tracing` and its event are adjacent in the thread state of every supported version,
 * and in PyStateSaved: one 8-byte copy moves both. */
#define TRACING_PAIR_SIZE (2 * sizeof(int))
_Static_assert(offsetof(PyThreadState, STACKFUL_TRACING_EVENT) ==
               offsetof(PyThreadState, tracing) + sizeof(int), "tracing pair");
_Static_assert(offsetof(PyStateSaved, tracing_event) ==
               offsetof(PyStateSaved, tracing) + sizeof(int), "tracing pair");

#ifndef STACKFUL_PEP479_ON_UNSTARTED_THROW
#  define STACKFUL_PEP479_ON_UNSTARTED_THROW 0
#endif

/* What a version saves and restores beyond the common fields (defaults: nothing). */
#ifndef STACKFUL_SAVE_EXTRA
#  define STACKFUL_SAVE_EXTRA(s, ts) ((void)0)
#endif
#ifndef STACKFUL_RESTORE_EXTRA
#  define STACKFUL_RESTORE_EXTRA(s, prev, ts) ((void)(s), (void)(prev), (void)(ts))
#endif
/* Per-thread state the saved contexts point into (3.15: the sentinel frame that ends
 * coroutines' frame chains; see pystate_315.h). It lives as long as the last coroutine
 * of its thread. */
typedef struct {
#ifdef STACKFUL_HAVE_CHAIN_SENTINEL
    _PyInterpreterFrame chain_end;
#else
    char unused;                   /* C11 has no empty structs */
#endif
} PyStateThread;

static inline void
pystate_thread_init(PyStateThread *pt)
{
#ifdef STACKFUL_HAVE_CHAIN_SENTINEL
    memset(&pt->chain_end, 0, sizeof pt->chain_end);
    pt->chain_end.owner = FRAME_OWNED_BY_INTERPRETER;
    pt->chain_end.f_executable = PyStackRef_None;
    pt->chain_end.previous = NULL;
#else
    pt->unused = 0;
#endif
}

/* Where an empty frame chain of a coroutine ends. */
static inline _PyInterpreterFrame *
pystate_chain_end(PyStateThread *pt)
{
#ifdef STACKFUL_HAVE_CHAIN_SENTINEL
    return &pt->chain_end;
#else
    (void)pt;
    return NULL;
#endif
}
#ifndef STACKFUL_INIT_EXTRA
#  define STACKFUL_INIT_EXTRA(s, lo, hi) ((void)(lo), (void)(hi), 0)
#endif

/* The switch path's steps: inlined into every one of its copies. */
#if defined(__GNUC__)
#  define PYSTATE_SWITCH_STEP static inline __attribute__((always_inline))
#else
#  define PYSTATE_SWITCH_STEP static inline
#endif

PYSTATE_SWITCH_STEP void
pystate_save(PyStateSaved *s, PyThreadState *ts)
{
    STACKFUL_SAVE_EXTRA(s, ts);
#if STACKFUL_HAS_CFRAME
    s->cframe = ts->cframe;
    s->top_frame = ts->cframe->current_frame;
#else
    s->top_frame = ts->current_frame;
#endif
#ifdef STACKFUL_C_RECURSION_LIMIT
    s->c_depth = STACKFUL_C_RECURSION_LIMIT - ts->c_recursion_remaining;
#endif
#ifdef STACKFUL_TRASH_NESTING
    s->trash_delete_nesting = ts->STACKFUL_TRASH_NESTING;
#endif
    s->py_depth = ts->STACKFUL_PY_LIMIT - ts->STACKFUL_PY_REMAINING;
    s->datastack_chunk = ts->datastack_chunk;
    s->datastack_top = ts->datastack_top;
    s->datastack_limit = ts->datastack_limit;
    s->exc_info = ts->exc_info;
    s->context = ts->context;
    memcpy(&s->tracing, &ts->tracing, TRACING_PAIR_SIZE);
}

/* `prev`: the state pystate_save just saved for the context being left. */
PYSTATE_SWITCH_STEP void
pystate_restore(PyStateSaved *s, const PyStateSaved *prev, PyThreadState *ts)
{
#if STACKFUL_HAS_CFRAME
    ts->cframe = s->cframe;
#else
    ts->current_frame = s->top_frame;
#endif
#ifdef STACKFUL_C_RECURSION_LIMIT
    ts->c_recursion_remaining = STACKFUL_C_RECURSION_LIMIT - s->c_depth;
#endif
#ifdef STACKFUL_TRASH_NESTING
    ts->STACKFUL_TRASH_NESTING = s->trash_delete_nesting;
#endif
    ts->STACKFUL_PY_REMAINING = ts->STACKFUL_PY_LIMIT - s->py_depth;
    ts->datastack_chunk = s->datastack_chunk;
    ts->datastack_top = s->datastack_top;
    ts->datastack_limit = s->datastack_limit;
    ts->exc_info = s->exc_info;
    ts->context = s->context;      /* the thread state's now; s's is stale until saved */
    memcpy(&ts->tracing, &s->tracing, TRACING_PAIR_SIZE);
    /* ContextVar.get() caches by (context, version): a new version invalidates it. */
    ts->context_ver++;
    STACKFUL_RESTORE_EXTRA(s, prev, ts);
}

/* A context is entered below the running one (resume, throw, next, close: it runs
 * inside whatever trace callbacks the running one is in), or in place of `replaced`
 * (transfer: it takes the other's place on the chain). Called before the switch. */
static inline void
pystate_enter_below(PyStateSaved *s, PyThreadState *ts)
{
    s->tracing += ts->tracing - s->tracing_inherited;
    s->tracing_inherited = ts->tracing;
}

static inline void
pystate_enter_in_place_of(PyStateSaved *s, const PyStateSaved *replaced)
{
    s->tracing += replaced->tracing_inherited - s->tracing_inherited;
    s->tracing_inherited = replaced->tracing_inherited;
}

/* Start state of a new coroutine: no Python frame (its first frame's f_back is
 * None; with a cframe chain, its own root cframe), a fresh frame chunk, no exception
 * being handled, Python (and C) recursion depth 0, trash-can nesting 0, `context` (an owned
 * reference) as its current Context; STACKFUL_INIT_EXTRA adds what a version needs
 * (its C stack spans [stack_lo, stack_hi)). Returns -1 with an exception set (only
 * MemoryError today); nothing needs undoing then. */
static inline int
pystate_init_coroutine(PyStateSaved *s, PyStateOwn *own, PyStateThread *pt, PyObject *context,
                       char *stack_lo, char *stack_hi)
{
    if (STACKFUL_INIT_EXTRA(s, stack_lo, stack_hi) < 0 || datastack_init(s) < 0)
        return -1;
    own->exc_state.exc_value = NULL;
    own->exc_state.previous_item = NULL;
#if STACKFUL_HAS_CFRAME
    own->root_cframe = (_PyCFrame){.current_frame = NULL, .previous = NULL};
    s->cframe = &own->root_cframe;
#endif
#ifdef STACKFUL_C_RECURSION_LIMIT
    s->c_depth = 0;
#endif
#ifdef STACKFUL_TRASH_NESTING
    s->trash_delete_nesting = 0;
#endif
    s->top_frame = pystate_chain_end(pt);
    s->py_depth = 0;
    s->exc_info = &own->exc_state;
    s->context = context;
    s->tracing = 0;
    s->tracing_inherited = 0;
    s->tracing_event = 0;
    return 0;
}

/* A coroutine's function has returned: all its frames are popped, so its data stack
 * is back to the root chunk. Recycle the chunk; returns the references that the caller
 * must release once it is safe to run Python code (context, exception value). */
static inline void
pystate_release_finished(PyStateSaved *s, PyStateOwn *own, PyObject **refs /* [2] */)
{
    _PyStackChunk *chunk = s->datastack_chunk;
    assert(chunk != NULL && chunk->previous == NULL);
    stackful_root_chunk_give(chunk);
    s->datastack_chunk = NULL;
    s->datastack_top = s->datastack_limit = NULL;
    refs[0] = s->context;
    s->context = NULL;
    refs[1] = own->exc_state.exc_value;
    own->exc_state.exc_value = NULL;
}

/* Spellings of the member-descriptor constants: 3.12 moved them into Python.h under
 * Py_ names (structmember.h keeps the old names, deprecated). */
#if PY_VERSION_HEX >= 0x030C0000
#  define STACKFUL_T_OBJECT_EX Py_T_OBJECT_EX
#  define STACKFUL_READONLY Py_READONLY
#else
#  include <structmember.h>
#  define STACKFUL_T_OBJECT_EX T_OBJECT_EX
#  define STACKFUL_READONLY READONLY
#endif

#ifndef STACKFUL_HAVE_WARM_ENTRY
/* Warm up the code a coroutine is about to call (3.11 only, see pystate_311.h). */
static inline void
pystate_warm_entry(PyObject *fn)
{
    (void)fn;
}
#endif

/* The Context the running code runs in (not a copy), made if the thread has none yet,
 * as contextvars does on first use. New reference, or NULL with MemoryError. */
static inline PyObject *
pystate_current_context(PyThreadState *ts)
{
    if (ts->context == NULL) {
        PyObject *ctx = PyContext_New();
        if (ctx == NULL)
            return NULL;
        ts->context = ctx;            /* the thread state's reference */
        ts->context_ver++;
    }
    return Py_NewRef(ts->context);
}

/* Replaces the running code's Context (`context`: borrowed, or NULL for "none yet",
 * which contextvars fills with an empty one on first use). The old one is released
 * last: its deallocation may run code, which must see the new one. */
static inline void
pystate_set_current_context(PyThreadState *ts, PyObject *context)
{
    PyObject *old = ts->context;
    ts->context = Py_XNewRef(context);
    ts->context_ver++;
    Py_XDECREF(old);
}

/* Whether the interpreter is shutting down: no coroutine is entered then. */
static inline int
pystate_is_finalizing(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}

/* ------------------------------------------------------------------------------ */
/* Introspection of a suspended context                                           */

#ifndef STACKFUL_HAVE_FRAME_VISIT
/* Owned references of a thread-owned frame: its code, function, locals dict, frame
 * object and fast locals. The evaluation stack of a frame that is inside a call has
 * no recorded depth (stacktop is only kept for frames that are not executing), so it
 * is not visited: what only it holds stays alive, which is safe. */
static inline int
frame_visit(_PyInterpreterFrame *f, visitproc visit, void *arg)
{
    PyObject *code = (PyObject *)f->STACKFUL_FRAME_CODE;
    Py_VISIT(f->frame_obj);
    Py_VISIT(f->f_locals);
    Py_VISIT(f->STACKFUL_FRAME_FUNC);
    Py_VISIT(code);
    if (code == NULL || !PyCode_Check(code))
        return 0;
    int n = ((PyCodeObject *)code)->co_nlocalsplus;
    for (int i = 0; i < n; i++)
        Py_VISIT(f->localsplus[i]);
    return 0;
}
#endif

/* What a suspended coroutine references, for the cycle collector. Only frames the
 * thread owns (ours): a generator's frame on our chain is visited by its generator, a
 * frame object's by the frame object, and the eval loop's entry frames (3.12+) own
 * nothing. Every frame read here is in memory that is valid while the coroutine is
 * suspended (pystate_stack_moved keeps the chain pointing at it). */
static inline int
pystate_traverse(const PyStateSaved *s, const PyStateOwn *own, visitproc visit, void *arg)
{
    for (_PyInterpreterFrame *f = s->top_frame; f != NULL; f = f->previous) {
        if (f->owner != FRAME_OWNED_BY_THREAD)
            continue;
        int err = frame_visit(f, visit, arg);
        if (err)
            return err;
    }
    Py_VISIT(s->context);
    Py_VISIT(own->exc_state.exc_value);
    return 0;
}

/* The frame object of the first complete frame of a chain from `top` (new reference),
 * or NULL without an exception if it has none (pystate_frame_object: of a suspended
 * context's top frame). CPython only makes frame objects for the current frame
 * chain, so point the thread at ours for that moment (PyThreadState_GetFrame skips
 * incomplete and entry frames, as for a running thread); the allocation could start a
 * collection that runs arbitrary code with the thread state half-switched, so the
 * collector is off meanwhile. */
static inline PyObject *
frame_object_of_chain(_PyInterpreterFrame *top, PyThreadState *ts)
{
    if (top == NULL)
        return NULL;
    int gc_was_enabled = PyGC_Disable();
#if STACKFUL_HAS_CFRAME
    _PyCFrame probe = {.current_frame = top, .previous = NULL};
    _PyCFrame *saved = ts->cframe;
    ts->cframe = &probe;
    PyFrameObject *frame = PyThreadState_GetFrame(ts);
    ts->cframe = saved;
#else
    _PyInterpreterFrame *saved = ts->current_frame;
    ts->current_frame = top;
    PyFrameObject *frame = PyThreadState_GetFrame(ts);
    ts->current_frame = saved;
#endif
    if (gc_was_enabled)
        PyGC_Enable();
    if (frame == NULL) {
        /* PyThreadState_GetFrame returns NULL, with the error cleared, both when there
         * is no complete frame and when making its frame object failed: tell them
         * apart, so that a failure is a MemoryError and not "no frame". */
        _PyInterpreterFrame *f = top;
        while (f != NULL && _PyFrame_IsIncomplete(f))
            f = f->previous;
        if (f != NULL)
            PyErr_NoMemory();
    }
    return (PyObject *)frame;
}

static inline PyObject *
pystate_frame_object(const PyStateSaved *s, PyThreadState *ts)
{
    return frame_object_of_chain(s->top_frame, ts);
}

/* ------------------------------------------------------------------------------ */
/* Frames that live on the C stack (3.12+)                                        */

/* Since 3.12 each activation of the eval loop links an "entry frame" into the frame
 * chain: a _PyInterpreterFrame that is a local variable of _PyEval_EvalFrameDefault,
 * i.e. on the C stack of the context that runs it. The Python frame that activation
 * started points at it (frame->previous), and it points at the frame that was current
 * when C code called into the interpreter. CPython's frame walkers (f_back,
 * PyThreadState_GetFrame, tracebacks) read it to skip it.
 *
 * A suspended coroutine's C stack is not always where its frames point: when it shares
 * a ShareStack, its used bytes are copied to its save buffer and another coroutine's
 * bytes take their place. Whoever walks its frames then (frame.f_back, co.frame, the
 * cycle collector) would read the other coroutine's data as a frame.
 *
 * pystate_stack_moved: the bytes [from, from + len) of a suspended context's C stack
 * were copied to `to` (out to the save buffer, or back onto the share stack). Every
 * link of its frame chain that points into the old place is made to point at the same
 * bytes in the new place, so the chain is always readable. The walk starts from the
 * heap frames, reads each entry frame at its current place, and goes on below it; it
 * costs one step per frame of the context, and only happens when a share stack changes
 * owner (which already copies the bytes). No other memory points at entry frames from
 * outside the stack bytes themselves, and pointers inside the stack bytes (C locals)
 * are right again once the bytes are back at their own addresses. */
static inline void
pystate_stack_moved(PyStateSaved *s, const char *from, size_t len, char *to)
{
#if STACKFUL_CSTACK_FRAMES
    const uintptr_t lo = (uintptr_t)from;
#  define STACKFUL_MOVED(p)                                                          \
    ((uintptr_t)(p) - lo < len ? (_PyInterpreterFrame *)(to + ((uintptr_t)(p) - lo))  \
                               : (p))
    s->top_frame = STACKFUL_MOVED(s->top_frame);
    for (_PyInterpreterFrame *f = s->top_frame; f != NULL; f = f->previous)
        f->previous = STACKFUL_MOVED(f->previous);
#  undef STACKFUL_MOVED
#else
    (void)s;
    (void)from;
    (void)len;
    (void)to;
#endif
}

/* A suspended coroutine that will never run again (it could not be closed and is
 * being freed: its frames are leaked) is about to lose its C stack and save buffer.
 * Frame objects of its frames may outlive it, so link each of its frames straight to
 * the next frame that is not on the C stack: walkers then never touch the freed
 * bytes. Its frames are never executed again, so their links are free to change. Call
 * while the chain is still readable (before the stack or save buffer is released). */
static inline void
pystate_abandon(PyStateSaved *s)
{
#if STACKFUL_CSTACK_FRAMES
    _PyInterpreterFrame *f = s->top_frame;
    while (f != NULL && STACKFUL_FRAME_ON_CSTACK(f))
        f = f->previous;
    s->top_frame = f;
    for (; f != NULL; f = f->previous) {
        _PyInterpreterFrame *p = f->previous;
        while (p != NULL && STACKFUL_FRAME_ON_CSTACK(p))
            p = p->previous;
        f->previous = p;
    }
#else
    (void)s;
#endif
}

#include "pystate_reclaim.h"

#endif
