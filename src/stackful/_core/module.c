/* module.c -- stackful._core's initialisation, and nothing else.
 *
 * The core's design principles are at the top of core.h; each file states its own. */
#include "core.h"

#include "chunks.h"
#include "overflow.h"

const char *const stackful_state_names[STATE_COUNT] = {"suspended", "running", "normal",
                                                       "dead"};
PyObject *stackful_state_strings[STATE_COUNT];

PyObject *StackfulCoroutineError;
PyObject *StackfulCoroutineExit;

/* The core's state is per process and per OS thread (the running context of each
 * thread, one thread-state pointer each), so one interpreter may use it: multi-phase
 * initialisation makes every interpreter run module_exec, which refuses the others
 * (3.12+ also say so in a slot, and refuse the import themselves). */
static int
module_exec(PyObject *m)
{
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        PyErr_SetString(PyExc_ImportError,
                        "stackful does not support subinterpreters: import it in the "
                        "main interpreter only");
        return -1;
    }
    StackfulGeneratorType.tp_base = &StackfulCoroutineType;
    if (PyType_Ready(&StackfulCoroutineType) < 0 || PyType_Ready(&StackfulGeneratorType) < 0 ||
        PyType_Ready(&StackfulShareStackType) < 0 || PyType_Ready(&StackfulThreadType) < 0 ||
        PyType_Ready(&StackfulThreadSentinelType) < 0)
        return -1;
    if (StackfulCoroutineStatsType.tp_name == NULL &&
        PyStructSequence_InitType2(&StackfulCoroutineStatsType,
                                   &stackful_coroutine_stats_desc) < 0)
        return -1;
    char why[512];
    if (stackful_switch_supported(why, sizeof why) < 0) {
        PyErr_SetString(PyExc_ImportError, why);
        return -1;
    }
    for (int i = 0; i < STATE_COUNT; i++) {
        if (stackful_state_strings[i] == NULL &&
            (stackful_state_strings[i] = PyUnicode_InternFromString(
                 stackful_state_names[i])) == NULL)
            return -1;
    }
    stackful_spill_cache_install();
    if (stackful_overflow_install(coroutine_describe) < 0) {
        PyErr_SetFromErrno(PyExc_OSError);
        return -1;
    }
    if (stackful_gc_phase_install(m) < 0)
        return -1;
    if (StackfulCoroutineError == NULL)
        StackfulCoroutineError = PyErr_NewExceptionWithDoc(
            "stackful.CoroutineError",
            "A coroutine operation that is not possible in the coroutine's state.",
            PyExc_RuntimeError, NULL);
    if (StackfulCoroutineExit == NULL)
        StackfulCoroutineExit = PyErr_NewExceptionWithDoc(
            "stackful.CoroutineExit",
            "Raised inside a coroutine by close(), so that its finally blocks run.",
            PyExc_BaseException, NULL);
    if (StackfulCoroutineError == NULL || StackfulCoroutineExit == NULL ||
        PyModule_AddObjectRef(m, "CoroutineError", StackfulCoroutineError) < 0 ||
        PyModule_AddObjectRef(m, "CoroutineExit", StackfulCoroutineExit) < 0 ||
        PyModule_AddObjectRef(m, "Coroutine", (PyObject *)&StackfulCoroutineType) < 0 ||
        PyModule_AddObjectRef(m, "Generator", (PyObject *)&StackfulGeneratorType) < 0 ||
        PyModule_AddObjectRef(m, "ShareStack", (PyObject *)&StackfulShareStackType) < 0 ||
        PyModule_AddObjectRef(m, "CoroutineStats",
                              (PyObject *)&StackfulCoroutineStatsType) < 0 ||
        PyModule_AddIntConstant(m, "DEFAULT_STACK_SIZE",
                                (long)stackful_default_stack_size()) < 0 ||
        PyModule_AddIntConstant(m, "MIN_STACK_SIZE", (long)STACKFUL_MIN_STACK_SIZE) < 0 ||
        PyModule_AddIntConstant(m, "DEFAULT_STACKS", DEFAULT_STACKS) < 0)
        return -1;
    return 0;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, (void *)module_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "stackful._core",
    .m_doc = "The native core of stackful: stackful coroutines for CPython.",
    .m_size = 0,
    .m_methods = stackful_module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&module_def);
}
