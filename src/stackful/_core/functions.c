/* functions.c -- the module's functions: transfer, and introspection (suspend() and
 * emit() are context.c's: they are the switch path itself).
 *
 * Design principles:
 *  - transfer() builds what it hands over, and leaves checking and switching to
 *    context.c as its last step.
 *  - Introspection reads counters; it never switches and never fails but for memory. */
#include "core.h"

#include "chunks.h"

static PyObject *
mod_current(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    ThreadObject *t = stackful_tls_thread;
    if (t == NULL || t->current->co == NULL)
        Py_RETURN_NONE;
    return Py_NewRef((PyObject *)t->current->co);
}

static PyObject *
mod_in_coroutine(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    ThreadObject *t = stackful_tls_thread;
    return PyBool_FromLong(t != NULL && t->current->co != NULL);
}

/* transfer(target, value=None, *, throw=None), parsed by hand: it is a scheduler's
 * hot path, and a fast call builds no argument tuple or dict. */
static int
parse_transfer_args(PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
                    PyObject **target, PyObject **value, PyObject **exc)
{
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "transfer() takes at most 2 positional arguments (%zd given)", nargs);
        return -1;
    }
    *target = nargs > 0 ? args[0] : NULL;
    *value = nargs > 1 ? args[1] : NULL;
    *exc = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        PyObject **slot = PyUnicode_CompareWithASCIIString(name, "target") == 0 ? target
                        : PyUnicode_CompareWithASCIIString(name, "value") == 0 ? value
                        : PyUnicode_CompareWithASCIIString(name, "throw") == 0 ? exc
                        : NULL;
        if (slot == NULL) {
            PyErr_Format(PyExc_TypeError,
                         "transfer() got an unexpected keyword argument '%U'", name);
            return -1;
        }
        if (*slot != NULL) {    /* only target and value can also come by position */
            PyErr_Format(PyExc_TypeError,
                         "transfer() got multiple values for argument '%U'", name);
            return -1;
        }
        *slot = args[nargs + i];
    }
    if (*target == NULL) {
        PyErr_SetString(PyExc_TypeError,
                        "transfer() missing required argument 'target' (pos 1)");
        return -1;
    }
    if (*value == NULL)
        *value = Py_None;
    if (*exc == Py_None)
        *exc = NULL;
    if (!PyObject_TypeCheck(*target, &StackfulCoroutineType)) {
        PyErr_Format(PyExc_TypeError,
                     "transfer() argument 1 must be stackful.Coroutine, not %.200s",
                     Py_TYPE(*target)->tp_name);
        return -1;
    }
    if (*exc != NULL && *value != Py_None) {
        PyErr_SetString(PyExc_TypeError, "transfer() takes a value or throw=, not both");
        return -1;
    }
    return 0;
}

static PyObject *
mod_transfer(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs,
             PyObject *kwnames)
{
    PyObject *target, *value, *exc;
    if (parse_transfer_args(args, nargs, kwnames, &target, &value, &exc) < 0)
        return NULL;
    PyObject *const *args_end = args + nargs + (kwnames ? PyTuple_GET_SIZE(kwnames) : 0);
    CoroutineObject *co = (CoroutineObject *)target;
    if (exc == NULL) {
        if (!co->started && value != Py_None && co->ctx.state == STATE_SUSPENDED) {
            PyErr_SetString(PyExc_TypeError,
                            "can't send non-None value to a just-started coroutine");
            return NULL;
        }
        return ctx_transfer(co, Py_NewRef(value), args_end);
    }
    /* Everything is built (the exception's constructor may run any code, this very
     * target included) before the target is checked. */
    PyObject *instance = coroutine_make_exception(exc);
    if (instance == NULL)
        return NULL;
    if (!co->started) {
        if (ctx_check_transfer(co) == NULL) {
            Py_DECREF(instance);
            return NULL;
        }
        return coroutine_raise_unstarted(co, instance);
    }
    coroutine_set_thrown(instance);
    return ctx_transfer(co, NULL, args_end);
}

static PyObject *
mod_current_context(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return pystate_current_context(PyThreadState_Get());
}

static PyObject *
mod_set_current_context(PyObject *Py_UNUSED(module), PyObject *context)
{
    if (context != Py_None && !PyContext_CheckExact(context)) {
        PyErr_Format(PyExc_TypeError,
                     "set_current_context() argument must be a contextvars.Context or None, "
                     "not %.200s", Py_TYPE(context)->tp_name);
        return NULL;
    }
    pystate_set_current_context(PyThreadState_Get(), context == Py_None ? NULL : context);
    Py_RETURN_NONE;
}

static PyObject *
mod_switch_count(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    ThreadObject *t = stackful_tls_thread;
    return PyLong_FromUnsignedLongLong(t ? t->switches : 0);
}

static PyObject *
mod_pool_info(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return Py_BuildValue("{s:n,s:n,s:n}", "stacks", (Py_ssize_t)stackful_stack_pool_count(),
                         "frame_chunks", (Py_ssize_t)stackful_root_chunk_count(),
                         "spill_chunks", (Py_ssize_t)stackful_spill_chunk_count());
}

PyMethodDef stackful_module_methods[] = {
    {"suspend", (PyCFunction)(void (*)(void))ctx_suspend_function, METH_FASTCALL,
     "suspend(value=None, /)\n--\n\n"
     "Suspend the running coroutine, returning control (and value) to the context\n"
     "that resumed it. Returns the value passed to the next resume()."},
    {"emit", (PyCFunction)(void (*)(void))ctx_emit_function, METH_FASTCALL,
     "emit(value=None, /)\n--\n\n"
     "Produce the next item of the running stackful generator, from any call depth.\n"
     "Returns the value sent by the consumer (None for next())."},
    {"current", (PyCFunction)mod_current, METH_NOARGS,
     "current()\n--\n\nThe running Coroutine, or None in a thread's main context."},
    {"in_coroutine", (PyCFunction)mod_in_coroutine, METH_NOARGS,
     "in_coroutine()\n--\n\nWhether the caller runs inside a coroutine."},
    {"transfer", (PyCFunction)(void (*)(void))mod_transfer, METH_FASTCALL | METH_KEYWORDS,
     "transfer(target, value=None, *, throw=None)\n--\n\n"
     "Switch directly to the suspended coroutine target (symmetric transfer)."},
    {"finish_to", (PyCFunction)ctx_finish_to, METH_O,
     "finish_to(target, /)\n--\n\n"
     "When the running coroutine finishes, go to target (a suspended coroutine of this\n"
     "thread) instead of the resumer: target takes its place, as transfer() does, and\n"
     "its suspension returns the function's result (or raises its exception); an\n"
     "unstarted target starts (the result dropped; an exception ends it at once and goes\n"
     "on to its own successor). If target cannot be entered then, the resumer gets it\n"
     "as usual. None: the resumer."},
    {"current_context", (PyCFunction)mod_current_context, METH_NOARGS,
     "current_context()\n--\n\n"
     "The contextvars.Context the caller runs in (the object itself, not a copy):\n"
     "Coroutine(fn, context=current_context()) shares the caller's context variables."},
    {"set_current_context", (PyCFunction)mod_set_current_context, METH_O,
     "set_current_context(context, /)\n--\n\n"
     "Make context (a contextvars.Context) the one the caller runs in from now on;\n"
     "None: none yet, an empty one is made on first use."},
    {"switch_count", (PyCFunction)mod_switch_count, METH_NOARGS,
     "switch_count()\n--\n\nContext switches made by this thread so far."},
    {"pool_info", (PyCFunction)mod_pool_info, METH_NOARGS,
     "pool_info()\n--\n\nSizes of the pools of free stacks and frame chunks."},
    {NULL, NULL, 0, NULL},
};
