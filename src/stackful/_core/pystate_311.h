/* pystate_311.h -- CPython 3.11 thread-state fields that are per coroutine.
 * Included only through pystate.h (see there for the contract). */
/* The frame layout is only in CPython's internal headers. */
#define Py_BUILD_CORE
#include "internal/pycore_frame.h"
#undef Py_BUILD_CORE

/* Frame data-stack chunk given to a new coroutine. CPython's own chunks are 16 KiB
 * (DATA_STACK_CHUNK_SIZE); the same size means a coroutine spills into a second chunk
 * at the same depth as a thread would. Only touched pages cost memory. */
#define STACKFUL_ROOT_CHUNK_SIZE ((size_t)16 << 10)
#define STACKFUL_CHUNK_POOL_MAX 256

typedef struct {
    /* The innermost _PyCFrame of the context. It lives on the context's own C stack
     * (or in PyStateOwn for a new coroutine), and each _PyEval_EvalFrameDefault links
     * its own to it: the chain must follow the C stack it describes. */
    _PyCFrame *cframe;
    /* cframe->current_frame as it was at the switch, read while the C stack was live:
     * a suspended coroutine's C stack may be copied out, so its cframe can't be read. */
    _PyInterpreterFrame *top_frame;
    /* recursion_remaining, stored as a depth below recursion_limit so that
     * sys.setrecursionlimit() while suspended still applies: each context has its own
     * recursion depth, as each has its own stack. */
    int recursion_depth;
    /* The frame data stack: Python frames of a context live in its own chunks, and
     * pushes/pops only ever touch the running context's top. */
    _PyStackChunk *datastack_chunk;
    PyObject **datastack_top;
    PyObject **datastack_limit;
    /* The exception being handled (sys.exc_info()) is per coroutine, as it is per
     * generator: the chain of _PyErr_StackItem starts at the context's own item. */
    _PyErr_StackItem *exc_info;
    /* contextvars: each context has its own current Context. An owned reference,
     * moved between the thread state and here without touching refcounts. */
    PyObject *context;
    /* Trash-can deallocation nesting is a property of the C stack being unwound. */
    int trash_delete_nesting;
} PyStateSaved;

typedef struct {
    _PyCFrame root_cframe;          /* bottom of a coroutine's cframe chain */
    _PyErr_StackItem exc_state;     /* bottom of a coroutine's exception stack */
} PyStateOwn;

static _PyStackChunk *chunk_pool[STACKFUL_CHUNK_POOL_MAX];

/* Whether the interpreter is shutting down: no coroutine is entered then. */
static inline int
pystate_is_finalizing(void)
{
    return _Py_IsFinalizing();
}
static size_t chunk_pool_count;

static inline void
pystate_save(PyStateSaved *s, PyThreadState *ts)
{
    s->cframe = ts->cframe;
    s->top_frame = ts->cframe->current_frame;
    s->recursion_depth = ts->recursion_limit - ts->recursion_remaining;
    s->datastack_chunk = ts->datastack_chunk;
    s->datastack_top = ts->datastack_top;
    s->datastack_limit = ts->datastack_limit;
    s->exc_info = ts->exc_info;
    s->context = ts->context;
    s->trash_delete_nesting = ts->trash_delete_nesting;
}

static inline void
pystate_restore(PyStateSaved *s, PyThreadState *ts)
{
    ts->cframe = s->cframe;
    /* Tracing is per thread; the flag cached in the innermost cframe must follow the
     * thread's state now (sys.settrace may have run while this context slept). */
    ts->cframe->use_tracing =
        (ts->tracing == 0 && (ts->c_tracefunc != NULL || ts->c_profilefunc != NULL))
        ? 255 : 0;
    ts->recursion_remaining = ts->recursion_limit - s->recursion_depth;
    ts->datastack_chunk = s->datastack_chunk;
    ts->datastack_top = s->datastack_top;
    ts->datastack_limit = s->datastack_limit;
    ts->exc_info = s->exc_info;
    ts->context = s->context;
    s->context = NULL;
    /* ContextVar.get() caches by (context, version): a new version invalidates it. */
    ts->context_ver++;
    ts->trash_delete_nesting = s->trash_delete_nesting;
}

/* Start state of a new coroutine: no Python frame (its first frame's f_back is None),
 * a fresh frame chunk, no exception being handled, recursion depth 0, `context` (an
 * owned reference) as its current Context. Its C stack spans [stack_lo, stack_hi)
 * (3.11 does not check the C stack against bounds). Returns -1 with MemoryError set. */
static inline int
pystate_init_coroutine(PyStateSaved *s, PyStateOwn *own, PyObject *context,
                       char *stack_lo, char *stack_hi)
{
    (void)stack_lo;
    (void)stack_hi;
    _PyStackChunk *chunk;
    if (chunk_pool_count > 0) {
        chunk = chunk_pool[--chunk_pool_count];
    }
    else {
        chunk = PyMem_RawMalloc(STACKFUL_ROOT_CHUNK_SIZE);
        if (chunk == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    chunk->previous = NULL;
    chunk->size = STACKFUL_ROOT_CHUNK_SIZE;
    chunk->top = 0;
    own->root_cframe.use_tracing = 0;
    own->root_cframe.current_frame = NULL;
    own->root_cframe.previous = NULL;
    own->exc_state.exc_value = NULL;
    own->exc_state.previous_item = NULL;
    s->cframe = &own->root_cframe;
    s->top_frame = NULL;
    s->recursion_depth = 0;
    s->datastack_chunk = chunk;
    /* Slot 0 stays unused, as CPython does for a thread's root chunk: popping the
     * first frame then never frees the chunk (it is ours to recycle). */
    s->datastack_top = &chunk->data[1];
    s->datastack_limit = (PyObject **)((char *)chunk + chunk->size);
    s->exc_info = &own->exc_state;
    s->context = context;
    s->trash_delete_nesting = 0;
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
    if (chunk_pool_count < STACKFUL_CHUNK_POOL_MAX)
        chunk_pool[chunk_pool_count++] = chunk;
    else
        PyMem_RawFree(chunk);
    s->datastack_chunk = NULL;
    s->datastack_top = s->datastack_limit = NULL;
    refs[0] = s->context;
    s->context = NULL;
    refs[1] = own->exc_state.exc_value;
    own->exc_state.exc_value = NULL;
}

static inline int
pystate_has_frames(const PyStateSaved *s)
{
    return s->top_frame != NULL;
}

/* What a suspended coroutine references, for the cycle collector. Only frames the
 * thread owns (ours): a generator's frame on our chain is visited by its generator.
 * Locals are owned references; the evaluation stack of a frame that is inside a call
 * has no recorded depth in 3.11 (stacktop is -1 while executing), so it is not
 * visited: what only it holds stays alive, which is safe. */
static inline int
pystate_traverse(const PyStateSaved *s, const PyStateOwn *own, visitproc visit, void *arg)
{
    for (_PyInterpreterFrame *f = s->top_frame; f != NULL; f = f->previous) {
        if (f->owner != FRAME_OWNED_BY_THREAD)
            continue;
        Py_VISIT(f->frame_obj);
        Py_VISIT(f->f_locals);
        Py_VISIT(f->f_func);
        Py_VISIT(f->f_code);
        int n = f->f_code->co_nlocalsplus;
        for (int i = 0; i < n; i++)
            Py_VISIT(f->localsplus[i]);
    }
    Py_VISIT(s->context);
    Py_VISIT(own->exc_state.exc_value);
    return 0;
}

/* The top frame object of a suspended context (new reference), or NULL without an
 * exception if it has none. CPython only makes frame objects for the current frame
 * chain, so point the thread at ours for that moment; the allocation could start a
 * collection that runs arbitrary code with the thread state half-switched, so the
 * collector is off meanwhile. */
static inline PyObject *
pystate_frame_object(const PyStateSaved *s, PyThreadState *ts)
{
    if (s->top_frame == NULL)
        return NULL;
    _PyCFrame probe = {.use_tracing = 0, .current_frame = s->top_frame, .previous = NULL};
    _PyCFrame *saved = ts->cframe;
    int gc_was_enabled = PyGC_Disable();
    ts->cframe = &probe;
    PyFrameObject *frame = PyThreadState_GetFrame(ts);
    ts->cframe = saved;
    if (gc_was_enabled)
        PyGC_Enable();
    return (PyObject *)frame;
}
