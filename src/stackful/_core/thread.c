/* thread.c -- per-OS-thread state: the main context, the default share stacks, the
 * helper stack and the signal stack.
 *
 * Design principles:
 *  - A thread's state is made on first use and lives exactly as long as the thread's
 *    CPython state: a sentinel in the thread-state dict holds it, and the sentinel's
 *    deallocation (when CPython tears the thread state down) marks it dead.
 *  - Everything a switch may need later is made here, up front (the helper stack),
 *    so that no switch has to allocate it. */
#include "core.h"

#include "overflow.h"

#include <string.h>

#define HELPER_STACK_SIZE ((size_t)64 << 10)   /* the copies and a switch: ~1 KB */
#define THREAD_DICT_KEY "stackful._core.thread"

#if defined(__GNUC__)
_Thread_local ThreadObject *stackful_tls_thread __attribute__((tls_model("initial-exec")));
#else
_Thread_local ThreadObject *stackful_tls_thread;
#endif

typedef struct {
    PyObject_HEAD
    ThreadObject *thread;
} ThreadSentinelObject;

static void
sentinel_dealloc(ThreadSentinelObject *self)
{
    ThreadObject *t = self->thread;
    if (t != NULL) {
        t->alive = 0;
        t->thread_dict = NULL;         /* being freed: the sentinel is one of its values */
        if (stackful_tls_thread == t) {
            stackful_tls_thread = NULL;
            stackful_overflow_thread_fini(t->altstack);
            t->altstack = NULL;
        }
        Py_DECREF(t);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

PyTypeObject StackfulThreadSentinelType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful._core._ThreadSentinel",
    .tp_basicsize = sizeof(ThreadSentinelObject),
    .tp_dealloc = (destructor)sentinel_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

static void
thread_dealloc(ThreadObject *t)
{
    for (int i = 0; i < DEFAULT_STACKS; i++)
        Py_CLEAR(t->default_stacks[i]);
    Py_CLEAR(t->main.repr_saved);
    Py_CLEAR(t->repr_key);
    Py_CLEAR(t->repr_live);
    Py_CLEAR(t->repr_spare);
    Py_CLEAR(t->deferred_closes);
    stackful_stack_free(t->helper);
    Py_TYPE(t)->tp_free((PyObject *)t);
}

PyTypeObject StackfulThreadType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful._core._Thread",
    .tp_basicsize = sizeof(ThreadObject),
    .tp_dealloc = (destructor)thread_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* The thread's repr list: the one CPython made if repr ran here already, else ours,
 * put where Py_ReprEnter looks (the same key). The dict is borrowed: it holds the
 * sentinel, which holds us, and none of the three is tracked by the collector, so a
 * reference from here would keep all three (and the thread's locals) forever. */
static int
repr_state_init(ThreadObject *t, PyObject *dict)
{
    t->thread_dict = dict;
    if ((t->repr_key = PyUnicode_InternFromString("Py_Repr")) == NULL)
        return -1;
    PyObject *list = PyDict_GetItemWithError(dict, t->repr_key);
    if (list == NULL) {
        if (PyErr_Occurred() || (list = PyList_New(0)) == NULL)
            return -1;
        if (PyDict_SetItem(dict, t->repr_key, list) < 0) {
            Py_DECREF(list);
            return -1;
        }
        t->repr_live = list;
    }
    else if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_RuntimeError, "stackful: the thread's Py_Repr is not a list");
        return -1;
    }
    else {
        t->repr_live = Py_NewRef(list);
    }
    t->repr_spare = PyList_New(0);
    return t->repr_spare == NULL ? -1 : 0;
}

void
thread_switch_repr_state(ThreadObject *t, Ctx *from, Ctx *to)
{
    PyObject *incoming = to->repr_saved;     /* references: the dict's and repr_live's */
    PyObject *outgoing = t->repr_live;
    PyObject *dropped = NULL;
    if (t->thread_dict == NULL)
        return;                      /* the thread is being torn down: nothing to keep */
    if (PyList_GET_SIZE(outgoing) == 0) {
        if (incoming == NULL)
            return;
        dropped = outgoing;                  /* nothing to keep: spare, or freed */
        outgoing = NULL;
    }
    else if (incoming == NULL) {
        if (t->repr_spare == NULL)
            return;                  /* out of memory earlier: the state stays shared */
        incoming = t->repr_spare;
        t->repr_spare = NULL;
        t->after_work = 1;           /* a new spare, once Python code may run */
    }
    from->repr_saved = outgoing;             /* repr_live's reference */
    if (outgoing != NULL)
        from->rare |= CTX_RARE_REPR;
    else
        from->rare &= ~CTX_RARE_REPR;
    to->repr_saved = NULL;
    to->rare &= ~CTX_RARE_REPR;
    t->repr_live = incoming;                 /* the saved (or spare) reference */
    /* Replaces the value of a key that exists: no allocation; the dict takes a
     * reference to the incoming list and drops its own to the outgoing one. */
    if (PyDict_SetItem(t->thread_dict, t->repr_key, incoming) < 0)
        Py_FatalError("stackful: cannot switch the repr state (the thread dict changed)");
    if (dropped != NULL) {
        if (t->repr_spare == NULL)
            t->repr_spare = dropped;
        else
            Py_DECREF(dropped);      /* an empty list: its deallocation runs no code */
    }
}

void
thread_replenish_repr_spare(ThreadObject *t)
{
    if (t->repr_spare != NULL)
        return;
    PyObject *exc_type, *exc_value, *exc_tb;
    PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
    t->repr_spare = PyList_New(0);
    if (t->repr_spare == NULL)
        PyErr_Clear();               /* tried again after the next switch */
    PyErr_Restore(exc_type, exc_value, exc_tb);
}

ThreadObject *
thread_create(void)
{
    PyObject *dict = PyThreadState_GetDict();
    if (dict == NULL) {
        /* The thread has a state (it holds the GIL): only making its dict can fail. */
        PyErr_NoMemory();
        return NULL;
    }
    ThreadObject *t = PyObject_New(ThreadObject, &StackfulThreadType);
    if (t == NULL)
        return NULL;
    memset((char *)t + sizeof(PyObject), 0, sizeof(ThreadObject) - sizeof(PyObject));
    ctx_set_state(&t->main, STATE_RUNNING);
    pystate_thread_init(&t->py);
    t->current = &t->main;
    t->tstate = PyThreadState_Get();
    if (stackful_tls_gc_running)          /* made inside a collection */
        t->rare |= THREAD_RARE_GC;
    t->alive = 1;
    ThreadSentinelObject *sentinel = PyObject_New(ThreadSentinelObject,
                                                  &StackfulThreadSentinelType);
    if (sentinel == NULL) {
        Py_DECREF(t);
        return NULL;
    }
    sentinel->thread = NULL;           /* its deallocation reads it */
    if (repr_state_init(t, dict) < 0) {
        Py_DECREF(sentinel);
        Py_DECREF(t);
        return NULL;
    }
    sentinel->thread = (ThreadObject *)Py_NewRef(t);
    int rc = PyDict_SetItemString(dict, THREAD_DICT_KEY, (PyObject *)sentinel);
    Py_DECREF(sentinel);
    if (rc < 0) {
        Py_DECREF(t);
        return NULL;
    }
    /* The helper stack exists from the start, so that a finishing coroutine can always
     * hand its share stack back. */
    t->helper = stackful_stack_new(HELPER_STACK_SIZE, 1);
    if (t->helper == NULL) {
        /* The sentinel goes (and its reference), then ours. */
        if (PyDict_DelItemString(dict, THREAD_DICT_KEY) < 0)
            PyErr_Clear();
        Py_DECREF(t);
        PyErr_SetString(PyExc_MemoryError, "stackful: cannot map this thread's helper stack");
        return NULL;
    }
    t->altstack = stackful_overflow_thread_init();
    stackful_tls_thread = t;
    /* The thread dict keeps it alive (through the sentinel) as long as the thread. */
    Py_DECREF(t);
    return t;
}

ShareStackObject *
thread_make_default_stack(ThreadObject *t, unsigned int i)
{
    t->default_stacks[i] = sharestack_create(&StackfulShareStackType,
                                             stackful_default_stack_size(), 1);
    return t->default_stacks[i];
}
