/* sharestack.c -- the ShareStack type: a C stack that coroutines execute on.
 *
 * Design principles:
 *  - A ShareStack is memory (stack.c) plus an owner: the coroutine whose bytes are on
 *    it. Taking turns (copying bytes in and out) is the choke point's job (context.c).
 *  - Sizes follow libaco's rule, with a minimum that runs ordinary Python code. */
#include "core.h"

#include <errno.h>
#include <string.h>

int
sharestack_refuse_thread(void)
{
    PyErr_SetString(StackfulCoroutineError,
                    "cannot create a coroutine on a ShareStack that coroutines of "
                    "another thread use (a share stack holds their live frames); "
                    "give each thread its own ShareStack");
    return -1;
}

ShareStackObject *
sharestack_create(PyTypeObject *type, size_t usable, int guard)
{
    ShareStackObject *s = (ShareStackObject *)type->tp_alloc(type, 0);
    if (s == NULL)
        return NULL;
    s->mem = stackful_stack_new(usable, guard);
    if (s->mem == NULL) {
        int err = errno;
        Py_DECREF(s);
        PyErr_Format(PyExc_MemoryError, "cannot map a stack of %zu bytes: %s", usable,
                     strerror(err));
        return NULL;
    }
    return s;
}

static PyObject *
ShareStack_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"size", "guard_page", NULL};
    PyObject *size_obj = NULL;
    int guard = 1;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|O$p:ShareStack", kwlist, &size_obj,
                                     &guard))
        return NULL;
    Py_ssize_t size = 0;
    if (size_obj != NULL) {
        if (!PyLong_Check(size_obj)) {
            PyErr_Format(PyExc_TypeError, "ShareStack() size must be an int, not %.200s",
                         Py_TYPE(size_obj)->tp_name);
            return NULL;
        }
        size = PyLong_AsSsize_t(size_obj);
        if (size == -1 && PyErr_Occurred()) {
            if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
                PyErr_Clear();
                PyErr_SetString(PyExc_ValueError, "ShareStack() size is too large");
            }
            return NULL;
        }
    }
    if (size < 0) {
        PyErr_Format(PyExc_ValueError,
                     "ShareStack() size must be >= 0 (0 means the default), not %zd", size);
        return NULL;
    }
    size_t usable = stackful_stack_usable_size((size_t)size);
    if (usable == 0) {
        PyErr_SetString(PyExc_ValueError, "ShareStack() size is too large");
        return NULL;
    }
    return (PyObject *)sharestack_create(type, usable, guard);
}

static void
ShareStack_dealloc(ShareStackObject *s)
{
    stackful_stack_free(s->mem);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static PyObject *
ShareStack_get_size(ShareStackObject *s, void *Py_UNUSED(closure))
{
    return PyLong_FromSize_t((size_t)(s->mem->hi - s->mem->lo));
}

static PyObject *
ShareStack_get_guard_page(ShareStackObject *s, void *Py_UNUSED(closure))
{
    return PyBool_FromLong(s->mem->guard);
}

static PyObject *
ShareStack_get_owner_changes(ShareStackObject *s, void *Py_UNUSED(closure))
{
    return PyLong_FromUnsignedLongLong(s->owner_changes);
}

static PyObject *
ShareStack_repr(ShareStackObject *s)
{
    return PyUnicode_FromFormat("<stackful.ShareStack size=%zu guard_page=%s at %p>",
                                (size_t)(s->mem->hi - s->mem->lo),
                                s->mem->guard ? "True" : "False", s);
}

static PyGetSetDef ShareStack_getset[] = {
    {"size", (getter)ShareStack_get_size, NULL, "Usable size in bytes.", NULL},
    {"guard_page", (getter)ShareStack_get_guard_page, NULL,
     "Whether a PROT_NONE guard gap sits below the stack.", NULL},
    {"owner_changes", (getter)ShareStack_get_owner_changes, NULL,
     "How many times a coroutine took the stack from another (or took it empty):\n"
     "each is a copy in, or a coroutine's first start.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

PyTypeObject StackfulShareStackType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful.ShareStack",
    .tp_basicsize = sizeof(ShareStackObject),
    .tp_dealloc = (destructor)ShareStack_dealloc,
    .tp_repr = (reprfunc)ShareStack_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ShareStack(size=0, *, guard_page=True)\n--\n\n"
              "A C stack that coroutines execute on. 0 means the default size (a thread's:\n"
              "8 MiB or more); otherwise the usable size is at least 64 KiB and at least\n"
              "`size`, rounded up to a page multiple. guard_page: a 1 MiB PROT_NONE gap\n"
              "below the stack, so that an overflow faults. A coroutine that is the only\n"
              "user of its ShareStack never copies; coroutines sharing one copy their used\n"
              "bytes in and out when they take turns. A ShareStack serves the coroutines of\n"
              "one thread at a time.",
    .tp_getset = ShareStack_getset,
    .tp_new = ShareStack_new,
};

