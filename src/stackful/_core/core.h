/* core.h -- what the files of stackful._core share: the objects and the contract
 * between them.
 *
 * Design principles (every change to the core keeps them):
 *  1. One choke point: every transfer of control between contexts passes through
 *     context.c; no other file calls stackful_switch() (a test checks it). Statistics
 *     and the checks every switch needs hang off it.
 *  2. The switch is correct by the ABI, not by luck (switch_*.h): callee-saved state
 *     only, and the stack pointer only ever points into a stack.
 *  3. A switch costs the same at any depth: no work proportional to the number of
 *     frames or the depth of the C stack (copying a share stack costs the bytes a
 *     coroutine uses, and only when two coroutines take turns on one stack), and no
 *     allocation on the switch path after warm-up.
 *  4. Nothing Python code does crashes the process. Every object a switch needs is
 *     built, and every check made, *before* the switch starts, with no Python code
 *     (which could change what was checked) in between; what cannot work raises a
 *     typed exception in one vocabulary ("cannot resume dead coroutine").
 *  5. Memory is paid for when used: stacks are virtual until touched, pooled, given
 *     back; frame chunks are pooled.
 *
 * Files: context.c (the choke point: contexts, entering and leaving them, share-stack
 * copies), thread.c (per-thread state), coroutine.c, generator.c, sharestack.c (one type
 * each), functions.c (the module's functions), module.c (init only). Below them:
 * switch.* (the machine switch), stack.* (stack memory), pystate*.h (per-version CPython
 * state), overflow.* (the fault report), chunks.* (frame chunk reuse). */
#ifndef STACKFUL_CORE_H
#define STACKFUL_CORE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>

#include "pystate.h"
#include "stack.h"
#include "switch.h"

/* Everything declared below is the core's own: hidden, so that it is reached directly
 * (not through the GOT) from the core's other files. */
#if defined(__GNUC__)
#  pragma GCC visibility push(hidden)
#endif

/* INLINE: the switch path, forced into each entry point of context.c so that each ends
 * in a tail call of stackful_switch, which then returns straight into the interpreter
 * (switch_x86_64.h says why that matters). COLD: the rare paths, kept out of the way. */
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

typedef enum {
    STATE_SUSPENDED = 0,   /* not started, or waiting in suspend()/transfer() */
    STATE_RUNNING,
    STATE_NORMAL,          /* waiting in resume() for the coroutine it resumed */
    STATE_DEAD,
    STATE_COUNT,
} CoState;

extern const char *const stackful_state_names[STATE_COUNT];
extern PyObject *stackful_state_strings[STATE_COUNT];   /* interned, made at import */

struct CoroutineObject;
struct ThreadObject;

/* An execution context: a thread's main context or a coroutine. The fields every
 * switch reads come first, in one cache line; the saved CPython state follows. */
typedef struct Ctx {
    void *sp;                       /* machine stack pointer while not running */
    CoState state;                  /* changed only by ctx_set_state() */
    uint16_t rare;                  /* CTX_RARE_*: what the switch must look at, tested
                                     * as one word so the common switch pays one test */
    uint8_t held;                   /* the chain owns a reference to co (context.c) */
    uint8_t entered_in_gc;          /* the collector was running when it was entered:
                                     * the collection is below it on the chain */
    PyObject *status;               /* stackful_state_strings[state]: co.status reads it
                                     * as a member, which the interpreter specialises */
    struct Ctx *resumer;            /* where suspend() returns to, while on the chain */
    struct CoroutineObject *co;     /* NULL for a thread's main context */
    PyObject *repr_saved;           /* its repr-recursion list while another context
                                     * runs (NULL: empty), see thread.c */
    PyStateSaved py;                /* CPython per-context state while not running */
} Ctx;

/* Bits of Ctx.rare. */
#define CTX_RARE_UNGUARDED 1u       /* on a stack without guard: check its canary
                                     * (stack.h) whenever it is switched away from */
#define CTX_RARE_REPR 2u            /* has repr-recursion state saved (repr_saved) */
#define CTX_RARE_CLOSING 4u         /* being closed: suspending raises the exit again */
/* Bits of ThreadObject.rare. */
#define THREAD_RARE_DISPLACED 1u    /* a normal context's bytes are off its share stack */
#define THREAD_RARE_GC 2u           /* the cycle collector runs in this thread */

static inline void
ctx_set_state(Ctx *c, CoState state)
{
    c->state = state;
    c->status = stackful_state_strings[state];
}

typedef struct {
    PyObject_HEAD
    StackMem *mem;
    unsigned long long owner_changes;
    /* A share stack holds the live frames of its coroutines, so it serves one thread:
     * the thread of the coroutines that use it (those not yet dead), while there are
     * any (`users`; a coroutine holds a reference to its thread, so this one is alive). */
    struct ThreadObject *thread;
    Py_ssize_t users;
    /* How many "normal" contexts (waiting in resume() on the chain) have their bytes
     * copied off this stack: each will take it back when the chain unwinds to it, and a
     * finishing coroutine's last switch may be what takes it back (context.c). */
    Py_ssize_t displaced;
} ShareStackObject;

/* The default policy: a thread's coroutines are dealt round-robin over this many share
 * stacks (made on first use). Up to this many coroutines never copy; beyond, they take
 * turns as on any share stack, and memory per suspended coroutine stays its used bytes. */
#define DEFAULT_STACKS 16

typedef struct ThreadObject {
    PyObject_HEAD
    /* What every switch reads and writes, together. */
    Ctx *current;                   /* the running context */
    PyThreadState *tstate;
    unsigned int rare;              /* THREAD_RARE_*: with the contexts' CTX_RARE_*, what
                                     * makes a switch take the careful path */
    /* Work handed across a switch, done by ctx_after_switch() on the receiving side:
     * after_work says there is some (one test on every switch's landing). */
    int after_work;
    struct CoroutineObject *finished;
    PyObject *release;
    unsigned long long switches;
    /* Py_ReprEnter's list of the objects being repr'd, which CPython keeps in the
     * thread-state dict: per context here (a coroutine suspended inside repr(x) must
     * not make another context's repr(x) print "[...]"). repr_live is the list in the
     * dict, repr_spare an empty one ready for a context that has none. */
    PyObject *repr_live;
    PyObject *repr_spare;
    PyObject *thread_dict;          /* borrowed: NULL once it is being freed */
    PyObject *repr_key;
    Py_ssize_t displaced;           /* sum of its share stacks' `displaced` */
    Ctx *gc_ctx;                    /* the context running a collection (gcphase.c) */
    PyObject *deferred_closes;      /* coroutines collected while it ran, to close */
    PyStateThread py;               /* what its coroutines' saved states point into */
    Ctx main;                       /* the thread's main context */
    int alive;                      /* cleared when the OS thread's state is torn down */
    ShareStackObject *default_stacks[DEFAULT_STACKS];
    unsigned int next_default;      /* round-robin over default_stacks */
    unsigned int top_counter;       /* numbers its coroutines' stack-top offsets */
    StackMem *helper;               /* small stack the share-stack copies run on */
    void *altstack;                 /* signal stack for the overflow report */
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
    /* The call fn(*args, **kwargs) as a vectorcall: `args` holds the positional values,
     * then the keyword values named by `kwnames` (NULL: none). Kept, and visible to the
     * collector, until fn returns: the call borrows them. */
    PyObject *args;
    PyObject *kwnames;
    PyObject *context;              /* the Context it starts in, until it starts */
    struct CoroutineObject *finish_to;  /* where it goes when it finishes, if that one
                                     * can take its place then (lowlevel.finish_to) */
    ShareStackObject *stack;
    ThreadObject *thread;
    char *stack_top;                /* its (offset) top of the share stack */
    char *save_buf;                 /* its used stack bytes while another owns the stack */
    size_t save_cap, save_len;
    uint8_t started;
    uint8_t uses_stack;             /* counted in stack->users (sharestack.c) */
    uint8_t displaced;              /* counted in stack->displaced (context.c) */
    uint8_t is_generator;           /* a stackful generator: emits, closes with GeneratorExit */
    int closing;                    /* close() is running: its suspensions left that
                                     * raise the exit exception again (coroutine.c) */
    /* Where the arguments of the call that suspended it end (suspend(), emit() or
     * transfer()): on 3.11-3.13 the depth of its top frame's evaluation stack, which
     * pystate_reclaim needs if it is freed without being closed. Set at every
     * suspension; may point anywhere (it is only compared). */
    PyObject *const *suspended_args_end;
    CopyStats stats;
    PyObject *weakreflist;
} CoroutineObject;

extern PyTypeObject StackfulCoroutineType;
extern PyTypeObject StackfulGeneratorType;
extern PyTypeObject StackfulShareStackType;
extern PyTypeObject StackfulThreadType;
extern PyTypeObject StackfulThreadSentinelType;
extern PyTypeObject StackfulCoroutineStatsType;
extern PyStructSequence_Desc stackful_coroutine_stats_desc;

extern PyObject *StackfulCoroutineError;
extern PyObject *StackfulCoroutineExit;

/* The running thread's state, NULL until its first coroutine. initial-exec: one
 * %fs-relative load instead of a __tls_get_addr call per access (8 bytes of the static
 * TLS surplus that glibc keeps for loaded modules). */
#if defined(__GNUC__)
extern _Thread_local ThreadObject *stackful_tls_thread
    __attribute__((tls_model("initial-exec")));
#else
extern _Thread_local ThreadObject *stackful_tls_thread;
#endif

/* ---- gcphase.c */
/* Nonzero while the cycle collector runs in this thread. */
#if defined(__GNUC__)
extern _Thread_local int stackful_tls_gc_running __attribute__((tls_model("initial-exec")));
#else
extern _Thread_local int stackful_tls_gc_running;
#endif
int stackful_gc_phase_install(PyObject *module);

/* ---- thread.c */
/* The calling thread's state, made on first use (NULL with an exception set). */
ThreadObject *thread_create(void);
static inline ThreadObject *
thread_get(void)
{
    ThreadObject *t = stackful_tls_thread;
    return LIKELY(t != NULL) ? t : thread_create();
}
ShareStackObject *thread_make_default_stack(ThreadObject *t, unsigned int i);
/* The next of the thread's default share stacks (made on first use). */
static inline ShareStackObject *
thread_default_stack(ThreadObject *t)
{
    unsigned int i = t->next_default++ % DEFAULT_STACKS;
    ShareStackObject *s = t->default_stacks[i];
    return LIKELY(s != NULL) ? s : thread_make_default_stack(t, i);
}
/* The switch from `from` to `to` moves the repr-recursion state (no allocation, no
 * Python code; only when either side has any). */
void thread_switch_repr_state(ThreadObject *t, Ctx *from, Ctx *to);
/* After a switch: a spare list for the next context without repr state. */
void thread_replenish_repr_spare(ThreadObject *t);

/* ---- context.c: the choke point */
/* Each of these is the last thing its caller does (a tail call): the switch then
 * returns straight into the interpreter. `value`: an owned reference handed to the
 * coroutine, or NULL with the exception to raise in it set. When the caller's context
 * next runs, landing(what was handed to it, landing_arg) runs first and its result is
 * what the call returns (ctx_land_resumed: just that value). */
PyObject *ctx_resume(CoroutineObject *co, PyObject *value, const char *verb,
                     stackful_landing_fn landing, void *landing_arg);
/* Coroutine.resume() and a Generator's __next__ (generator_land_next makes next()'s
 * answer on arrival). */
PyObject *ctx_resume_method(CoroutineObject *co, PyObject *const *args, Py_ssize_t nargs);
PyObject *ctx_generator_next(CoroutineObject *co);
void *generator_land_next(void *value, void *co);
/* lowlevel.finish_to(target). */
PyObject *ctx_finish_to(PyObject *module, PyObject *target);
/* The module's suspend() and emit(): they return control (and a value) from the
 * running coroutine to its resumer. */
PyObject *ctx_suspend_function(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *ctx_emit_function(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
/* Symmetric transfer from the running context to co (lowlevel.transfer), and its check
 * (ctx_check_enterable, and no generator on either side). args_end: where transfer()'s
 * arguments end (CoroutineObject.suspended_args_end). */
PyObject *ctx_transfer(CoroutineObject *co, PyObject *value, PyObject *const *args_end);
ThreadObject *ctx_check_transfer(CoroutineObject *co);
void *ctx_land_resumed(void *value, void *thread);
void ctx_after_switch_work(ThreadObject *t);
/* First thing in a context that was just switched to: finish the work the switch
 * handed over (release what it dropped, free a finished coroutine's resources). */
static inline PyObject *
ctx_after_switch(ThreadObject *t, PyObject *value)
{
    if (UNLIKELY(t->after_work))
        ctx_after_switch_work(t);
    return value;
}
/* The error vocabulary: this thread's state if co can be entered by `verb` ("resume",
 * "throw into", "close", "transfer to") from it, else NULL with CoroutineError saying why:
 * "cannot resume dead coroutine", "cannot resume non-suspended coroutine", "cannot
 * resume a coroutine of another thread". */
ThreadObject *ctx_check_enterable(CoroutineObject *co, const char *verb);
/* A coroutine's share-stack bytes and frame state are given back. */
void ctx_release_stack(CoroutineObject *co);

/* ---- coroutine.c */
/* The exception instance for throw(): a class is instantiated, an instance used. */
PyObject *coroutine_make_exception(PyObject *exc);
/* `made` (owned, or NULL with an exception) is what calling the exception class `cls`
 * returned: itself if it is an exception instance, else NULL with TypeError (a
 * class's __new__ may return anything). */
PyObject *coroutine_checked_exception(PyObject *cls, PyObject *made);
/* Raise exc_instance (owned) in co at its suspension point, or here if it never ran. */
PyObject *coroutine_throw_into(CoroutineObject *co, PyObject *exc_instance,
                               const char *verb, stackful_landing_fn landing,
                               void *landing_arg);
/* Sets exc_instance (owned) as the exception being raised, which a switch then carries
 * into the coroutine switched to. */
void coroutine_set_thrown(PyObject *exc_instance);
/* Throwing into an unstarted coroutine (checked: enterable) is like throwing into an
 * unstarted generator: it never runs, it is dead, the exception is raised here. */
PyObject *coroutine_raise_unstarted(CoroutineObject *co, PyObject *exc_instance);
PyObject *coroutine_close(CoroutineObject *co);
/* Close the coroutines whose finalizers ran during the collection that just ended. */
void coroutine_close_deferred(ThreadObject *t);
/* The running coroutine, being closed, suspends again: the exit exception is raised at
 * that suspension instead (returns NULL with it set). */
PyObject *coroutine_close_again(CoroutineObject *co);
void coroutine_mark_dead_unstarted(CoroutineObject *co);
/* The constructors of both types: Coroutine(fn, *args, stack=, context=, **kwargs). */
PyObject *coroutine_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf,
                               PyObject *kwnames);
PyObject *coroutine_new(PyTypeObject *type, PyObject *args, PyObject *kwds);
PyObject *Coroutine_get_frame(CoroutineObject *co, void *closure);
int Coroutine_traverse(CoroutineObject *co, visitproc visit, void *arg);
int Coroutine_clear(CoroutineObject *co);
/* "name() takes at most max arguments (nargs given)": NULL with TypeError. */
PyObject *stackful_too_many_args(const char *name, Py_ssize_t nargs, Py_ssize_t max);
/* For the overflow report: the coroutine's function name, read without allocating. */
size_t coroutine_describe(void *owner, char *buf, size_t size);

/* ---- sharestack.c */
ShareStackObject *sharestack_create(PyTypeObject *type, size_t usable, int guard);
int sharestack_refuse_thread(void);
/* co (of thread t) starts to use its stack: -1 with CoroutineError if another thread's
 * coroutines use it. */
static inline int
sharestack_use(ShareStackObject *s, CoroutineObject *co, ThreadObject *t)
{
    if (UNLIKELY(s->users > 0 && s->thread != t))
        return sharestack_refuse_thread();
    s->thread = t;
    s->users++;
    co->uses_stack = 1;
    return 0;
}

/* co is dead or freed: it does not use its stack any more (idempotent). */
static inline void
sharestack_unuse(CoroutineObject *co)
{
    if (!co->uses_stack)
        return;
    co->uses_stack = 0;
    ShareStackObject *s = co->stack;
    if (--s->users == 0)
        s->thread = NULL;
}

/* ---- functions.c */
extern PyMethodDef stackful_module_methods[];

#if defined(__GNUC__)
#  pragma GCC visibility pop
#endif

#endif
