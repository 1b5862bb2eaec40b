/* module.c -- stackful._core: the Coroutine and ShareStack types.
 *
 * Design principles (the contract every change here keeps):
 *  1. One choke point: every transfer of control between contexts passes through
 *     switch_to(). Statistics hang off it; nothing else calls stackful_switch().
 *  2. The switch is correct by the ABI, not by luck (switch_*.h): callee-saved state
 *     only, and the stack pointer only ever points into a stack.
 *  3. A switch costs the same at any depth: no work proportional to the number of
 *     frames or the depth of the C stack (copying a share stack is proportional to
 *     the bytes a coroutine uses, and only happens when two coroutines take turns on
 *     one share stack), and no allocation on the switch path after warm-up.
 *  4. Introspection never crashes the interpreter: a suspended coroutine's frames are
 *     only reached through copies taken while they were live, and no Python code runs
 *     while the thread state is half-switched.
 *  5. Memory is paid for when used: stacks are virtual until touched, pooled, and
 *     given back; frame chunks are pooled.
 *
 * Ownership: a coroutine on its thread's chain of running and "normal" contexts is
 * kept alive either by the call that resumed it (resume(), throw(), close(), next():
 * a call's arguments outlive it, and that call can't return while the coroutine is on
 * the chain) or, when it joined by transfer(), by a reference the chain holds
 * (Ctx.held). So a coroutine can't be freed while it or anything it resumed runs. A suspended coroutine is referenced only by its users; when
 * they drop it, its finalizer closes it (runs its `finally` blocks). References that a
 * switch drops are released after the switch, on the other side (after_switch), never
 * while the thread state is half-switched.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <errno.h>
#include <string.h>

#include "chunkcache.h"
#include "overflow.h"
#include "pystate.h"
#include "selftest.h"
#include "stack.h"
#include "switch.h"

/* ------------------------------------------------------------------------------ */
/* Types and state                                                                */

typedef enum {
    STATE_SUSPENDED = 0,   /* not started, or waiting in suspend()/transfer() */
    STATE_RUNNING,
    STATE_NORMAL,          /* waiting in resume() for the coroutine it resumed */
    STATE_DEAD,
} CoState;

static const char *const state_names[] = {"suspended", "running", "normal", "dead"};
static PyObject *state_strings[4];      /* interned state_names, made at import */

/* The default policy: a thread's coroutines are dealt round-robin over this many share
 * stacks (made on first use). Up to this many coroutines never copy; beyond, they take
 * turns as on any share stack, and memory per suspended coroutine stays its used bytes. */
#define DEFAULT_STACKS 16

struct CoroutineObject;

/* An execution context: a thread's main context or a coroutine. */
typedef struct Ctx {
    void *sp;                       /* machine stack pointer while not running */
    PyStateSaved py;                /* CPython per-context state while not running */
    CoState state;                  /* changed only by ctx_set_state() */
    PyObject *status;               /* state_strings[state]: co.status reads it as a
                                     * member, which the interpreter specialises */
    struct Ctx *resumer;            /* where suspend() returns to, while on the chain */
    struct CoroutineObject *co;     /* NULL for a thread's main context */
    int held;                       /* the chain owns a reference to co (see top) */
} Ctx;

static inline void
ctx_set_state(Ctx *c, CoState state)
{
    c->state = state;
    c->status = state_strings[state];
}

typedef struct {
    PyObject_HEAD
    StackMem *mem;
    unsigned long long owner_changes;
} ShareStackObject;

typedef struct {
    PyObject_HEAD
    Ctx main;                       /* the thread's main context */
    Ctx *current;                   /* the running context */
    PyThreadState *tstate;
    int alive;                      /* cleared when the OS thread's state is torn down */
    ShareStackObject *default_stacks[DEFAULT_STACKS];
    unsigned int next_default;      /* round-robin over default_stacks */
    unsigned int top_counter;       /* numbers its coroutines' stack-top offsets */
    StackMem *helper;               /* small stack the share-stack copies run on */
    void *altstack;                 /* signal stack for the overflow report */
    unsigned long long switches;
    /* Work handed across a switch, done by after_switch() on the receiving side. */
    struct CoroutineObject *finished;
    PyObject *release;
    /* The copy job for the helper stack. */
    Ctx *job_from, *job_to;
    PyObject *job_value;
} ThreadObject;

typedef struct {
    unsigned long long copies_out, bytes_out, copies_in, bytes_in;
    size_t max_copy;
} CopyStats;

typedef struct CoroutineObject {
    PyObject_HEAD
    Ctx ctx;
    PyStateOwn own;
    PyObject *fn;
    PyObject *args;
    PyObject *kwargs;
    PyObject *context;              /* the Context it starts in, until it starts */
    ShareStackObject *stack;
    ThreadObject *thread;
    char *stack_top;                /* its (offset) top of the share stack */
    char *save_buf;                 /* its used stack bytes while another owns the stack */
    size_t save_cap, save_len;
    int started;
    int is_generator;               /* a stackful generator: emits, closes with GeneratorExit */
    CopyStats stats;
    PyObject *weakreflist;
} CoroutineObject;

static PyTypeObject CoroutineType;
static PyTypeObject ShareStackType;
static PyTypeObject ThreadType;
static PyTypeObject ThreadSentinelType;
static PyTypeObject CoroutineStatsType;

static PyObject *CoroutineError;
static PyObject *CoroutineExit;

/* initial-exec: one %fs-relative load instead of a __tls_get_addr call per access
 * (8 bytes of the static TLS surplus that glibc keeps for loaded modules). */
#if defined(__GNUC__)
static _Thread_local ThreadObject *tls_thread __attribute__((tls_model("initial-exec")));
#else
static _Thread_local ThreadObject *tls_thread;
#endif

_Noreturn void *coroutine_entry(void *first_value, void *arg);

/* INLINE: the switch path (enter, switch_to, ...), forced into each entry point --
 * next(), resume(), suspend(), emit() -- so that each ends in a tail call of
 * stackful_switch, which then returns straight to the interpreter (switch_x86_64.h:
 * why). Measured 2026-11-23, 3.11, interleaved runs: sum of a sequence 2.1x -> 1.9x a
 * Python generator, deque ring 1.7x -> 1.45x. COLD: the rare paths, kept out of the
 * way (the copies of share stacks, errors). */
#if defined(__GNUC__)
#  define INLINE static inline __attribute__((always_inline))
#  define COLD static __attribute__((noinline, cold))
#  define LIKELY(x) __builtin_expect(!!(x), 1)
#  define UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define INLINE static inline
#  define COLD static
#  define LIKELY(x) (x)
#  define UNLIKELY(x) (x)
#endif

#define HELPER_STACK_SIZE ((size_t)64 << 10)
#define SAVE_BUF_MIN 64
/* Stack-top offsets (Photon): stacks are page-aligned, so without them the hot top
 * bytes of every coroutine's stack fall into the same L1 cache sets, and a dozen
 * coroutines taking turns evict each other. A thread's coroutines get up to 256
 * distinct 16-byte steps, spread over the 4 KiB that set indices repeat with: the n-th
 * coroutine gets step (n * TOP_OFFSET_STRIDE) % steps (a permutation: the stride is
 * prime), so consecutive ones are ~1.5 KiB apart, whichever stacks they are on. */
#define TOP_OFFSET_STEPS 256
#define TOP_OFFSET_STRIDE 97u

/* ------------------------------------------------------------------------------ */
/* Threads                                                                        */

/* Lives in the thread's dict; its deallocation tells us the OS thread is going. */
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
        if (tls_thread == t) {
            tls_thread = NULL;
            stackful_overflow_thread_fini(t->altstack);
            t->altstack = NULL;
        }
        Py_DECREF(t);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyTypeObject ThreadSentinelType = {
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

static PyTypeObject ThreadType = {
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
    ThreadObject *t = PyObject_New(ThreadObject, &ThreadType);
    if (t == NULL)
        return NULL;
    memset((char *)t + sizeof(PyObject), 0, sizeof(ThreadObject) - sizeof(PyObject));
    ctx_set_state(&t->main, STATE_RUNNING);
    t->current = &t->main;
    t->tstate = PyThreadState_Get();
    t->alive = 1;
    ThreadSentinelObject *sentinel = PyObject_New(ThreadSentinelObject, &ThreadSentinelType);
    if (sentinel == NULL) {
        Py_DECREF(t);
        return NULL;
    }
    sentinel->thread = (ThreadObject *)Py_NewRef(t);
    int rc = PyDict_SetItemString(dict, "stackful._core.thread", (PyObject *)sentinel);
    Py_DECREF(sentinel);
    if (rc < 0) {
        Py_DECREF(t);
        return NULL;
    }
    /* The helper stack exists from the start, so that a finishing coroutine can always
     * hand its share stack back. */
    t->helper = stackful_stack_new(HELPER_STACK_SIZE, 1);
    if (t->helper == NULL) {
        PyDict_DelItemString(dict, "stackful._core.thread");
        PyErr_NoMemory();
        return NULL;
    }
    t->altstack = stackful_overflow_thread_init();
    tls_thread = t;
    /* The thread dict keeps it alive (through the sentinel) as long as the thread. */
    Py_DECREF(t);
    return t;
}

static inline ThreadObject *
thread_get(void)
{
    ThreadObject *t = tls_thread;
    return t != NULL ? t : thread_create();
}

/* ------------------------------------------------------------------------------ */
/* Share-stack bytes                                                              */

static int
save_buf_reserve(CoroutineObject *co, size_t need)
{
    if (co->save_cap >= need)
        return 0;
    /* Exact (to 16 bytes, malloc's granularity) the first time: most coroutines
     * suspend at about the same depth every time, and this is their memory cost.
     * Geometric after that, so that a coroutine suspending deeper and deeper
     * reallocates O(log n) times. */
    size_t cap = co->save_cap + co->save_cap / 2;
    if (cap < need)
        cap = need;
    if (cap < SAVE_BUF_MIN)
        cap = SAVE_BUF_MIN;
    cap = (cap + 15) & ~(size_t)15;
    char *buf = PyMem_RawRealloc(co->save_buf, cap);
    if (buf == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    co->save_buf = buf;
    co->save_cap = cap;
    return 0;
}

/* Copy the used part of co's stack (its saved sp up to its top) out. The buffer was
 * reserved before the switch started. */
static void
stack_save(CoroutineObject *co)
{
    size_t len = (size_t)(co->stack_top - (char *)co->ctx.sp);
    if (len > co->save_cap)
        Py_FatalError("stackful: save buffer not reserved before a switch");
    stackful_stack_readable(co->ctx.sp, len);
    memcpy(co->save_buf, co->ctx.sp, len);
    pystate_stack_moved(&co->ctx.py, (char *)co->ctx.sp, len, co->save_buf);
    co->save_len = len;
    co->stats.copies_out++;
    co->stats.bytes_out += len;
    if (len > co->stats.max_copy)
        co->stats.max_copy = len;
}

/* Put co's bytes back on its share stack, or build its first frame there. */
static void
stack_restore(CoroutineObject *co)
{
    if (co->ctx.sp == NULL) {
        stackful_stack_writable(co->stack_top - STACKFUL_INIT_FRAME_SIZE,
                                STACKFUL_INIT_FRAME_SIZE);
        co->ctx.sp = stackful_init_context(co->stack_top, coroutine_entry, NULL);
        return;
    }
    stackful_stack_writable(co->ctx.sp, co->save_len);
    memcpy(co->ctx.sp, co->save_buf, co->save_len);
    pystate_stack_moved(&co->ctx.py, co->save_buf, co->save_len, (char *)co->ctx.sp);
    co->stats.copies_in++;
    co->stats.bytes_in += co->save_len;
    if (co->save_len > co->stats.max_copy)
        co->stats.max_copy = co->save_len;
    co->save_len = 0;    /* the buffer is kept for next time; nothing is held in it */
}

/* ------------------------------------------------------------------------------ */
/* The choke point                                                                */

INLINE PyObject *after_switch(ThreadObject *t, PyObject *value);

/* Runs on the thread's helper stack when the running coroutine hands its own share
 * stack to another coroutine: the bytes can't be copied over the stack we run on. */
static void *
helper_entry(void *Py_UNUSED(value), void *arg)
{
    ThreadObject *t = arg;
    Ctx *from = t->job_from, *to = t->job_to;
    /* The thread state is switched here, around the copies: restoring it writes into
     * the incoming context's cframe, which is on its stack, so only once its bytes are
     * back; saving reads the outgoing one's, so before they are overwritten. */
    pystate_save(&from->py, t->tstate);
    if (from->state != STATE_DEAD)
        stack_save(from->co);
    stack_restore(to->co);
    to->co->stack->mem->owner = to->co;
    to->co->stack->owner_changes++;
    pystate_restore(&to->py, &from->py, t->tstate);
    void *discard;    /* the helper is never resumed: each job starts it afresh */
    stackful_switch(t->job_value, &discard, to->sp, NULL, NULL);
    stackful_entry_returned();
}

/* How a switch reaches its target's stack (decided by switch_prepare, before anything
 * changes, so that the switch itself can't fail). */
typedef enum {
    SWITCH_DIRECT,       /* the target's stack is in place: the main context, a
                          * coroutine that owns its share stack */
    SWITCH_COPY,         /* its bytes go back onto its share stack (another's go out) */
    SWITCH_VIA_HELPER,   /* as SWITCH_COPY, but the running coroutine is the one whose
                          * bytes go out: the copies run on the helper stack */
} SwitchPlan;

/* The share-stack part of switch_prepare: reserve the save buffer of the coroutine
 * whose bytes a switch to `co` copies out. Returns the plan, or -1 with MemoryError. */
COLD int
switch_prepare_copy(ThreadObject *t, CoroutineObject *owner)
{
    if (owner != NULL && &owner->ctx == t->current) {
        /* Its sp is not known until it switches: measure from here, with room for
         * the frames between here and the swap. A finished one is not saved. */
        char here;
        if (owner->ctx.state != STATE_DEAD &&
            save_buf_reserve(owner, (size_t)(owner->stack_top - &here) + 256) < 0)
            return -1;
        return SWITCH_VIA_HELPER;
    }
    if (owner == NULL || owner->ctx.state == STATE_DEAD)
        return SWITCH_COPY;
    if (save_buf_reserve(owner, (size_t)(owner->stack_top - (char *)owner->ctx.sp)) < 0)
        return -1;
    return SWITCH_COPY;
}

/* Decide how a switch to `to` goes and get what it needs. Returns a SwitchPlan for
 * switch_to, or -1 with MemoryError set. */
INLINE int
switch_prepare(ThreadObject *t, Ctx *to)
{
    CoroutineObject *co = to->co;
    if (co == NULL)
        return SWITCH_DIRECT;
    CoroutineObject *owner = co->stack->mem->owner;
    if (LIKELY(owner == co))
        return SWITCH_DIRECT;
    return switch_prepare_copy(t, owner);
}

/* Bring co's bytes onto its share stack, taking it from its owner. */
COLD void
switch_copy(CoroutineObject *co)
{
    CoroutineObject *owner = co->stack->mem->owner;
    if (owner != NULL && owner->ctx.state != STATE_DEAD)
        stack_save(owner);
    stack_restore(co);
    co->stack->mem->owner = co;
    co->stack->owner_changes++;
}

COLD PyObject *
switch_via_helper(ThreadObject *t, Ctx *from, Ctx *to, PyObject *value,
                  stackful_landing_fn landing, void *landing_arg)
{
    t->job_from = from;
    t->job_to = to;
    t->job_value = value;
    stackful_stack_writable(t->helper->hi - STACKFUL_INIT_FRAME_SIZE,
                            STACKFUL_INIT_FRAME_SIZE);
    void *helper_sp = stackful_init_context(t->helper->hi, helper_entry, t);
    return stackful_switch(NULL, &from->sp, helper_sp, landing, landing_arg);
}

/* Transfer control from the running context to `to`, as `plan` (switch_prepare)
 * says. The caller has already set the states and chain links. `value` is an owned
 * reference handed to `to`, or NULL with an exception set, which `to` then raises.
 * When this context next runs, landing(what was handed to it, landing_arg) runs first
 * and its result is returned (the landings below finish the switch: after_switch).
 * Callers return its result directly: the switch is then a tail call, and returns
 * straight to their caller (switch_x86_64.h says why that matters). */
INLINE PyObject *
switch_to(ThreadObject *t, Ctx *to, PyObject *value, int plan, stackful_landing_fn landing,
          void *landing_arg)
{
    Ctx *from = t->current;
    t->current = to;
    t->switches++;
    if (UNLIKELY(plan != SWITCH_DIRECT)) {
        if (plan == SWITCH_VIA_HELPER)
            return switch_via_helper(t, from, to, value, landing, landing_arg);
        switch_copy(to->co);
    }
    pystate_save(&from->py, t->tstate);
    pystate_restore(&to->py, &from->py, t->tstate);
    return stackful_switch(value, &from->sp, to->sp, landing, landing_arg);
}

static void release_finished(CoroutineObject *co, PyObject **refs);

/* First thing in a context that was just switched to: finish the work the switch
 * handed over. Fields are taken before any Python code can run (which could switch
 * and hand over new work). */
COLD void
after_switch_work(ThreadObject *t)
{
    CoroutineObject *finished = t->finished;
    PyObject *release = t->release;
    t->finished = NULL;
    t->release = NULL;
    PyObject *refs[2] = {NULL, NULL};
    if (finished != NULL)
        release_finished(finished, refs);
    Py_XDECREF(refs[0]);
    Py_XDECREF(refs[1]);
    Py_XDECREF(release);
}

INLINE PyObject *
after_switch(ThreadObject *t, PyObject *value)
{
    if (UNLIKELY(((uintptr_t)t->finished | (uintptr_t)t->release) != 0))
        after_switch_work(t);
    return value;
}

/* The landing of a context suspended in resume(), suspend(), transfer(), ...: `thread`
 * is its ThreadObject. */
static void *
land_resumed(void *value, void *thread)
{
    return after_switch(thread, value);
}

/* ------------------------------------------------------------------------------ */
/* Coroutine life cycle                                                           */

static void
release_stack(CoroutineObject *co)
{
    if (co->stack != NULL && co->stack->mem->owner == co)
        co->stack->mem->owner = NULL;
    PyMem_RawFree(co->save_buf);
    co->save_buf = NULL;
    co->save_cap = co->save_len = 0;
}

/* A finished coroutine's resources, freed on the other side of its last switch (it
 * can't free the stack it runs on). C-only work here; refs are returned. */
static void
release_finished(CoroutineObject *co, PyObject **refs)
{
    pystate_release_finished(&co->ctx.py, &co->own, refs);
    release_stack(co);
}

/* The bottom of every coroutine's C stack. Never returns: the last switch away from a
 * finished coroutine never comes back. */
_Noreturn void *
coroutine_entry(void *first_value, void *Py_UNUSED(arg))
{
    ThreadObject *t = tls_thread;
    PyObject *value = after_switch(t, (PyObject *)first_value);
    CoroutineObject *co = t->current->co;
    PyObject *result;
    if (value == NULL) {
        result = NULL;    /* thrown into before it ran a line: not reachable today */
    }
    else {
        Py_DECREF(value);     /* None: the first resume's value */
        PyObject *args = co->args, *kwargs = co->kwargs;
        co->args = NULL;
        co->kwargs = NULL;
        result = PyObject_Call(co->fn, args, kwargs);
        Py_DECREF(args);
        Py_XDECREF(kwargs);
    }
    Ctx *to = co->ctx.resumer;
    ctx_set_state(&co->ctx, STATE_DEAD);
    co->ctx.resumer = NULL;
    ctx_set_state(to, STATE_RUNNING);
    t->finished = co;
    t->release = co->ctx.held ? (PyObject *)co : NULL;
    co->ctx.held = 0;
    int plan = switch_prepare(t, to);
    if (plan < 0)
        Py_FatalError("stackful: out of memory while a coroutine finished");
    switch_to(t, to, result, plan, NULL, NULL);    /* never resumed: no landing */
    Py_FatalError("stackful: a finished coroutine was resumed");
}

static int
check_max_args(const char *name, Py_ssize_t nargs, Py_ssize_t max)
{
    if (nargs <= max)
        return 0;
    PyErr_Format(PyExc_TypeError, "%s() takes at most %zd argument%s (%zd given)", name,
                 max, max == 1 ? "" : "s", nargs);
    return -1;
}

/* Error messages name the operation, Lua style: "cannot resume dead coroutine",
 * "cannot throw into non-suspended coroutine", "cannot close a coroutine of another
 * thread". `verb` is "resume", "throw into", "close" or "transfer to". */
static int
check_thread(CoroutineObject *co, const char *verb, ThreadObject **tp)
{
    ThreadObject *t = tls_thread;
    if (t == NULL || co->thread != t) {
        PyErr_Format(CoroutineError, "cannot %s a coroutine of another thread", verb);
        return -1;
    }
    *tp = t;
    return 0;
}

static int
check_resumable(CoroutineObject *co, const char *verb)
{
    switch (co->ctx.state) {
    case STATE_SUSPENDED:
        return 0;
    case STATE_DEAD:
        PyErr_Format(CoroutineError, "cannot %s dead coroutine", verb);
        return -1;
    default:
        PyErr_Format(CoroutineError, "cannot %s non-suspended coroutine", verb);
        return -1;
    }
}

/* Give an unstarted coroutine its CPython start state. */
static int
prepare_start(CoroutineObject *co)
{
    if (co->started)
        return 0;
    StackMem *mem = co->stack->mem;
    if (pystate_init_coroutine(&co->ctx.py, &co->own, co->context, mem->lo,
                               co->stack_top) < 0)
        return -1;
    co->context = NULL;        /* moved into the saved state */
    co->started = 1;
    return 0;
}

/* Make `co` (suspended, of this thread) the running context, with `resumer` as the
 * context its suspend() returns to; the current context becomes `from_state`.
 * `value`: owned, or NULL with an exception set. */
INLINE PyObject *
enter(ThreadObject *t, CoroutineObject *co, Ctx *resumer, CoState from_state, int hold,
      PyObject *value, stackful_landing_fn landing, void *landing_arg)
{
    int plan;
    if ((!co->started && prepare_start(co) < 0) || (plan = switch_prepare(t, &co->ctx)) < 0) {
        Py_XDECREF(value);
        return NULL;
    }
    Ctx *from = t->current;
    if (hold)
        Py_INCREF(co);
    co->ctx.held = hold;
    co->ctx.resumer = resumer;
    ctx_set_state(&co->ctx, STATE_RUNNING);
    ctx_set_state(from, from_state);
    if (from_state == STATE_SUSPENDED) {
        /* It leaves the chain (transfer): drop the chain's reference, if it had one. */
        from->resumer = NULL;
        t->release = from->held ? (PyObject *)from->co : NULL;
        from->held = 0;
    }
    return switch_to(t, &co->ctx, value, plan, landing, landing_arg);
}

/* The caller (resume, next, ...) holds co for the whole call: no chain reference. */
INLINE PyObject *
resume_with(CoroutineObject *co, PyObject *value /* owned or NULL+exc */,
            stackful_landing_fn landing, void *landing_arg)
{
    ThreadObject *t;
    if (check_thread(co, "resume", &t) < 0 || check_resumable(co, "resume") < 0) {
        Py_XDECREF(value);
        return NULL;
    }
    return enter(t, co, t->current, STATE_NORMAL, 0, value, landing, landing_arg);
}

static void
mark_dead_unstarted(CoroutineObject *co)
{
    ctx_set_state(&co->ctx, STATE_DEAD);
    Py_CLEAR(co->args);
    Py_CLEAR(co->kwargs);
    Py_CLEAR(co->context);
}

/* ------------------------------------------------------------------------------ */
/* Coroutine methods                                                              */

static PyObject *
Coroutine_resume(CoroutineObject *co, PyObject *const *args, Py_ssize_t nargs)
{
    if (check_max_args("resume", nargs, 1) < 0)
        return NULL;
    PyObject *value = nargs ? args[0] : Py_None;
    if (!co->started && value != Py_None && co->ctx.state == STATE_SUSPENDED) {
        PyErr_SetString(PyExc_TypeError,
                        "can't send non-None value to a just-started coroutine");
        return NULL;
    }
    return resume_with(co, Py_NewRef(value), land_resumed, co->thread);
}

/* The exception instance for throw(): a class is instantiated, an instance used. */
static PyObject *
make_exception(PyObject *exc)
{
    if (PyExceptionClass_Check(exc))
        return PyObject_CallNoArgs(exc);
    if (PyExceptionInstance_Check(exc))
        return Py_NewRef(exc);
    PyErr_Format(PyExc_TypeError,
                 "exceptions must be classes or instances deriving from BaseException, "
                 "not %.200s", Py_TYPE(exc)->tp_name);
    return NULL;
}

static PyObject *
throw_into(CoroutineObject *co, PyObject *exc_instance /* owned */, const char *verb)
{
    if (co->ctx.state == STATE_SUSPENDED && !co->started) {
        /* Like a generator: it never runs, the exception is raised right here. */
        ThreadObject *t;
        if (check_thread(co, verb, &t) < 0) {
            Py_DECREF(exc_instance);
            return NULL;
        }
        mark_dead_unstarted(co);
        PyErr_SetObject((PyObject *)Py_TYPE(exc_instance), exc_instance);
        Py_DECREF(exc_instance);
        return NULL;
    }
    ThreadObject *t;
    if (check_thread(co, verb, &t) < 0 || check_resumable(co, verb) < 0) {
        Py_DECREF(exc_instance);
        return NULL;
    }
    PyErr_SetObject((PyObject *)Py_TYPE(exc_instance), exc_instance);
    Py_DECREF(exc_instance);
    return enter(t, co, t->current, STATE_NORMAL, 0, NULL, land_resumed, t);
}

static PyObject *
Coroutine_throw(CoroutineObject *co, PyObject *exc)
{
    PyObject *instance = make_exception(exc);
    if (instance == NULL)
        return NULL;
    return throw_into(co, instance, "throw into");
}

static PyObject *
coroutine_close(CoroutineObject *co)
{
    if (co->ctx.state == STATE_DEAD)
        Py_RETURN_NONE;
    if (co->ctx.state == STATE_SUSPENDED && !co->started) {
        mark_dead_unstarted(co);
        Py_RETURN_NONE;
    }
    ThreadObject *t;
    if (check_thread(co, "close", &t) < 0)
        return NULL;
    if (co->ctx.state != STATE_SUSPENDED) {
        PyErr_Format(CoroutineError, "cannot close a %s coroutine",
                     state_names[co->ctx.state]);
        return NULL;
    }
    /* A stackful generator is closed like a Python generator, with GeneratorExit. */
    PyObject *exit_type = co->is_generator ? PyExc_GeneratorExit : CoroutineExit;
    PyObject *exc = PyObject_CallNoArgs(exit_type);
    if (exc == NULL)
        return NULL;
    PyObject *result = throw_into(co, exc, "close");
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

/* Interned once: schedulers read status on every turn. */

static PyObject *
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
    PyObject *stats = PyStructSequence_New(&CoroutineStatsType);
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

static PyObject *
Coroutine_repr(CoroutineObject *co)
{
    PyObject *name = PyObject_GetAttrString(co->fn, "__qualname__");
    if (name == NULL) {
        PyErr_Clear();
        name = PyObject_Repr(co->fn);
        if (name == NULL)
            return NULL;
    }
    PyObject *r = PyUnicode_FromFormat("<%s %S %s at %p>", Py_TYPE(co)->tp_name, name,
                                       state_names[co->ctx.state], co);
    Py_DECREF(name);
    return r;
}

/* ------------------------------------------------------------------------------ */
/* Coroutine object protocol                                                      */

static ShareStackObject *sharestack_create(PyTypeObject *type, size_t usable, int guard);

static ShareStackObject *
default_stack(ThreadObject *t)
{
    unsigned int i = t->next_default++ % DEFAULT_STACKS;
    if (t->default_stacks[i] == NULL)
        t->default_stacks[i] = sharestack_create(&ShareStackType,
                                                 STACKFUL_DEFAULT_STACK_SIZE, 1);
    return t->default_stacks[i];
}

/* The constructor's common part. Takes ownership of args (a tuple), kwargs, stack and
 * context (each may be NULL or None for the defaults). */
static PyObject *
coroutine_create(PyTypeObject *type, PyObject *fn, PyObject *args, PyObject *kwargs,
                 PyObject *stack, PyObject *context)
{
    if (!PyCallable_Check(fn)) {
        PyErr_Format(PyExc_TypeError, "Coroutine() argument 'fn' must be callable, not %.200s",
                     Py_TYPE(fn)->tp_name);
        goto error;
    }
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) == 0)
        Py_CLEAR(kwargs);
    if (stack == Py_None)
        Py_CLEAR(stack);
    if (context == Py_None)
        Py_CLEAR(context);
    if (stack != NULL && !PyObject_TypeCheck(stack, &ShareStackType)) {
        PyErr_Format(PyExc_TypeError,
                     "Coroutine() argument 'stack' must be a ShareStack or None, not %.200s",
                     Py_TYPE(stack)->tp_name);
        goto error;
    }
    if (context != NULL && !PyContext_CheckExact(context)) {
        PyErr_Format(PyExc_TypeError,
                     "Coroutine() argument 'context' must be a contextvars.Context or None, "
                     "not %.200s", Py_TYPE(context)->tp_name);
        goto error;
    }
    ThreadObject *t = thread_get();
    if (t == NULL)
        goto error;
    if (stack == NULL) {
        ShareStackObject *dflt = default_stack(t);
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
    ctx_set_state(&co->ctx, STATE_SUSPENDED);
    co->fn = Py_NewRef(fn);
    co->args = args;
    co->kwargs = kwargs;
    co->context = context;
    co->stack = (ShareStackObject *)stack;
    co->thread = (ThreadObject *)Py_NewRef(t);
    StackMem *mem = co->stack->mem;
    size_t size = (size_t)(mem->hi - mem->lo);
    size_t steps = size / 16 / 16;   /* never offset by more than 1/16 of the stack */
    if (steps > TOP_OFFSET_STEPS)
        steps = TOP_OFFSET_STEPS;
    size_t offset = steps ? (t->top_counter++ * TOP_OFFSET_STRIDE) % steps * 16 : 0;
    co->stack_top = mem->hi - offset;
    return (PyObject *)co;

error:
    Py_XDECREF(args);
    Py_XDECREF(kwargs);
    Py_XDECREF(stack);
    Py_XDECREF(context);
    return NULL;
}

static int
missing_fn(void)
{
    PyErr_SetString(PyExc_TypeError, "Coroutine() missing required argument 'fn' (pos 1)");
    return -1;
}

/* For subclasses (and **kwargs callers): the tuple-and-dict protocol. */
static PyObject *
Coroutine_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (nargs < 1) {
        missing_fn();
        return NULL;
    }
    PyObject *stack = NULL, *context = NULL, *kwargs = NULL;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) > 0) {
        kwargs = PyDict_Copy(kwds);
        if (kwargs == NULL)
            return NULL;
        stack = Py_XNewRef(PyDict_GetItemString(kwargs, "stack"));
        context = Py_XNewRef(PyDict_GetItemString(kwargs, "context"));
        if ((stack && PyDict_DelItemString(kwargs, "stack") < 0) ||
            (context && PyDict_DelItemString(kwargs, "context") < 0)) {
            Py_DECREF(kwargs);
            Py_XDECREF(stack);
            Py_XDECREF(context);
            return NULL;
        }
    }
    PyObject *fn_args = PyTuple_GetSlice(args, 1, nargs);
    if (fn_args == NULL) {
        Py_XDECREF(kwargs);
        Py_XDECREF(stack);
        Py_XDECREF(context);
        return NULL;
    }
    return coroutine_create(type, PyTuple_GET_ITEM(args, 0), fn_args, kwargs, stack, context);
}

/* Coroutine(fn, ...) and Generator(fn, ...) without building an argument tuple and a
 * dict first: creating a coroutine is on the lifecycle's critical path. A Coroutine
 * takes stack= and context= for itself; a Generator passes every keyword to fn. */
static PyObject *
construct_from_vector(PyObject *type, PyObject *const *args, size_t nargsf,
                      PyObject *kwnames, int is_generator)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs < 1) {
        missing_fn();
        return NULL;
    }
    PyObject *stack = NULL, *context = NULL, *kwargs = NULL;
    Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        PyObject *value = args[nargs + i];
        if (!is_generator && PyUnicode_CompareWithASCIIString(name, "stack") == 0) {
            stack = value;
        }
        else if (!is_generator && PyUnicode_CompareWithASCIIString(name, "context") == 0) {
            context = value;
        }
        else {
            if (kwargs == NULL && (kwargs = PyDict_New()) == NULL)
                return NULL;
            if (PyDict_SetItem(kwargs, name, value) < 0) {
                Py_DECREF(kwargs);
                return NULL;
            }
        }
    }
    PyObject *fn_args = PyTuple_New(nargs - 1);
    for (Py_ssize_t i = 1; fn_args != NULL && i < nargs; i++)
        PyTuple_SET_ITEM(fn_args, i - 1, Py_NewRef(args[i]));
    if (fn_args == NULL) {
        Py_XDECREF(kwargs);
        return NULL;
    }
    PyObject *co = coroutine_create((PyTypeObject *)type, args[0], fn_args, kwargs,
                                    Py_XNewRef(stack), Py_XNewRef(context));
    if (co != NULL)
        ((CoroutineObject *)co)->is_generator = is_generator;
    return co;
}

static PyObject *
Coroutine_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                     PyObject *kwnames)
{
    return construct_from_vector(type, args, nargsf, kwnames, 0);
}

static int
Coroutine_traverse(CoroutineObject *co, visitproc visit, void *arg)
{
    Py_VISIT(co->fn);
    Py_VISIT(co->args);
    Py_VISIT(co->kwargs);
    Py_VISIT(co->context);
    /* Only a suspended coroutine's frames are frozen; a running or normal one is on
     * its thread's chain, which holds it. */
    if (co->ctx.state == STATE_SUSPENDED && co->started)
        return pystate_traverse(&co->ctx.py, &co->own, visit, arg);
    return 0;
}

static int
Coroutine_clear(CoroutineObject *co)
{
    /* A started, suspended coroutine's references are in its frames and C stack:
     * only closing it (the finalizer) can release them. */
    if (co->ctx.state == STATE_SUSPENDED && co->started)
        return 0;
    Py_CLEAR(co->args);
    Py_CLEAR(co->kwargs);
    Py_CLEAR(co->context);
    return 0;
}

static int
can_run_here(CoroutineObject *co)
{
    return co->thread == tls_thread && co->thread->alive && !pystate_is_finalizing();
}

static void
Coroutine_finalize(CoroutineObject *co)
{
    if (co->ctx.state != STATE_SUSPENDED || !co->started || !can_run_here(co))
        return;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyObject *res = coroutine_close(co);
    if (res == NULL)
        PyErr_WriteUnraisable((PyObject *)co);
    else
        Py_DECREF(res);
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
    if (co->ctx.state == STATE_SUSPENDED && co->started) {
        /* It could not be closed (another thread's, its thread is gone, the
         * interpreter is shutting down, or it refused to finish). Its frames and
         * what its C stack references are leaked, never freed under it: frame objects
         * may still point into its frame chunk. */
        if (!pystate_is_finalizing()) {
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            if (PyErr_WarnFormat(PyExc_ResourceWarning, 1,
                                 "stackful: a suspended coroutine of %s was freed "
                                 "without being closed; its frames are leaked",
                                 co->thread == tls_thread ? "this thread"
                                                          : "another thread") < 0)
                PyErr_WriteUnraisable((PyObject *)co);
            PyErr_Restore(type, value, tb);
        }
        pystate_abandon(&co->ctx.py);
        release_stack(co);
    }
    else if (co->started && co->ctx.state != STATE_DEAD) {
        Py_FatalError("stackful: a running coroutine was freed");
    }
    else {
        release_stack(co);
    }
    Py_CLEAR(co->fn);
    Py_CLEAR(co->args);
    Py_CLEAR(co->kwargs);
    Py_CLEAR(co->context);
    Py_CLEAR(co->stack);
    Py_CLEAR(co->thread);
    Py_TYPE(co)->tp_free((PyObject *)co);
}

static PyMethodDef Coroutine_methods[] = {
    {"resume", (PyCFunction)(void (*)(void))Coroutine_resume, METH_FASTCALL,
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
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject CoroutineType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful.Coroutine",
    .tp_basicsize = sizeof(CoroutineObject),
    .tp_dealloc = (destructor)Coroutine_dealloc,
    .tp_repr = (reprfunc)Coroutine_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Coroutine(fn, /, *args, stack=None, context=None, **kwargs)\n--\n\n"
              "A stackful coroutine that will run fn(*args, **kwargs) when first resumed.\n"
              "stack: the ShareStack to execute on (None: one of this thread's 16 default\n"
              "share stacks, dealt round-robin). context: the contextvars.Context to run in (None: a copy of the\n"
              "creator's current context).",
    .tp_traverse = (traverseproc)Coroutine_traverse,
    .tp_clear = (inquiry)Coroutine_clear,
    .tp_weaklistoffset = offsetof(CoroutineObject, weakreflist),
    .tp_methods = Coroutine_methods,
    .tp_members = Coroutine_members,
    .tp_getset = Coroutine_getset,
    .tp_new = Coroutine_new,
    .tp_finalize = (destructor)Coroutine_finalize,
    .tp_vectorcall = Coroutine_vectorcall,
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

static PyStructSequence_Desc CoroutineStats_desc = {
    "stackful.CoroutineStats",
    "Share-stack statistics of one coroutine (libaco's save-stack statistics).",
    CoroutineStats_fields,
    7,
};

/* ------------------------------------------------------------------------------ */
/* Stackful generators                                                            */

/* A Coroutine whose items come from emit() and that speaks the iterator and
 * generator protocols: next/send/throw/close, StopIteration(value) on return, PEP 479.
 * One object, so that its finalizer closes it with GeneratorExit. */

static PyTypeObject GeneratorType;

static PyObject *
Generator_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                     PyObject *kwnames)
{
    return construct_from_vector(type, args, nargsf, kwnames, 1);
}

static PyObject *
Generator_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    if (nargs < 1) {
        missing_fn();
        return NULL;
    }
    PyObject *kwargs = kwds ? PyDict_Copy(kwds) : NULL;
    if (kwds && kwargs == NULL)
        return NULL;
    PyObject *fn_args = PyTuple_GetSlice(args, 1, nargs);
    if (fn_args == NULL) {
        Py_XDECREF(kwargs);
        return NULL;
    }
    PyObject *co = coroutine_create(type, PyTuple_GET_ITEM(args, 0), fn_args, kwargs, NULL,
                                    NULL);
    if (co != NULL)
        ((CoroutineObject *)co)->is_generator = 1;
    return co;
}

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
    /* Returned: StopIteration, carrying the return value unless it is None. */
    if (result == Py_None && iternext) {
        Py_DECREF(result);
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
static void *
land_next(void *value, void *co)
{
    CoroutineObject *gen = co;
    return generator_outcome(gen, after_switch(gen->thread, value), 1);
}

static void *
land_send(void *value, void *co)
{
    CoroutineObject *gen = co;
    return generator_outcome(gen, after_switch(gen->thread, value), 0);
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
Generator_iternext(CoroutineObject *co)
{
    if (co->ctx.state == STATE_DEAD || generator_check_runnable(co) < 0)
        return NULL;
    return resume_with(co, Py_NewRef(Py_None), land_next, co);
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
    return resume_with(co, Py_NewRef(value), land_send, co);
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
    if (val == NULL)
        instance = make_exception(typ);
    else if (PyExceptionClass_Check(typ) && PyObject_IsInstance(val, typ) == 1)
        instance = Py_NewRef(val);
    else if (PyExceptionClass_Check(typ))
        instance = PyObject_CallOneArg(typ, val);
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
        PyErr_SetObject((PyObject *)Py_TYPE(instance), instance);
        Py_DECREF(instance);
        return NULL;
    }
    return generator_outcome(co, throw_into(co, instance, "throw into"), 0);
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

static PyTypeObject GeneratorType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful.Generator",
    .tp_basicsize = sizeof(CoroutineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Generator(fn, /, *args, **kwargs)\n--\n\n"
              "A stackful generator: an iterator over the values that fn(*args, **kwargs)\n"
              "passes to stackful.emit(), from any call depth. Made by @stackful.generator.",
    .tp_traverse = (traverseproc)Coroutine_traverse,
    .tp_clear = (inquiry)Coroutine_clear,
    .tp_iter = PyObject_SelfIter,
    .tp_iternext = (iternextfunc)Generator_iternext,
    .tp_methods = Generator_methods,
    .tp_getset = Generator_getset,
    .tp_new = Generator_new,
    .tp_vectorcall = Generator_vectorcall,
};

/* ------------------------------------------------------------------------------ */
/* ShareStack                                                                     */

static ShareStackObject *
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
     "Whether a PROT_NONE guard page sits below the stack.", NULL},
    {"owner_changes", (getter)ShareStack_get_owner_changes, NULL,
     "How many times a coroutine took the stack from another (or took it empty):\n"
     "each is a copy in, or a coroutine's first start.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject ShareStackType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "stackful.ShareStack",
    .tp_basicsize = sizeof(ShareStackObject),
    .tp_dealloc = (destructor)ShareStack_dealloc,
    .tp_repr = (reprfunc)ShareStack_repr,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "ShareStack(size=0, *, guard_page=True)\n--\n\n"
              "A C stack that coroutines execute on. 0 means the default size (2 MiB);\n"
              "otherwise the usable size is at least 4096 and at least `size`, rounded up\n"
              "to a page multiple. A coroutine that is the only user of its ShareStack\n"
              "never copies; coroutines sharing one copy their used bytes in and out when\n"
              "they take turns.",
    .tp_getset = ShareStack_getset,
    .tp_new = ShareStack_new,
};

/* ------------------------------------------------------------------------------ */
/* Module functions                                                               */

/* Return control (and value) from the running coroutine to its resumer: suspend()
 * and emit() are this, each checking what kind of coroutine may call it. */
INLINE PyObject *
yield_to_resumer(ThreadObject *t, PyObject *value)
{
    Ctx *cur = t->current;
    Ctx *to = cur->resumer;
    int plan = switch_prepare(t, to);
    if (plan < 0)
        return NULL;
    ctx_set_state(cur, STATE_SUSPENDED);
    cur->resumer = NULL;
    ctx_set_state(to, STATE_RUNNING);
    t->release = cur->held ? (PyObject *)cur->co : NULL;
    cur->held = 0;
    return switch_to(t, to, Py_NewRef(value), plan, land_resumed, t);
}

static PyObject *
mod_suspend(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (check_max_args("suspend", nargs, 1) < 0)
        return NULL;
    ThreadObject *t = tls_thread;
    if (t == NULL || t->current == &t->main) {
        PyErr_SetString(CoroutineError, "cannot suspend outside a coroutine");
        return NULL;
    }
    if (t->current->co->is_generator) {
        /* Its resumer is the consumer's next(): a suspend would look like an item. */
        PyErr_SetString(CoroutineError,
                        "cannot suspend a stackful generator: use stackful.emit() to "
                        "produce an item, or run suspending code in a Coroutine");
        return NULL;
    }
    return yield_to_resumer(t, nargs ? args[0] : Py_None);
}

static PyObject *
mod_emit(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (check_max_args("emit", nargs, 1) < 0)
        return NULL;
    ThreadObject *t = tls_thread;
    if (t == NULL || t->current->co == NULL || !t->current->co->is_generator) {
        PyErr_SetString(CoroutineError,
                        "cannot emit outside a stackful generator (emit() must run "
                        "inside a function decorated with @stackful.generator)");
        return NULL;
    }
    return yield_to_resumer(t, nargs ? args[0] : Py_None);
}

static PyObject *
mod_current(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    ThreadObject *t = tls_thread;
    if (t == NULL || t->current->co == NULL)
        Py_RETURN_NONE;
    return Py_NewRef((PyObject *)t->current->co);
}

static PyObject *
mod_in_coroutine(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    ThreadObject *t = tls_thread;
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
    if (!PyObject_TypeCheck(*target, &CoroutineType)) {
        PyErr_Format(PyExc_TypeError,
                     "transfer() argument 1 must be stackful.Coroutine, not %.200s",
                     Py_TYPE(*target)->tp_name);
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
    CoroutineObject *co = (CoroutineObject *)target;
    ThreadObject *t;
    if (check_thread(co, "transfer to", &t) < 0)
        return NULL;
    if (co->is_generator || (t->current->co != NULL && t->current->co->is_generator)) {
        PyErr_SetString(CoroutineError,
                        "cannot transfer into or out of a stackful generator");
        return NULL;
    }
    if (co->ctx.state != STATE_SUSPENDED) {
        PyErr_Format(CoroutineError, "cannot transfer to a %s coroutine",
                     state_names[co->ctx.state]);
        return NULL;
    }
    if (exc == Py_None)
        exc = NULL;
    if (exc != NULL && value != Py_None) {
        PyErr_SetString(PyExc_TypeError, "transfer() takes a value or throw=, not both");
        return NULL;
    }
    if (!co->started && exc == NULL && value != Py_None) {
        PyErr_SetString(PyExc_TypeError,
                        "can't send non-None value to a just-started coroutine");
        return NULL;
    }
    PyObject *instance = NULL;
    if (exc != NULL) {
        instance = make_exception(exc);
        if (instance == NULL)
            return NULL;
        if (!co->started) {
            mark_dead_unstarted(co);
            PyErr_SetObject((PyObject *)Py_TYPE(instance), instance);
            Py_DECREF(instance);
            return NULL;
        }
    }
    Ctx *cur = t->current;
    if (instance != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(instance), instance);
        Py_DECREF(instance);
    }
    PyObject *sent = instance != NULL ? NULL : Py_NewRef(value);
    if (cur->co == NULL) {
        /* The main context has no resumer to hand on: it waits, as in resume(). */
        return enter(t, co, cur, STATE_NORMAL, 0, sent, land_resumed, t);
    }
    /* The target takes the current coroutine's place on the chain. */
    return enter(t, co, cur->resumer, STATE_SUSPENDED, 1, sent, land_resumed, t);
}

static PyObject *
mod_switch_count(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    ThreadObject *t = tls_thread;
    return PyLong_FromUnsignedLongLong(t ? t->switches : 0);
}

static PyObject *
mod_pool_info(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    return Py_BuildValue("{s:n,s:n,s:n}", "stacks", (Py_ssize_t)stackful_stack_pool_count(),
                         "frame_chunks", (Py_ssize_t)chunk_pool_count,
                         "spill_chunks", (Py_ssize_t)stackful_chunkcache_count());
}

static PyObject *
mod_selftest_switch(PyObject *Py_UNUSED(module), PyObject *Py_UNUSED(ignored))
{
    char msg[512];
    if (stackful_selftest_switch(msg, sizeof msg) != 0) {
        PyErr_SetString(PyExc_AssertionError, msg);
        return NULL;
    }
    Py_RETURN_NONE;
}

/* For the overflow tests: C recursion that never enters the interpreter, so that no
 * CPython version's recursion checks stop it before it reaches a guard page. */
static size_t __attribute__((noinline))
native_recursion(size_t depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    frame[511] = 1;
    if (depth == 0)
        return 0;
    return native_recursion(depth - 1) + (size_t)frame[511];
}

static PyObject *
mod_recurse_natively(PyObject *Py_UNUSED(module), PyObject *arg)
{
    size_t depth = PyLong_AsSize_t(arg);
    if (depth == (size_t)-1 && PyErr_Occurred())
        return NULL;
    return PyLong_FromSize_t(native_recursion(depth));
}

static PyMethodDef module_methods[] = {
    {"suspend", (PyCFunction)(void (*)(void))mod_suspend, METH_FASTCALL,
     "suspend(value=None, /)\n--\n\n"
     "Suspend the running coroutine, returning control (and value) to the context\n"
     "that resumed it. Returns the value passed to the next resume()."},
    {"emit", (PyCFunction)(void (*)(void))mod_emit, METH_FASTCALL,
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
    {"switch_count", (PyCFunction)mod_switch_count, METH_NOARGS,
     "switch_count()\n--\n\nContext switches made by this thread so far."},
    {"_recurse_natively", (PyCFunction)mod_recurse_natively, METH_O,
     "_recurse_natively(depth, /)\n--\n\nRecurse depth levels of 512-byte C frames (tests)."},
    {"_selftest_switch", (PyCFunction)mod_selftest_switch, METH_NOARGS,
     "_selftest_switch()\n--\n\nCheck that every callee-saved register and the FP control\n"
     "state survive a switch; raises AssertionError naming the first that does not."},
    {"pool_info", (PyCFunction)mod_pool_info, METH_NOARGS,
     "pool_info()\n--\n\nSizes of the pools of free stacks and frame chunks."},
    {NULL, NULL, 0, NULL},
};

/* For the overflow report: the coroutine's function name, read without allocating. */
static size_t
describe_owner(void *owner, char *buf, size_t size)
{
    CoroutineObject *co = owner;
    const char *name = "<callable>";
    size_t len = strlen(name);
    if (co->fn != NULL && PyFunction_Check(co->fn)) {
        PyObject *qualname = ((PyFunctionObject *)co->fn)->func_qualname;
        if (qualname != NULL && PyUnicode_Check(qualname) && PyUnicode_IS_COMPACT_ASCII(qualname)) {
            name = (const char *)PyUnicode_DATA(qualname);
            len = (size_t)PyUnicode_GET_LENGTH(qualname);
        }
    }
    if (len > size)
        len = size;
    memcpy(buf, name, len);
    return len;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "stackful._core",
    .m_doc = "The native core of stackful: stackful coroutines for CPython.",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    GeneratorType.tp_base = &CoroutineType;
    if (PyType_Ready(&CoroutineType) < 0 || PyType_Ready(&GeneratorType) < 0 ||
        PyType_Ready(&ShareStackType) < 0 ||
        PyType_Ready(&ThreadType) < 0 || PyType_Ready(&ThreadSentinelType) < 0)
        return NULL;
    if (CoroutineStatsType.tp_name == NULL &&
        PyStructSequence_InitType2(&CoroutineStatsType, &CoroutineStats_desc) < 0)
        return NULL;
    char why[512];
    if (stackful_switch_supported(why, sizeof why) < 0) {
        PyErr_SetString(PyExc_ImportError, why);
        return NULL;
    }
    for (int i = 0; i < 4; i++) {
        if (state_strings[i] == NULL &&
            (state_strings[i] = PyUnicode_InternFromString(state_names[i])) == NULL)
            return NULL;
    }
    stackful_chunkcache_install();
    if (stackful_overflow_install(describe_owner) < 0)
        return PyErr_SetFromErrno(PyExc_OSError);
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    CoroutineError = PyErr_NewExceptionWithDoc(
        "stackful.CoroutineError",
        "A coroutine operation that is not possible in the coroutine's state.",
        PyExc_RuntimeError, NULL);
    CoroutineExit = PyErr_NewExceptionWithDoc(
        "stackful.CoroutineExit",
        "Raised inside a coroutine by close(), so that its finally blocks run.",
        PyExc_BaseException, NULL);
    if (CoroutineError == NULL || CoroutineExit == NULL ||
        PyModule_AddObjectRef(m, "CoroutineError", CoroutineError) < 0 ||
        PyModule_AddObjectRef(m, "CoroutineExit", CoroutineExit) < 0 ||
        PyModule_AddObjectRef(m, "Coroutine", (PyObject *)&CoroutineType) < 0 ||
        PyModule_AddObjectRef(m, "Generator", (PyObject *)&GeneratorType) < 0 ||
        PyModule_AddObjectRef(m, "ShareStack", (PyObject *)&ShareStackType) < 0 ||
        PyModule_AddObjectRef(m, "CoroutineStats", (PyObject *)&CoroutineStatsType) < 0 ||
        PyModule_AddIntConstant(m, "DEFAULT_STACK_SIZE", STACKFUL_DEFAULT_STACK_SIZE) < 0 ||
        PyModule_AddIntConstant(m, "DEFAULT_STACKS", DEFAULT_STACKS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
