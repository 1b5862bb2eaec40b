/* pystate_reclaim.h -- freeing the Python frames of a suspended coroutine that will
 * never run again, without running them. Included only by pystate_common.h, after the
 * version macros; the per-version facts it needs are the STACKFUL_SLOT_* and
 * STACKFUL_FRAME_STACK_* macros (defaults below: 3.11-3.13; 3.14+ in pystate_314plus.h).
 *
 * A coroutine freed while suspended that could not be closed (its thread has exited,
 * it belongs to another thread, or it refused to finish) still holds Python frames: the
 * references in their locals and evaluation stacks, and the data-stack chunks they live
 * in. The eval loop frees a frame in one way (_PyFrame_Clear, not exported): it releases
 * the frame's references, and a frame object that outlives the frame first takes a copy
 * of it ("takes ownership"), so that nothing points into the chunk afterwards. This does
 * the same for every frame of the coroutine, then frees its chunks.
 *
 * Principles:
 *  - All or nothing. A first pass only reads: if one frame cannot be freed this way,
 *    nothing is touched and the caller leaks them all, as before. Such a frame is a
 *    generator's on the chain (the coroutine suspended inside the generator's next():
 *    the generator still counts as running it, and its frame points into the chain), an
 *    incomplete frame, or one whose recorded stack depth is out of its code's range.
 *  - No Python code runs while anything points into the coroutine's memory: the
 *    references are moved into a PyStateReclaimed, the chunks freed, and only when the
 *    caller releases it (after the coroutine's C stack is gone too) can finalizers and
 *    weakref callbacks run.
 *  - An evaluation stack is released only as deep as it is known to be. CPython records
 *    a frame's depth when it calls a Python function in the same activation of the eval
 *    loop, and from 3.14 before every call that can run other code. 3.11 to 3.13 do not
 *    record it when a frame calls into C: for the coroutine's top frame that call is the
 *    suspending one (suspend(), emit(), transfer()), which the eval loop passes an array
 *    on that very stack, ending at its top; its end is recorded at the suspension
 *    (`args_end`) and used when it lies in the frame's stack. A frame deeper in the chain
 *    that called into C, which called Python again, gets its locals released and the
 *    references on its stack leaked. */
#ifndef STACKFUL_PYSTATE_RECLAIM_H
#define STACKFUL_PYSTATE_RECLAIM_H

/* A frame's local and stack slots. Until 3.13 they are object pointers. */
#ifndef STACKFUL_SLOT
#  define STACKFUL_SLOT PyObject *
#  define STACKFUL_SLOT_OF(x) ((PyObject *)(x))         /* a frame member as a slot */
#  define STACKFUL_SLOT_OBJECT(slot) (slot)             /* borrowed object, or NULL */
#  define STACKFUL_SLOT_CLOSE(slot) Py_XDECREF(slot)
#  define STACKFUL_SLOT_HEAP_SAFE(slot) (slot)          /* every slot owns its reference */
#  define STACKFUL_FRAME_STACK_END(f) ((f)->localsplus + (f)->stacktop)
#  define STACKFUL_FRAME_SET_STACK_END(f, end) ((f)->stacktop = (int)((end) - (f)->localsplus))
#  define STACKFUL_STACK_DEPTH_ALWAYS_KEPT 0
#endif
/* Whether frame f's activation of the eval loop was entered from C (3.11 marks it on
 * the frame; 3.12+ link an entry frame below it instead, STACKFUL_FRAME_ON_CSTACK). */
#ifndef STACKFUL_ENTERED_FROM_C
#  define STACKFUL_ENTERED_FROM_C(f) 0
#endif
#if !STACKFUL_CSTACK_FRAMES
#  undef STACKFUL_FRAME_ON_CSTACK
#  define STACKFUL_FRAME_ON_CSTACK(f) 0
#endif

typedef struct {
    STACKFUL_SLOT *slots;       /* references to release: fast locals, stacks, code, function */
    Py_ssize_t nslots;
    PyObject **objects;         /* and these (may be NULL): frame objects, locals dicts,
                                 * the Context, the exception being handled */
    Py_ssize_t nobjects;
} PyStateReclaimed;

/* The end of what frame f's evaluation stack holds, or NULL if that is not in its code's
 * range. `called_c`: f's callee is C code (its depth is not recorded until 3.14);
 * `args_end`: for the top frame, where the suspending call's arguments end. */
static inline STACKFUL_SLOT *
reclaim_stack_end(_PyInterpreterFrame *f, const PyCodeObject *code, int called_c,
                  PyObject *const *args_end)
{
    STACKFUL_SLOT *lo = f->localsplus + code->co_nlocalsplus;
    STACKFUL_SLOT *hi = lo + code->co_stacksize;
    STACKFUL_SLOT *end = STACKFUL_FRAME_STACK_END(f);
    if (called_c && !STACKFUL_STACK_DEPTH_ALWAYS_KEPT) {
        uintptr_t a = (uintptr_t)args_end;
        end = (a >= (uintptr_t)lo && a <= (uintptr_t)hi && (a - (uintptr_t)lo) % sizeof *lo == 0)
              ? lo + (a - (uintptr_t)lo) / sizeof *lo : lo;
    }
    return (end >= lo && end <= hi) ? end : NULL;
}

/* The code object of a thread-owned frame, or NULL if it has none (then the frame is
 * not freed: nothing is). */
static inline PyCodeObject *
reclaim_code(_PyInterpreterFrame *f)
{
    PyObject *code = STACKFUL_SLOT_OBJECT(STACKFUL_SLOT_OF(f->STACKFUL_FRAME_CODE));
    return (code != NULL && PyCode_Check(code)) ? (PyCodeObject *)code : NULL;
}

/* Frame object `fo` takes over frame f's contents up to `end`, and its f_back becomes
 * `back` (the frame object of the frame below, or NULL): CPython's take_ownership. */
static inline void
reclaim_into_frame_object(PyFrameObject *fo, _PyInterpreterFrame *f, STACKFUL_SLOT *end,
                          PyFrameObject *back)
{
    _PyInterpreterFrame *copy = (_PyInterpreterFrame *)fo->_f_frame_data;
    f->frame_obj = NULL;        /* the copy's frame_obj is NULL, as CPython leaves it */
    memcpy(copy, f, (size_t)((char *)end - (char *)f));
    STACKFUL_SLOT *copy_end = copy->localsplus + (end - f->localsplus);
    STACKFUL_FRAME_SET_STACK_END(copy, copy_end);
    for (STACKFUL_SLOT *p = copy->localsplus; p < copy_end; p++)
        *p = STACKFUL_SLOT_HEAP_SAFE(*p);
    copy->STACKFUL_FRAME_CODE = STACKFUL_SLOT_HEAP_SAFE(copy->STACKFUL_FRAME_CODE);
    copy->STACKFUL_FRAME_FUNC = STACKFUL_SLOT_HEAP_SAFE(copy->STACKFUL_FRAME_FUNC);
    copy->previous = NULL;
    copy->owner = FRAME_OWNED_BY_FRAME_OBJECT;
    fo->f_frame = copy;
    fo->f_back = (PyFrameObject *)Py_XNewRef(back);
    if (!PyObject_GC_IsTracked((PyObject *)fo))
        PyObject_GC_Track((PyObject *)fo);      /* it now holds references */
}

/* The frame object of the first thread-owned frame from f down (NULL if none, or if it
 * has none: reclaim_give_frame_objects made them for every frame below one that has). */
static inline PyFrameObject *
reclaim_next_frame_object(_PyInterpreterFrame *f)
{
    while (f != NULL && STACKFUL_FRAME_ON_CSTACK(f))
        f = f->previous;
    return f != NULL ? f->frame_obj : NULL;
}

/* A frame object that outlives the coroutine keeps its f_back chain, as a traceback
 * needs: every frame below the first one that has a frame object gets one, before
 * anything is moved (making one allocates: no pointer into the chain is held across
 * it, and the collector is off meanwhile). Returns -1 on MemoryError (cleared): the
 * frames that got one stay as they are. */
static inline int
reclaim_give_frame_objects(PyStateSaved *s)
{
    _PyInterpreterFrame *f = s->top_frame;
    while (f != NULL && (STACKFUL_FRAME_ON_CSTACK(f) || f->frame_obj == NULL))
        f = f->previous;
    for (; f != NULL; f = f->previous) {
        if (STACKFUL_FRAME_ON_CSTACK(f) || f->frame_obj != NULL)
            continue;
        PyObject *fo = frame_object_of_chain(f, PyThreadState_Get());
        if (fo == NULL) {
            PyErr_Clear();
            return -1;
        }
        Py_DECREF(fo);      /* the frame keeps its own reference */
        if (f->frame_obj == NULL)
            return -1;
    }
    return 0;
}

/* One pass over the chain: with out == NULL it only checks and counts (into *nslots,
 * *nobjects), else it moves every reference into `out`. Returns -1 if a frame cannot
 * be freed (only ever in the checking pass: the moving pass sees the same frames). */
static inline int
reclaim_walk(PyStateSaved *s, PyObject *const *args_end, PyStateReclaimed *out,
             Py_ssize_t *nslots, Py_ssize_t *nobjects)
{
    int is_top = 1, callee_from_c = 0;
    for (_PyInterpreterFrame *f = s->top_frame, *below; f != NULL; f = below) {
        below = f->previous;
        if (STACKFUL_FRAME_ON_CSTACK(f)) {
            callee_from_c = 1;
            continue;
        }
        PyCodeObject *code;
        STACKFUL_SLOT *end;
        if (f->owner != FRAME_OWNED_BY_THREAD || (code = reclaim_code(f)) == NULL ||
            _PyFrame_IsIncomplete(f) ||
            (end = reclaim_stack_end(f, code, is_top || callee_from_c,
                                     is_top ? args_end : NULL)) == NULL)
            return -1;
        /* A frame object is made for its frame's code, with room for all its slots. */
        PyFrameObject *fo = f->frame_obj;
        if (out == NULL) {
            *nobjects += 1;
            if (fo == NULL)
                *nslots += (end - f->localsplus) + 2;
        }
        else if (fo != NULL) {
            reclaim_into_frame_object(fo, f, end, reclaim_next_frame_object(below));
            out->objects[out->nobjects++] = (PyObject *)fo;
        }
        else {
            for (STACKFUL_SLOT *p = f->localsplus; p < end; p++)
                out->slots[out->nslots++] = *p;
            out->slots[out->nslots++] = STACKFUL_SLOT_OF(f->STACKFUL_FRAME_CODE);
            out->slots[out->nslots++] = STACKFUL_SLOT_OF(f->STACKFUL_FRAME_FUNC);
            out->objects[out->nobjects++] = f->f_locals;
        }
        callee_from_c = STACKFUL_ENTERED_FROM_C(f);
        is_top = 0;
    }
    return 0;
}

/* Frees the data-stack chunks of a context whose frames are gone: the root chunk is
 * pooled, the chunks CPython added are given back to the arena allocator it took them
 * from (as _PyThreadState_PopFrame does). */
static inline void
reclaim_chunks(PyStateSaved *s)
{
    PyObjectArenaAllocator arena;
    PyObject_GetArenaAllocator(&arena);
    for (_PyStackChunk *chunk = s->datastack_chunk, *prev; chunk != NULL; chunk = prev) {
        prev = chunk->previous;
        if (prev == NULL)
            stackful_root_chunk_give(chunk);
        else
            arena.free(arena.ctx, chunk, chunk->size);
    }
    s->datastack_chunk = NULL;
    s->datastack_top = s->datastack_limit = NULL;
}

/* Takes every reference a suspended context's frames, Context and handled exception
 * hold into `out` and frees its chunks. Returns 0, or -1 (nothing done, no exception
 * set) if a frame cannot be freed or memory is short: its frames are then leaked and
 * pystate_abandon applies. Call while its frame chain is readable (before its C stack
 * or save buffer is released); runs no Python code (making frame objects may allocate,
 * with the collector off). */
static inline int
pystate_reclaim(PyStateSaved *s, PyStateOwn *own, PyObject *const *args_end,
                PyStateReclaimed *out)
{
    /* Frame objects first (the walk then counts what it will move): one made for a
     * chain that turns out not to be freeable points into leaked frames, which is safe. */
    Py_ssize_t nslots = 0, nobjects = 2;
    if (reclaim_give_frame_objects(s) < 0 ||
        reclaim_walk(s, args_end, NULL, &nslots, &nobjects) < 0)
        return -1;
    /* The raw allocator: it never starts a collection (which would run Python code). */
    out->slots = PyMem_RawMalloc(((size_t)nslots + 1) * sizeof *out->slots);
    out->objects = PyMem_RawMalloc((size_t)nobjects * sizeof *out->objects);
    if (out->slots == NULL || out->objects == NULL) {
        PyMem_RawFree(out->slots);
        PyMem_RawFree(out->objects);
        return -1;
    }
    out->nslots = out->nobjects = 0;
    (void)reclaim_walk(s, args_end, out, NULL, NULL);
    out->objects[out->nobjects++] = s->context;
    out->objects[out->nobjects++] = own->exc_state.exc_value;
    s->context = NULL;
    own->exc_state.exc_value = NULL;
    s->top_frame = NULL;
    reclaim_chunks(s);
    return 0;
}

/* Releases what pystate_reclaim took (this runs Python code: finalizers, callbacks). */
static inline void
pystate_reclaimed_release(PyStateReclaimed *r)
{
    for (Py_ssize_t i = 0; i < r->nslots; i++)
        STACKFUL_SLOT_CLOSE(r->slots[i]);
    for (Py_ssize_t i = 0; i < r->nobjects; i++)
        Py_XDECREF(r->objects[i]);
    PyMem_RawFree(r->slots);
    PyMem_RawFree(r->objects);
    r->slots = NULL;
    r->objects = NULL;
    r->nslots = r->nobjects = 0;
}

#endif
