/* generator.c -- the Generator type: a Coroutine that speaks the generator protocol.
 *
 * Design principles:
 *  - One object: a Generator is a Coroutine whose items come from emit(), so its
 *    finalizer closes it (with GeneratorExit, as a Python generator is closed).
 *  - The protocol's answer (an item, StopIteration with the return value, PEP 479's
 *    RuntimeError) is made by the consumer's landing on arrival, so that next() ends in
 *    the switch and an item costs about what a Python generator's does.
 *  - Python generators are the specification: iter/next, send, throw (the legacy
 *    three-argument form too), close, gi_running, gi_frame, `yield from`. */
#include "core.h"

/* A Coroutine whose items come from emit() and that speaks the iterator and
 * generator protocols: next/send/throw/close, StopIteration(value) on return, PEP 479.
 * One object, so that its finalizer closes it with GeneratorExit. */

/* The generator protocol's answer when a resume did not return an item: `result` is
 * the function's return value (dead), or NULL with an exception. */
COLD PyObject *
generator_finish(CoroutineObject *co, PyObject *result, int iternext)
{
    if (result == NULL) {
        if (co->ctx.state == STATE_DEAD && PyErr_ExceptionMatches(PyExc_StopIteration)) {
            /* PEP 479: a StopIteration escaping the body is a bug, not the end. */
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb != NULL)
                PyException_SetTraceback(value, tb);
            PyErr_SetString(PyExc_RuntimeError, "generator raised StopIteration");
            PyObject *t2, *v2, *tb2;
            PyErr_Fetch(&t2, &v2, &tb2);
            PyErr_NormalizeException(&t2, &v2, &tb2);
            PyException_SetCause(v2, Py_NewRef(value));
            PyException_SetContext(v2, value);
            PyErr_Restore(t2, v2, tb2);
            Py_DECREF(type);
            Py_XDECREF(tb);
        }
        return NULL;
    }
    /* Returned: StopIteration, carrying the return value unless it is None (then no
     * exception for next(), as the iterator protocol ends, and a bare StopIteration for
     * send() and throw(), as Python generators raise). */
    if (result == Py_None) {
        Py_DECREF(result);
        if (!iternext)
            PyErr_SetNone(PyExc_StopIteration);
        return NULL;
    }
    PyObject *stop = PyObject_CallOneArg(PyExc_StopIteration, result);
    Py_DECREF(result);
    if (stop != NULL) {
        PyErr_SetObject(PyExc_StopIteration, stop);
        Py_DECREF(stop);
    }
    return NULL;
}

/* Turn what a resume returned into the generator protocol's answer: `result` is the
 * emitted value (the generator is still suspended), or see generator_finish. */
INLINE PyObject *
generator_outcome(CoroutineObject *co, PyObject *result, int iternext)
{
    if (LIKELY(result != NULL && co->ctx.state != STATE_DEAD))
        return result;
    return generator_finish(co, result, iternext);
}

/* Landings of a consumer suspended in next() / send(): the generator protocol's answer
 * is made on arrival, so that the switch is the last thing next() does. */
void *
generator_land_next(void *value, void *co)
{
    CoroutineObject *gen = co;
    return generator_outcome(gen, ctx_after_switch(gen->thread, value), 1);
}

static void *
land_send(void *value, void *co)
{
    CoroutineObject *gen = co;
    return generator_outcome(gen, ctx_after_switch(gen->thread, value), 0);
}

static int
generator_check_runnable(CoroutineObject *co)
{
    if (co->ctx.state == STATE_RUNNING || co->ctx.state == STATE_NORMAL) {
        PyErr_SetString(PyExc_ValueError, "generator already executing");
        return -1;
    }
    return 0;
}

static PyObject *
Generator_send(CoroutineObject *co, PyObject *value)
{
    if (generator_check_runnable(co) < 0)
        return NULL;
    if (co->ctx.state == STATE_DEAD) {
        PyErr_SetNone(PyExc_StopIteration);
        return NULL;
    }
    if (!co->started && value != Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "can't send non-None value to a just-started generator");
        return NULL;
    }
    return ctx_resume(co, Py_NewRef(value), "resume", land_send, co);
}

/* throw(exc) or the legacy throw(type, value=None, traceback=None) that `yield from`
 * uses when it delegates to an iterator. */
static PyObject *
Generator_throw(CoroutineObject *co, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1 || nargs > 3) {
        PyErr_Format(PyExc_TypeError, "throw expected 1 to 3 arguments, got %zd", nargs);
        return NULL;
    }
    PyObject *typ = args[0];
    PyObject *val = nargs > 1 && args[1] != Py_None ? args[1] : NULL;
    PyObject *tb = nargs > 2 && args[2] != Py_None ? args[2] : NULL;
    if (tb != NULL && !PyTraceBack_Check(tb)) {
        PyErr_SetString(PyExc_TypeError, "throw() third argument must be a traceback object");
        return NULL;
    }
    PyObject *instance;
    if (val == NULL) {
        instance = coroutine_make_exception(typ);
    }
    else if (PyExceptionClass_Check(typ)) {
        int is_instance = PyObject_IsInstance(val, typ);    /* may run __instancecheck__ */
        if (is_instance < 0)
            return NULL;
        instance = is_instance
                   ? Py_NewRef(val)
                   : coroutine_checked_exception(typ, PyObject_CallOneArg(typ, val));
    }
    else {
        PyErr_SetString(PyExc_TypeError, "instance exception may not have a separate value");
        return NULL;
    }
    if (instance == NULL)
        return NULL;
    if (tb != NULL && PyException_SetTraceback(instance, tb) < 0) {
        Py_DECREF(instance);
        return NULL;
    }
    if (generator_check_runnable(co) < 0) {
        Py_DECREF(instance);
        return NULL;
    }
    if (co->ctx.state == STATE_DEAD) {
        /* Like an exhausted Python generator: the exception is raised here. */
        coroutine_set_thrown(instance);
        return NULL;
    }
#if !STACKFUL_PEP479_ON_UNSTARTED_THROW
    if (!co->started) {
        /* Raised here as thrown, even a StopIteration: the function never ran, so no
         * StopIteration escaped it (3.12+ Python generators say so too). */
        return coroutine_throw_into(co, instance, "throw into", ctx_land_resumed,
                                    co->thread);
    }
#endif
    return generator_outcome(co, coroutine_throw_into(co, instance, "throw into",
                                                       ctx_land_resumed, co->thread), 0);
}

static PyObject *
Generator_close(CoroutineObject *co, PyObject *Py_UNUSED(ignored))
{
    if (generator_check_runnable(co) < 0)
        return NULL;
    return coroutine_close(co);
}

static PyObject *
Generator_get_running(CoroutineObject *co, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(co->ctx.state == STATE_RUNNING || co->ctx.state == STATE_NORMAL);
}

static PyMethodDef Generator_methods[] = {
    {"send", (PyCFunction)Generator_send, METH_O,
     "send($self, value, /)\n--\n\nResume the generator with value as the result of its emit();\n"
     "returns the next emitted item or raises StopIteration."},
    {"throw", (PyCFunction)(void (*)(void))Generator_throw, METH_FASTCALL,
     "throw($self, typ, val=None, tb=None, /)\n--\n\nRaise typ (a class or an instance; the legacy\n"
     "(type, value, traceback) form too) at the emit() the generator waits in."},
    {"close", (PyCFunction)Generator_close, METH_NOARGS,
     "close($self, /)\n--\n\nRaise GeneratorExit at the emit() so that finally blocks run."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Generator_getset[] = {
    {"gi_running", (getter)Generator_get_running, NULL,
     "Whether the generator is executing (as for Python generators).", NULL},
    {"gi_frame", (getter)Coroutine_get_frame, NULL,
     "The generator's top frame while suspended (None otherwise).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject StackfulGeneratorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful.Generator",
    .tp_basicsize = sizeof(CoroutineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Generator(fn, /, *args, stack=None, context=None, **kwargs)\n--\n\n"
              "A stackful generator: an iterator over the values that fn(*args, **kwargs)\n"
              "passes to stackful.emit(), from any call depth. Made by @stackful.generator.\n"
              "stack and context: as for Coroutine.",
    .tp_traverse = (traverseproc)Coroutine_traverse,
    .tp_clear = (inquiry)Coroutine_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)ctx_generator_next,
    .tp_methods = Generator_methods,
    .tp_getset = Generator_getset,
    .tp_new = coroutine_new,
    .tp_vectorcall = coroutine_vectorcall,
};

