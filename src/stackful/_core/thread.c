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

static ThreadObject *
thread_create(void)
{
    PyObject *dict = PyThreadState_GetDict();
    if (dict == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "stackful: no thread state dict");
        return NULL;
    }
    ThreadObject *t = PyObject_New(ThreadObject, &StackfulThreadType);
    if (t == NULL)
        return NULL;
    memset((char *)t + sizeof(PyObject), 0, sizeof(ThreadObject) - sizeof(PyObject));
    ctx_set_state(&t->main, STATE_RUNNING);
    t->main.canary = &stackful_constant_canary;
    t->current = &t->main;
    t->tstate = PyThreadState_Get();
    t->alive = 1;
    ThreadSentinelObject *sentinel = PyObject_New(ThreadSentinelObject,
                                                  &StackfulThreadSentinelType);
    if (sentinel == NULL) {
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

ThreadObject *
thread_get(void)
{
    ThreadObject *t = stackful_tls_thread;
    return t != NULL ? t : thread_create();
}

ShareStackObject *
thread_default_stack(ThreadObject *t)
{
    unsigned int i = t->next_default++ % DEFAULT_STACKS;
    if (t->default_stacks[i] == NULL)
        t->default_stacks[i] = sharestack_create(&StackfulShareStackType,
                                                 stackful_default_stack_size(), 1);
    return t->default_stacks[i];
}
