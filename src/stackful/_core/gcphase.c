/* gcphase.c -- knows, per thread, whether the cycle collector is running there.
 *
 * Design principles:
 *  - Finalizers and weakref callbacks that the collector calls run inside the
 *    collection. A coroutine that suspended there would leave the collection
 *    unfinished: every later collection is skipped until it is resumed. So the core
 *    refuses to let a coroutine leave the chain while a collection that started inside
 *    it runs (context.c); for that it must know where collections run.
 *  - The collector says so through the public gc.callbacks: one callback first in the
 *    list marks the thread on "start", one last in the list unmarks it on "stop", so
 *    that the other callbacks run inside the marked phase too (the first one puts the
 *    last one back at the end if callbacks were appended since). A collection runs in
 *    one thread; another thread that runs while the collector's finalizer releases the
 *    GIL is not marked.
 *  - While a collection runs, its lists of objects have their heads in the C frames of the
 *    context that runs it, and the objects point at them: that context's stack bytes
 *    must not be copied out of its share stack (writes through those pointers would land
 *    in another coroutine's bytes, and the copy back would undo them). So the context is
 *    recorded (gc_ctx): switches that would copy it out are refused, and finalizers
 *    defer closing a coroutine to the end of the collection (coroutine.c).
 *  - If a program removes the first callback, the refusals are lost (the old hazards come
 *    back), nothing else; the last one is put back if it is removed. */
#include "core.h"

#if defined(__GNUC__)
_Thread_local int stackful_tls_gc_running __attribute__((tls_model("initial-exec")));
#else
_Thread_local int stackful_tls_gc_running;
#endif

static int
phase_is(PyObject *phase, const char *name)
{
    return PyUnicode_Check(phase) && PyUnicode_CompareWithASCIIString(phase, name) == 0;
}

static PyObject *callbacks;       /* gc.callbacks */
static PyObject *ends_callback;   /* ours that must run last */

/* Keeps ours last: the collector calls the list's items by index, so moving an item
 * from the middle to the end from inside the first callback skips none. */
static int
keep_ends_last(void)
{
    if (!PyList_Check(callbacks))
        return 0;
    Py_ssize_t n = PyList_GET_SIZE(callbacks);
    if (n > 0 && PyList_GET_ITEM(callbacks, n - 1) == ends_callback)
        return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (PyList_GET_ITEM(callbacks, i) == ends_callback)
            return PyList_SetSlice(callbacks, i, i + 1, NULL) < 0 ||
                   PyList_Append(callbacks, ends_callback) < 0 ? -1 : 0;
    }
    /* Removed by the program: put back, or the mark would never be taken off. */
    return PyList_Append(callbacks, ends_callback);
}

static PyObject *
gc_phase_begins(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs >= 1 && phase_is(args[0], "start")) {
        if (keep_ends_last() < 0)
            return NULL;
        ThreadObject *t = stackful_tls_thread;
        if (stackful_tls_gc_running++ == 0 && t != NULL) {
            t->rare |= THREAD_RARE_GC;
            t->gc_ctx = t->current;
        }
    }
    Py_RETURN_NONE;
}

static PyObject *
gc_phase_ends(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    ThreadObject *t = stackful_tls_thread;
    if (nargs >= 1 && phase_is(args[0], "stop") && stackful_tls_gc_running > 0 &&
        --stackful_tls_gc_running == 0 && t != NULL) {
        t->rare &= ~THREAD_RARE_GC;
        t->gc_ctx = NULL;
        coroutine_close_deferred(t);       /* the collector's lists are gone now */
    }
    Py_RETURN_NONE;
}

static PyMethodDef gc_phase_methods[] = {
    {"collection_begins", (PyCFunction)(void (*)(void))gc_phase_begins, METH_FASTCALL,
     "stackful: marks the thread that runs a garbage collection (gc.callbacks)."},
    {"collection_ends", (PyCFunction)(void (*)(void))gc_phase_ends, METH_FASTCALL,
     "stackful: unmarks it (gc.callbacks)."},
    {NULL, NULL, 0, NULL},
};

int
stackful_gc_phase_install(PyObject *module)
{
    if (callbacks != NULL)
        return 0;
    PyObject *gc = PyImport_ImportModule("gc");
    if (gc == NULL)
        return -1;
    callbacks = PyObject_GetAttrString(gc, "callbacks");
    Py_DECREF(gc);
    if (callbacks == NULL)
        return -1;
    int rc = -1;
    PyObject *begins = PyCFunction_NewEx(&gc_phase_methods[0], NULL, module);
    ends_callback = PyCFunction_NewEx(&gc_phase_methods[1], NULL, module);
    if (begins != NULL && ends_callback != NULL && PyList_Check(callbacks) &&
        PyList_Insert(callbacks, 0, begins) == 0 && PyList_Append(callbacks, ends_callback) == 0)
        rc = 0;
    else if (!PyErr_Occurred())
        PyErr_SetString(PyExc_ImportError, "stackful: gc.callbacks is not a list");
    Py_XDECREF(begins);
    return rc;
}
