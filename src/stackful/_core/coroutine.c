/* coroutine.c -- the Coroutine type: construction, its methods, the collector's view.
 *
 * Design principles:
 *  - Methods build everything they hand over (the value, the exception instance)
 *    first and leave checking and switching to context.c, which does both with no
 *    Python code in between.
 *  - A suspended coroutine that nobody references is closed by its finalizer, so its
 *    `finally` blocks run; one that cannot be closed is leaked with a warning, never
 *    freed under its frames.
 *  - Everything a coroutine references is visible to the cycle collector: its function,
 *    arguments and context, and while it is suspended the frames it waits in. */
#include "core.h"

#include <string.h>

/* Stack-top offsets (Photon): stacks are page-aligned, so without them the hot top
 * bytes of every coroutine's stack fall into the same L1 cache sets, and a dozen
 * coroutines taking turns evict each other. A thread's coroutines get up to 256
 * distinct 16-byte steps, spread over the 4 KiB that set indices repeat with: the n-th
 * coroutine gets step (n * TOP_OFFSET_STRIDE) % steps (a permutation: the stride is
 * prime), so consecutive ones are ~1.5 KiB apart, whichever stacks they are on. A
 * stack is never offset by more than 1/TOP_OFFSET_MAX_FRACTION of its size. */
#define TOP_OFFSET_STEP 16
#define TOP_OFFSET_STEPS 256
#define TOP_OFFSET_STRIDE 97u
#define TOP_OFFSET_MAX_FRACTION 16

PyObject *
stackful_too_many_args(const char *name, Py_ssize_t nargs, Py_ssize_t max)
{
    PyErr_Format(PyExc_TypeError, "%s() takes at most %zd argument%s (%zd given)", name,
                 max, max == 1 ? "" : "s", nargs);
    return NULL;
}

void
coroutine_mark_dead_unstarted(CoroutineObject *co)
{
    ctx_set_state(&co->ctx, STATE_DEAD);
    sharestack_unuse(co);
    Py_CLEAR(co->args);
    Py_CLEAR(co->kwnames);
    Py_CLEAR(co->context);
}

/* ------------------------------------------------------------------------------ */
/* Methods                                                                        */

PyObject *
coroutine_checked_exception(PyObject *cls, PyObject *made)
{
    if (made == NULL || PyExceptionInstance_Check(made))
        return made;
    PyErr_Format(PyExc_TypeError,
                 "calling %R should have returned an instance of BaseException, not %.200s",
                 cls, Py_TYPE(made)->tp_name);
    Py_DECREF(made);
    return NULL;
}

PyObject *
coroutine_make_exception(PyObject *exc)
{
    if (PyExceptionClass_Check(exc))
        return coroutine_checked_exception(exc, PyObject_CallNoArgs(exc));
    if (PyExceptionInstance_Check(exc))
        return Py_NewRef(exc);
    PyErr_Format(PyExc_TypeError,
                 "exceptions must be classes or instances deriving from BaseException, "
                 "not %.200s", Py_TYPE(exc)->tp_name);
    return NULL;
}

void
coroutine_set_thrown(PyObject *exc_instance)
{
    PyErr_SetObject((PyObject *)Py_TYPE(exc_instance), exc_instance);
    Py_DECREF(exc_instance);
}

PyObject *
coroutine_raise_unstarted(CoroutineObject *co, PyObject *exc_instance)
{
    coroutine_mark_dead_unstarted(co);
    coroutine_set_thrown(exc_instance);
    return NULL;
}

PyObject *
coroutine_throw_into(CoroutineObject *co, PyObject *exc_instance, const char *verb,
                     stackful_landing_fn landing, void *landing_arg)
{
    if (co->ctx.state == STATE_SUSPENDED && !co->started) {
        if (ctx_check_enterable(co, verb) == NULL) {
            Py_DECREF(exc_instance);
            return NULL;
        }
        return coroutine_raise_unstarted(co, exc_instance);
    }
    coroutine_set_thrown(exc_instance);
    return ctx_resume(co, NULL, verb, landing, landing_arg);
}

static PyObject *
Coroutine_throw(CoroutineObject *co, PyObject *exc)
{
    PyObject *instance = coroutine_make_exception(exc);
    if (instance == NULL)
        return NULL;
    return coroutine_throw_into(co, instance, "throw into", ctx_land_resumed, co->thread);
}

/* C code often swallows exceptions from the callbacks it calls (ctypes prints them and
 * carries on, sqlite3 turns them into OperationalError): a coroutine closed while it is
 * suspended inside such a callback gets the exit exception, which the C code eats, and
 * then suspends again in its next callback. Each of those suspensions raises the exit
 * exception again, without switching, so that such code still unwinds; after this
 * many, the coroutine is taken to refuse, and close() says so. */
#define CLOSE_REPEATS 1000

PyObject *
coroutine_close_again(CoroutineObject *co)
{
    if (--co->closing == 0)
        co->ctx.rare &= ~CTX_RARE_CLOSING;
    PyObject *exc = coroutine_make_exception(co->is_generator ? PyExc_GeneratorExit
                                                              : StackfulCoroutineExit);
    if (exc != NULL)
        coroutine_set_thrown(exc);
    return NULL;
}

PyObject *
coroutine_close(CoroutineObject *co)
{
    if (co->ctx.state == STATE_DEAD)
        Py_RETURN_NONE;
    if (co->ctx.state == STATE_SUSPENDED && !co->started) {
        coroutine_mark_dead_unstarted(co);
        Py_RETURN_NONE;
    }
    /* A stackful generator is closed like a Python generator, with GeneratorExit. */
    PyObject *exit_type = co->is_generator ? PyExc_GeneratorExit : StackfulCoroutineExit;
    PyObject *exc = coroutine_make_exception(exit_type);
    if (exc == NULL)
        return NULL;
    if (!co->is_generator) {
        /* A stackful generator is closed as Python closes a generator: one
         * GeneratorExit, and an emit() after it is the generator's error. */
        co->closing = CLOSE_REPEATS;
        co->ctx.rare |= CTX_RARE_CLOSING;
    }
    PyObject *result = coroutine_throw_into(co, exc, "close", ctx_land_resumed, co->thread);
    co->closing = 0;
    co->ctx.rare &= ~CTX_RARE_CLOSING;
    if (result != NULL) {
        Py_DECREF(result);
        if (co->ctx.state != STATE_DEAD) {
            PyErr_SetString(PyExc_RuntimeError,
                            co->is_generator
                            ? "generator ignored GeneratorExit (it emitted again instead "
                              "of finishing)"
                            : "coroutine ignored CoroutineExit (it suspended again "
                              "instead of finishing)");
            return NULL;
        }
        Py_RETURN_NONE;
    }
    if (PyErr_ExceptionMatches(exit_type)) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return NULL;
}

static PyObject *
Coroutine_close(CoroutineObject *co, PyObject *Py_UNUSED(ignored))
{
    return coroutine_close(co);
}

PyObject *
Coroutine_get_frame(CoroutineObject *co, void *Py_UNUSED(closure))
{
    if (co->ctx.state != STATE_SUSPENDED || !co->started)
        Py_RETURN_NONE;
    PyObject *frame = pystate_frame_object(&co->ctx.py, PyThreadState_Get());
    if (frame == NULL && !PyErr_Occurred())
        Py_RETURN_NONE;
    return frame;
}

static PyObject *
Coroutine_get_stats(CoroutineObject *co, void *Py_UNUSED(closure))
{
    PyObject *stats = PyStructSequence_New(&StackfulCoroutineStatsType);
    if (stats == NULL)
        return NULL;
    unsigned long long values[] = {
        co->stats.copies_out, co->stats.bytes_out, co->stats.copies_in,
        co->stats.bytes_in, co->stats.max_copy, co->save_cap, co->save_len,
    };
    for (Py_ssize_t i = 0; i < (Py_ssize_t)(sizeof values / sizeof values[0]); i++) {
        PyObject *v = PyLong_FromUnsignedLongLong(values[i]);
        if (v == NULL) {
            Py_DECREF(stats);
            return NULL;
        }
        PyStructSequence_SET_ITEM(stats, i, v);
    }
    return stats;
}

static PyObject *
Coroutine_get_function(CoroutineObject *co, void *Py_UNUSED(closure))
{
    return Py_NewRef(co->fn);
}

static PyObject *
Coroutine_get_stack(CoroutineObject *co, void *Py_UNUSED(closure))
{
    if (co->stack == NULL)
        Py_RETURN_NONE;
    return Py_NewRef((PyObject *)co->stack);
}

/* Where a coroutine's Context is kept while it is not running: before its start in
 * co->context, afterwards in its saved CPython state. NULL when it is running (the
 * thread state holds it) or dead (it has none). */
static PyObject **
saved_context_slot(CoroutineObject *co)
{
    if (co->ctx.state == STATE_DEAD || co->ctx.state == STATE_RUNNING)
        return NULL;
    return co->started ? &co->ctx.py.context : &co->context;
}

static int
check_context_access(CoroutineObject *co, const char *verb)
{
    if (co->ctx.state == STATE_RUNNING && co->thread != stackful_tls_thread) {
        PyErr_Format(StackfulCoroutineError,
                     "cannot %s the context of a coroutine running in another thread", verb);
        return -1;
    }
    return 0;
}

static PyObject *
Coroutine_get_context(CoroutineObject *co, void *Py_UNUSED(closure))
{
    if (check_context_access(co, "read") < 0)
        return NULL;
    PyObject *context;
    if (co->ctx.state == STATE_RUNNING)
        context = PyThreadState_Get()->context;
    else {
        PyObject **slot = saved_context_slot(co);
        context = slot ? *slot : NULL;
    }
    return Py_NewRef(context ? context : Py_None);
}

static int
Coroutine_set_context(CoroutineObject *co, PyObject *value, void *Py_UNUSED(closure))
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError,
                        "cannot delete a coroutine's context (set it to None instead)");
        return -1;
    }
    if (value != Py_None && !PyContext_CheckExact(value)) {
        PyErr_Format(PyExc_TypeError,
                     "a coroutine's context must be a contextvars.Context or None, not %.200s",
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    if (check_context_access(co, "set") < 0)
        return -1;
    if (co->ctx.state == STATE_DEAD) {
        PyErr_SetString(StackfulCoroutineError, "cannot set the context of dead coroutine");
        return -1;
    }
    PyObject *context = value == Py_None ? NULL : value;
    if (co->ctx.state == STATE_RUNNING) {
        pystate_set_current_context(PyThreadState_Get(), context);
        return 0;
    }
    PyObject **slot = saved_context_slot(co);
    Py_XSETREF(*slot, Py_XNewRef(context));
    return 0;
}

static PyObject *
Coroutine_repr(CoroutineObject *co)
{
    PyObject *name = PyObject_GetAttrString(co->fn, "__qualname__");
    if (name == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_AttributeError))
            return NULL;
        PyErr_Clear();
        name = PyObject_Repr(co->fn);
        if (name == NULL)
            return NULL;
    }
    PyObject *r = PyUnicode_FromFormat("<%s %S %s at %p>", Py_TYPE(co)->tp_name, name,
                                       stackful_state_names[co->ctx.state], co);
    Py_DECREF(name);
    return r;
}

size_t
coroutine_describe(void *owner, char *buf, size_t size)
{
    CoroutineObject *co = owner;
    const char *name = "<callable>";
    size_t len = strlen(name);
    if (co->fn != NULL && PyFunction_Check(co->fn)) {
        PyObject *qualname = ((PyFunctionObject *)co->fn)->func_qualname;
        if (qualname != NULL && PyUnicode_Check(qualname) &&
            PyUnicode_IS_COMPACT_ASCII(qualname)) {
            name = (const char *)PyUnicode_DATA(qualname);
            len = (size_t)PyUnicode_GET_LENGTH(qualname);
        }
    }
    if (len > size)
        len = size;
    memcpy(buf, name, len);
    return len;
}

/* ------------------------------------------------------------------------------ */
/* Construction                                                                   */

/* Takes ownership of values (a tuple: the positional values, then the keyword ones),
 * kwnames (a tuple of the keywords' names, or NULL), stack and context (NULL or None:
 * the defaults). */
static PyObject *
coroutine_create(PyTypeObject *type, PyObject *fn, PyObject *values, PyObject *kwnames,
                 PyObject *stack, PyObject *context)
{
#define TYPE_NAME (type == &StackfulGeneratorType ? "Generator" : "Coroutine")
    if (!PyCallable_Check(fn)) {
        PyErr_Format(PyExc_TypeError, "%s() argument 'fn' must be callable, not %.200s",
                     TYPE_NAME, Py_TYPE(fn)->tp_name);
        goto error;
    }
    if (stack == Py_None)
        Py_CLEAR(stack);
    if (context == Py_None)
        Py_CLEAR(context);
    if (stack != NULL && !PyObject_TypeCheck(stack, &StackfulShareStackType)) {
        PyErr_Format(PyExc_TypeError,
                     "%s() argument 'stack' must be a ShareStack or None, not %.200s",
                     TYPE_NAME, Py_TYPE(stack)->tp_name);
        goto error;
    }
    if (context != NULL && !PyContext_CheckExact(context)) {
        PyErr_Format(PyExc_TypeError,
                     "%s() argument 'context' must be a contextvars.Context or None, "
                     "not %.200s", TYPE_NAME, Py_TYPE(context)->tp_name);
        goto error;
    }
#undef TYPE_NAME
    ThreadObject *t = thread_get();
    if (t == NULL)
        goto error;
    if (stack == NULL) {
        ShareStackObject *dflt = thread_default_stack(t);
        if (dflt == NULL)
            goto error;
        stack = Py_NewRef((PyObject *)dflt);
    }
    if (context == NULL) {
        context = PyContext_CopyCurrent();
        if (context == NULL)
            goto error;
    }
    CoroutineObject *co = (CoroutineObject *)type->tp_alloc(type, 0);
    if (co == NULL)
        goto error;
    co->ctx.co = co;
    if (!((ShareStackObject *)stack)->mem->guard)
        co->ctx.rare |= CTX_RARE_UNGUARDED;
    ctx_set_state(&co->ctx, STATE_SUSPENDED);
    co->is_generator = type == &StackfulGeneratorType;     /* a final type */
    co->fn = Py_NewRef(fn);
    co->args = values;
    co->kwnames = kwnames;
    co->context = context;
    co->stack = (ShareStackObject *)stack;
    co->thread = (ThreadObject *)Py_NewRef(t);
    StackMem *mem = co->stack->mem;
    size_t size = (size_t)(mem->hi - mem->lo);
    size_t steps = size / TOP_OFFSET_MAX_FRACTION / TOP_OFFSET_STEP;
    if (steps > TOP_OFFSET_STEPS)
        steps = TOP_OFFSET_STEPS;
    size_t offset = steps ? (t->top_counter++ * TOP_OFFSET_STRIDE) % steps * TOP_OFFSET_STEP
                          : 0;
    co->stack_top = mem->hi - offset;
    if (sharestack_use(co->stack, co, t) < 0) {
        Py_DECREF(co);
        return NULL;
    }
    return (PyObject *)co;

error:
    Py_XDECREF(values);
    Py_XDECREF(kwnames);
    Py_XDECREF(stack);
    Py_XDECREF(context);
    return NULL;
}

static int
missing_fn(PyTypeObject *type)
{
    PyErr_Format(PyExc_TypeError, "%s() missing required argument 'fn' (pos 1)",
                 type == &StackfulGeneratorType ? "Generator" : "Coroutine");
    return -1;
}

/* Which keyword is the constructor's own: 1 stack, 2 context, 0 fn's. */
static int
own_keyword(PyObject *name)
{
    if (PyUnicode_CompareWithASCIIString(name, "stack") == 0)
        return 1;
    if (PyUnicode_CompareWithASCIIString(name, "context") == 0)
        return 2;
    return 0;
}

/* Coroutine(fn, ...) without building an argument dict: creating a coroutine is on the
 * lifecycle's critical path, and the call's keyword names are reused as they are. */
PyObject *
coroutine_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                     PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 1) {
        missing_fn((PyTypeObject *)type);
        return NULL;
    }
    PyObject *stack = NULL, *context = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0, own = 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        int which = own_keyword(PyTuple_GET_ITEM(kwnames, i));
        if (which == 1)
            stack = args[nargs + i];
        else if (which == 2)
            context = args[nargs + i];
        own += which != 0;
    }
    PyObject *values = PyTuple_New(nargs - 1 + nkw - own);
    PyObject *fn_kwnames = NULL;
    if (values == NULL)
        return NULL;
    for (Py_ssize_t i = 1; i < nargs; i++)
        PyTuple_SET_ITEM(values, i - 1, Py_NewRef(args[i]));
    if (nkw - own > 0) {
        if (own == 0) {
            fn_kwnames = Py_NewRef(kwnames);
        }
        else if ((fn_kwnames = PyTuple_New(nkw - own)) == NULL) {
            Py_DECREF(values);
            return NULL;
        }
        for (Py_ssize_t i = 0, k = 0; i < nkw; i++) {
            PyObject *name = PyTuple_GET_ITEM(kwnames, i);
            if (own != 0 && own_keyword(name))
                continue;
            PyTuple_SET_ITEM(values, nargs - 1 + k, Py_NewRef(args[nargs + i]));
            if (own != 0)
                PyTuple_SET_ITEM(fn_kwnames, k, Py_NewRef(name));
            k++;
        }
    }
    return coroutine_create((PyTypeObject *)type, args[0], values, fn_kwnames,
                            Py_XNewRef(stack), Py_XNewRef(context));
}

/* For subclasses and calls through the tuple-and-dict protocol (Coroutine(*a, **kw)
 * reaches vectorcall too; this is what type.__call__ of a subclass uses). */
PyObject *
coroutine_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    Py_ssize_t nkw = kwds ? PyDict_GET_SIZE(kwds) : 0;
    PyObject *argv_buf[8] = {NULL}, **argv = argv_buf;
    if (nargs + nkw > (Py_ssize_t)(sizeof argv_buf / sizeof argv_buf[0])) {
        argv = PyMem_Malloc((size_t)(nargs + nkw) * sizeof(PyObject *));
        if (argv == NULL) {
            PyErr_NoMemory();
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < nargs; i++)
        argv[i] = PyTuple_GET_ITEM(args, i);
    PyObject *kwnames = nkw ? PyTuple_New(nkw) : NULL;
    PyObject *result = NULL;
    if (nkw == 0 || kwnames != NULL) {
        Py_ssize_t pos = 0, i = 0;
        PyObject *key, *value;
        while (nkw && PyDict_Next(kwds, &pos, &key, &value)) {
            PyTuple_SET_ITEM(kwnames, i, Py_NewRef(key));
            argv[nargs + i++] = value;
        }
        result = coroutine_vectorcall((PyObject *)type, argv, (size_t)nargs, kwnames);
    }
    Py_XDECREF(kwnames);
    if (argv != argv_buf)
        PyMem_Free(argv);
    return result;
}

/* ------------------------------------------------------------------------------ */
/* The collector and the end of life                                              */

int
Coroutine_traverse(CoroutineObject *co, visitproc visit, void *arg)
{
    Py_VISIT(co->fn);
    Py_VISIT(co->args);
    Py_VISIT(co->kwnames);
    Py_VISIT(co->context);
    Py_VISIT(co->ctx.repr_saved);
    Py_VISIT(co->finish_to);
    /* Only a suspended coroutine's frames are frozen; a running or normal one is on
     * its thread's chain, which holds it. */
    if (co->ctx.state == STATE_SUSPENDED && co->started)
        return pystate_traverse(&co->ctx.py, &co->own, visit, arg);
    return 0;
}

int
Coroutine_clear(CoroutineObject *co)
{
    /* A started coroutine that is not dead is running fn, which borrows its arguments,
     * and its other references are in its frames and C stack: only closing it (the
     * finalizer) can release them. An unstarted one is dead once its call is gone. */
    if (co->started && co->ctx.state != STATE_DEAD)
        return 0;
    if (!co->started && co->ctx.state == STATE_SUSPENDED)
        coroutine_mark_dead_unstarted(co);
    Py_CLEAR(co->finish_to);
    Py_CLEAR(co->args);
    Py_CLEAR(co->kwnames);
    Py_CLEAR(co->context);
    return 0;
}

static int
can_run_here(CoroutineObject *co)
{
    return co->thread == stackful_tls_thread && co->thread->alive &&
           !pystate_is_finalizing();
}

static void
close_unraisably(CoroutineObject *co)
{
    PyObject *res = coroutine_close(co);
    if (res == NULL)
        PyErr_WriteUnraisable((PyObject *)co);
    else
        Py_DECREF(res);
}

/* A coroutine collected while a collection runs is not closed there: closing it could
 * copy the collector's own frames off their share stack (gcphase.c). It is kept (which
 * resurrects it, for this collection) and closed when the collection ends. */
static int
defer_close(ThreadObject *t, CoroutineObject *co)
{
    if (t->deferred_closes == NULL && (t->deferred_closes = PyList_New(0)) == NULL)
        return -1;
    return PyList_Append(t->deferred_closes, (PyObject *)co);
}

void
coroutine_close_deferred(ThreadObject *t)
{
    while (t->deferred_closes != NULL) {
        PyObject *list = t->deferred_closes;
        t->deferred_closes = NULL;
        PyObject *exc_type, *exc_value, *exc_tb;
        PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
            CoroutineObject *co = (CoroutineObject *)PyList_GET_ITEM(list, i);
            if (co->ctx.state == STATE_SUSPENDED && co->started && can_run_here(co))
                close_unraisably(co);
        }
        PyErr_Restore(exc_type, exc_value, exc_tb);
        Py_DECREF(list);
    }
}

static void
Coroutine_finalize(CoroutineObject *co)
{
    if (co->ctx.state != STATE_SUSPENDED || !co->started || !can_run_here(co))
        return;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (co->thread->rare & THREAD_RARE_GC) {
        if (defer_close(co->thread, co) < 0)
            PyErr_WriteUnraisable((PyObject *)co);
    }
    else {
        close_unraisably(co);
    }
    PyErr_Restore(type, value, tb);
}

/* Its finally blocks did not run: say so, and whether its frames are freed or leaked. */
COLD void
warn_not_closed(CoroutineObject *co, int freed)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (PyErr_WarnFormat(PyExc_ResourceWarning, 1,
                         "stackful: a suspended coroutine of %s was freed without being "
                         "closed: %s", co->thread == stackful_tls_thread ? "this thread"
                                                                         : "another thread",
                         freed ? "its frames were freed without running their finally "
                                 "blocks"
                               : "its frames could not be freed (it is suspended inside "
                                 "a generator's frame, or memory is short), so they are "
                                 "leaked") < 0)
        PyErr_WriteUnraisable((PyObject *)co);
    PyErr_Restore(type, value, tb);
}

static void
Coroutine_dealloc(CoroutineObject *co)
{
    /* Only a started, suspended coroutine has anything to finalize (close). */
    if (co->ctx.state == STATE_SUSPENDED && co->started &&
        PyObject_CallFinalizerFromDealloc((PyObject *)co) < 0)
        return;   /* resurrected */
    PyObject_GC_UnTrack(co);
    if (co->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)co);
    PyStateReclaimed reclaimed = {0};
    if (co->ctx.state == STATE_SUSPENDED && co->started) {
        /* It could not be closed (another thread's, its thread is gone, it refused to
         * finish, or the interpreter is shutting down). Its frames are freed without
         * running them, as CPython frees a frame (pystate_reclaim.h); what only its C
         * stack references is leaked. At shutdown, or where its frames cannot be freed
         * that way, they are leaked too, never freed under a frame object that may
         * still point into them. */
        int finalizing = pystate_is_finalizing();
        int freed = !finalizing && pystate_reclaim(&co->ctx.py, &co->own,
                                                   co->suspended_args_end, &reclaimed) == 0;
        if (!freed)
            pystate_abandon(&co->ctx.py);
        if (!finalizing)
            warn_not_closed(co, freed);
        ctx_release_stack(co);
    }
    else if (co->started && co->ctx.state != STATE_DEAD) {
        Py_FatalError("stackful: a running coroutine was freed");
    }
    else {
        ctx_release_stack(co);
    }
    sharestack_unuse(co);
    Py_CLEAR(co->ctx.repr_saved);
    Py_CLEAR(co->finish_to);
    Py_CLEAR(co->fn);
    Py_CLEAR(co->args);
    Py_CLEAR(co->kwnames);
    Py_CLEAR(co->context);
    Py_CLEAR(co->stack);
    Py_CLEAR(co->thread);
    Py_TYPE(co)->tp_free((PyObject *)co);
    /* Last: releasing its frames' references runs code, which must find it gone. */
    pystate_reclaimed_release(&reclaimed);
}

/* ------------------------------------------------------------------------------ */
/* The type                                                                       */

static PyMethodDef Coroutine_methods[] = {
    {"resume", (PyCFunction)(void (*)(void))ctx_resume_method, METH_FASTCALL,
     "resume($self, value=None, /)\n--\n\n"
     "Run the coroutine until it suspends or finishes. Returns the value passed to\n"
     "suspend(), or the function's return value. An exception escaping the function\n"
     "propagates from here and the coroutine is dead. The first resume must pass None."},
    {"throw", (PyCFunction)Coroutine_throw, METH_O,
     "throw($self, exc, /)\n--\n\n"
     "Raise exc (a class or an instance) at the suspension point and run until the\n"
     "next suspend or the end; returns like resume()."},
    {"close", (PyCFunction)Coroutine_close, METH_NOARGS,
     "close($self, /)\n--\n\n"
     "Raise CoroutineExit at the suspension point so that finally blocks run. Raises\n"
     "RuntimeError if the coroutine suspends again instead of finishing. Closing an\n"
     "unstarted or dead coroutine just marks it dead."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Coroutine_members[] = {
    {"status", STACKFUL_T_OBJECT_EX, offsetof(CoroutineObject, ctx.status),
     STACKFUL_READONLY,
     "'suspended' (not started, or suspended), 'running', 'normal' (it resumed a\n"
     "coroutine that is running) or 'dead'."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Coroutine_getset[] = {
    {"frame", (getter)Coroutine_get_frame, NULL,
     "The top Python frame of a suspended coroutine; None if it is unstarted,\n"
     "running, normal or dead.", NULL},
    {"stats", (getter)Coroutine_get_stats, NULL,
     "Share-stack copy statistics (CoroutineStats).", NULL},
    {"function", (getter)Coroutine_get_function, NULL,
     "The function the coroutine runs.", NULL},
    {"stack", (getter)Coroutine_get_stack, NULL,
     "The ShareStack the coroutine executes on.", NULL},
    {"context", (getter)Coroutine_get_context, (setter)Coroutine_set_context,
     "The contextvars.Context the coroutine runs in (None: none yet, an empty one\n"
     "is made on first use). Settable unless it is dead or runs in another thread;\n"
     "while it runs, setting it replaces the running code's context.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject StackfulCoroutineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful.Coroutine",
    .tp_basicsize = sizeof(CoroutineObject),
    .tp_dealloc = (destructor)Coroutine_dealloc,
    .tp_repr = (reprfunc)Coroutine_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Coroutine(fn, /, *args, stack=None, context=None, **kwargs)\n--\n\n"
              "A stackful coroutine that will run fn(*args, **kwargs) when first resumed.\n"
              "stack: the ShareStack to execute on (None: one of this thread's 16 default\n"
              "share stacks, dealt round-robin). context: the contextvars.Context to run\n"
              "in (None: a copy of the creator's current context).",
    .tp_traverse = (traverseproc)Coroutine_traverse,
    .tp_clear = (inquiry)Coroutine_clear,
    .tp_weaklistoffset = offsetof(CoroutineObject, weakreflist),
    .tp_methods = Coroutine_methods,
    .tp_members = Coroutine_members,
    .tp_getset = Coroutine_getset,
    .tp_new = coroutine_new,
    .tp_finalize = (destructor)Coroutine_finalize,
    .tp_vectorcall = coroutine_vectorcall,
};

static PyStructSequence_Field CoroutineStats_fields[] = {
    {"copies_out", "times its used stack was copied out to its save buffer"},
    {"bytes_out", "bytes copied out in all"},
    {"copies_in", "times its saved bytes were copied back onto the share stack"},
    {"bytes_in", "bytes copied back in all"},
    {"max_copy", "the largest single copy, in bytes"},
    {"save_buffer_size", "bytes allocated for its save buffer"},
    {"saved_bytes", "bytes held in its save buffer now"},
    {NULL, NULL},
};

PyTypeObject StackfulCoroutineStatsType;

PyStructSequence_Desc stackful_coroutine_stats_desc = {
    "stackful.CoroutineStats",
    "Share-stack statistics of one coroutine (libaco's save-stack statistics).",
    CoroutineStats_fields,
    7,
};
