/* pystate_fields.h -- the saved thread-state fields every supported CPython shares,
 * each with why it is switched. Included only by the pystate_3XX.h files, after their
 * version macros (see pystate_common.h) and before they define PyStateSaved as
 *
 *     typedef struct { STACKFUL_COMMON_SAVED_FIELDS  ...their own fields... } PyStateSaved;
 */
#ifndef STACKFUL_PYSTATE_FIELDS_H
#define STACKFUL_PYSTATE_FIELDS_H

/* top_frame: the context's innermost frame as it was at the switch, read while its C
 *   stack was live (a suspended coroutine's C stack may be copied out, so nothing on it
 *   is read while it is suspended; pystate_stack_moved keeps the chain readable).
 *   From 3.13 it is the thread state's current_frame itself.
 * py_depth: the Python recursion counter, stored as a depth below the limit so that
 *   sys.setrecursionlimit() while suspended still applies: each context has its own
 *   recursion depth, as each has its own frame chain.
 * datastack_chunk/top/limit: the frame data stack. Python frames of a context live in
 *   its own chunks, and pushes/pops only ever touch the running context's top.
 * exc_info: the exception being handled (sys.exc_info()) is per coroutine, as it is per
 *   generator: the chain of _PyErr_StackItem starts at the context's own item.
 * context: contextvars; each context has its own current Context. An owned reference,
 *   moved between the thread state and here without touching refcounts (the version
 *   counter context_ver is bumped on restore so ContextVar caches refresh).
 * cframe (3.11, 3.12): the innermost _PyCFrame of the context. It lives on the
 *   context's own C stack (or in PyStateOwn for a new coroutine), and each
 *   _PyEval_EvalFrameDefault links its own to it: the chain must follow the C stack it
 *   describes.
 * c_depth (3.12, 3.13): c_recursion_remaining, stored as a depth below the thread's
 *   C recursion limit: C recursion is a property of the C stack, and each context has
 *   its own (a new coroutine starts at 0, with the whole budget).
 * tracing, tracing_inherited, tracing_event: the thread state's `tracing` counts the
 *   trace, profile and (3.12+) monitoring callbacks running now, during which no events
 *   are reported (so a tracer is not traced). A callback that suspends its coroutine
 *   must not silence the thread: each context runs with the count of callbacks running
 *   in its own frames plus the count of the context that resumed it (inherited: a
 *   coroutine resumed from inside a callback is inside it, as a generator would be).
 *   `tracing` is that sum, saved and restored as it is; entering a context below a new
 *   resumer replaces the inherited part (pystate_enter_below). tracing_event (3.11
 *   tracing_what, 3.12+ what_event) is the event of the innermost of those callbacks.
 * trash_delete_nesting (3.11, 3.12): trash-can deallocation nesting is a property of
 *   the C stack being unwound. The list of deferred deallocations (delete_later) stays
 *   per thread on every version: it is garbage that any context may free once it is
 *   shallow enough, and a coroutine that never runs again must not strand it. */
#if STACKFUL_HAS_CFRAME
#  define STACKFUL_CFRAME_FIELD _PyCFrame *cframe;
#else
#  define STACKFUL_CFRAME_FIELD
#endif
#ifdef STACKFUL_C_RECURSION_LIMIT
#  define STACKFUL_C_DEPTH_FIELD int c_depth;
#else
#  define STACKFUL_C_DEPTH_FIELD
#endif
#ifdef STACKFUL_TRASH_NESTING
#  define STACKFUL_TRASH_FIELD int trash_delete_nesting;
#else
#  define STACKFUL_TRASH_FIELD
#endif

/* Pointers first, then the ints, so that the ints pack without padding. */
#define STACKFUL_COMMON_SAVED_FIELDS                                                \
    _PyInterpreterFrame *top_frame;                                                 \
    _PyStackChunk *datastack_chunk;                                                 \
    PyObject **datastack_top;                                                       \
    PyObject **datastack_limit;                                                     \
    _PyErr_StackItem *exc_info;                                                     \
    PyObject *context;                                                              \
    STACKFUL_CFRAME_FIELD                                                           \
    int py_depth;                                                                   \
    int tracing;                /* with tracing_event: as in the thread state */    \
    int tracing_event;                                                              \
    int tracing_inherited;                                                          \
    STACKFUL_C_DEPTH_FIELD                                                          \
    STACKFUL_TRASH_FIELD

/* Storage a coroutine's saved state points into. */
typedef struct {
#if STACKFUL_HAS_CFRAME
    _PyCFrame root_cframe;          /* bottom of a coroutine's cframe chain */
#endif
    _PyErr_StackItem exc_state;     /* bottom of a coroutine's exception stack */
} PyStateOwn;

#endif
