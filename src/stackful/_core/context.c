/* context.c -- the choke point: the only code that transfers control between contexts.
 *
 * Design principles:
 *  - Every switch passes through switch_to(); nothing else in the core calls
 *    stackful_switch() (tests/test_layout.py checks it). So the statistics, the share-
 *    stack copies and the checks every switch needs are in one place.
 *  - Check, then switch, with nothing in between that can run Python code: every entry
 *    point below receives what it hands over already built, checks the target's
 *    thread and state (ctx_check_enterable, the one error vocabulary), gets what the
 *    switch needs (a save buffer, a coroutine's start state) without calling Python,
 *    and switches. A switch itself cannot fail.
 *  - What a switch hands over is finished on the receiving side, by the landing the
 *    receiver left in its saved frame (ctx_after_switch: references the switch dropped
 *    are released there, never while the thread state is half-switched), so that the
 *    switch is the last thing each entry point does: a tail call, after which it returns
 *    straight into the interpreter.
 *
 * Ownership: a coroutine on its thread's chain of running and "normal" contexts is kept
 * alive either by the call that resumed it (resume(), throw(), close(), next(): a call's
 * arguments outlive it, and that call can't return while the coroutine is on the chain)
 * or, when it joined by transfer(), by a reference the chain holds (Ctx.held). So a
 * coroutine can't be freed while it or anything it resumed runs. A suspended coroutine
 * is referenced only by its users; when they drop it, its finalizer closes it. */
#include "core.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Noreturn void *coroutine_entry(void *first_value, void *arg);

/* A save buffer's first size is exact to this granularity (malloc's): most coroutines
 * suspend at about the same depth every time, and this is their memory cost. */
#define SAVE_BUF_GRANULE ((size_t)16)
#define SAVE_BUF_MIN ((size_t)64)
/* Bytes a running coroutine may still push below the point where it measures its own
 * use (reserve_for_leaving) before its stack pointer is saved: the frames of the
 * switch path after it (switch_via_helper and stackful_switch's 80-byte frame). */
#define SWITCH_PATH_SLACK ((size_t)256)

COLD PyObject *
coroutine_error(const char *message)
{
    PyErr_SetString(StackfulCoroutineError, message);
    return NULL;
}

/* ------------------------------------------------------------------------------ */
/* Share-stack bytes                                                              */

static int
save_buf_reserve(CoroutineObject *co, size_t need)
{
    if (co->save_cap >= need)
        return 0;
    /* Exact the first time; geometric after that, so that a coroutine suspending
     * deeper and deeper reallocates O(log n) times. */
    size_t cap = co->save_cap + co->save_cap / 2;
    if (cap < need)
        cap = need;
    if (cap < SAVE_BUF_MIN)
        cap = SAVE_BUF_MIN;
    cap = (cap + SAVE_BUF_GRANULE - 1) & ~(SAVE_BUF_GRANULE - 1);
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
    if (co->ctx.state == STATE_NORMAL) {
        co->displaced = 1;
        co->stack->displaced++;
        if (co->thread->displaced++ == 0)
            co->thread->rare |= THREAD_RARE_DISPLACED;
    }
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
    if (co->displaced) {
        co->displaced = 0;
        co->stack->displaced--;
        if (--co->thread->displaced == 0)
            co->thread->rare &= ~THREAD_RARE_DISPLACED;
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

/* Take co's share stack for it: the owner's bytes out, co's back in. */
static void
stack_take(CoroutineObject *co)
{
    CoroutineObject *owner = co->stack->mem->owner;
    if (owner != NULL && owner->ctx.state != STATE_DEAD)
        stack_save(owner);
    stack_restore(co);
    co->stack->mem->owner = co;
    co->stack->owner_changes++;
}

void
ctx_release_stack(CoroutineObject *co)
{
    if (co->stack != NULL && co->stack->mem->owner == co)
        co->stack->mem->owner = NULL;
    PyMem_RawFree(co->save_buf);
    co->save_buf = NULL;
    co->save_cap = co->save_len = 0;
}

/* ------------------------------------------------------------------------------ */
/* The switch                                                                     */

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
    stack_take(to->co);
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

/* The running coroutine is about to leave its stack to others while still owning it
 * (it suspends, transfers, or resumes another), and the stack has displaced normal
 * contexts: one of them may take the stack back in a finishing coroutine's last switch,
 * which cannot fail, so the copy-out it will need is reserved now, when failing is still
 * a MemoryError. Its stack pointer is not known until it switches: measured from here
 * (a frame of the switch path, as integers: the frame address, not a local's, which
 * sanitizers may move to the heap), with room for the frames below. */
COLD int
reserve_for_leaving(CoroutineObject *co)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    uintptr_t top = (uintptr_t)co->stack_top;
    if (here > top || here < (uintptr_t)co->stack->mem->lo)
        Py_FatalError("stackful: the running coroutine is not on its own stack");
    return save_buf_reserve(co, (size_t)(top - here) + SWITCH_PATH_SLACK);
}

/* The share-stack part of switch_prepare: reserve the save buffer of the coroutine
 * whose bytes a switch to `co` copies out. Returns the plan, or -1 with MemoryError. */
COLD int
refuse_copying_the_collector(void)
{
    PyErr_SetString(StackfulCoroutineError,
                    "cannot switch to a coroutine that shares its ShareStack with the "
                    "code running the garbage collector, while it runs: the collector's "
                    "state is on that stack; give the coroutine its own ShareStack, or "
                    "switch to it after the collection");
    return -1;
}

COLD int
switch_prepare_copy(ThreadObject *t, CoroutineObject *owner)
{
    if (owner != NULL && &owner->ctx == t->gc_ctx && (t->rare & THREAD_RARE_GC))
        return refuse_copying_the_collector();
    if (owner != NULL && &owner->ctx == t->current) {
        /* It hands its own stack over: a finished one is not saved, a live one has
         * reserved (switch_prepare: a stack is shared if this happens). */
        if (owner->ctx.state != STATE_DEAD && reserve_for_leaving(owner) < 0)
            return -1;
        return SWITCH_VIA_HELPER;
    }
    if (owner == NULL || owner->ctx.state == STATE_DEAD)
        return SWITCH_COPY;
    if (save_buf_reserve(owner, (size_t)(owner->stack_top - (char *)owner->ctx.sp)) < 0)
        return -1;
    return SWITCH_COPY;
}

/* Whether a switch from `from` to `to` is plain: nobody's canary to check, no repr state
 * to move, no closing or collection to respect, no displaced resumer to reserve for.
 * Plain switches (nearly all) take the switch path compiled with careful = 0, where
 * those checks are gone; the others the same path with careful = 1. */
INLINE int
switch_is_plain(ThreadObject *t, Ctx *from, Ctx *to)
{
    return ((t->rare | from->rare | to->rare) == 0) & (PyList_GET_SIZE(t->repr_live) == 0);
}

/* Decide how a switch to `to` goes and get what it needs, before anything changes.
 * Returns a SwitchPlan for switch_to, or -1 with MemoryError set. */
INLINE int
switch_prepare(ThreadObject *t, Ctx *to, int careful)
{
    CoroutineObject *from = t->current->co;
    if (careful && t->displaced != 0 && from != NULL && from->stack->displaced != 0 &&
        from->ctx.state != STATE_DEAD && reserve_for_leaving(from) < 0)
        return -1;
    CoroutineObject *co = to->co;
    if (co == NULL)
        return SWITCH_DIRECT;
    CoroutineObject *owner = co->stack->mem->owner;
    if (LIKELY(owner == co))
        return SWITCH_DIRECT;
    return switch_prepare_copy(t, owner);
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
 * and its result is returned. Callers return its result directly: the switch is then
 * a tail call. */
/* An unguarded stack's canary is gone: its coroutine wrote below the stack, into
 * whatever memory lies there. Nothing may run on that memory: stop, saying who. Only
 * write(2) and abort(): the interpreter's own state may be what was overwritten. */
COLD _Noreturn void
stack_overflowed(Ctx *from)
{
    char msg[512];
    size_t len = 0, cap = sizeof msg - 1;
    static const char head[] = "stackful: fatal: coroutine ";
    static const char tail[] = " overflowed its ShareStack, which has no guard page "
                               "(guard_page=False): the memory below it is overwritten. "
                               "Use a larger ShareStack, or keep its guard page.\n";
    memcpy(msg, head, sizeof head - 1);
    len = sizeof head - 1;
    len += coroutine_describe(from->co, msg + len, cap - len - (sizeof tail - 1));
    memcpy(msg + len, tail, sizeof tail - 1);
    len += sizeof tail - 1;
    ssize_t unused = write(2, msg, len);
    (void)unused;
    abort();
}

/* What few switches need: an unguarded stack's canary, repr state to move. */
COLD void
switch_rare(ThreadObject *t, Ctx *from, Ctx *to)
{
    if ((from->rare & CTX_RARE_UNGUARDED) && *from->co->stack->mem->canary != STACKFUL_CANARY)
        stack_overflowed(from);
    if (PyList_GET_SIZE(t->repr_live) != 0 || (to->rare & CTX_RARE_REPR))
        thread_switch_repr_state(t, from, to);
}

INLINE PyObject *
switch_to(ThreadObject *t, Ctx *to, PyObject *value, int plan, stackful_landing_fn landing,
          void *landing_arg, int careful)
{
    Ctx *from = t->current;
    if (careful)
        switch_rare(t, from, to);
    t->current = to;
    t->switches++;
    if (UNLIKELY(plan != SWITCH_DIRECT)) {
        if (plan == SWITCH_VIA_HELPER)
            return switch_via_helper(t, from, to, value, landing, landing_arg);
        stack_take(to->co);
    }
    pystate_save(&from->py, t->tstate);
    pystate_restore(&to->py, &from->py, t->tstate);
    return stackful_switch(value, &from->sp, to->sp, landing, landing_arg);
}

/* A finished coroutine's resources, freed on the other side of its last switch (it
 * can't free the stack it runs on). C-only work here; refs are returned. */
static void
release_finished(CoroutineObject *co, PyObject **refs)
{
    pystate_release_finished(&co->ctx.py, &co->own, refs);
    ctx_release_stack(co);
    sharestack_unuse(co);
}

/* Fields are taken before any Python code can run (which could switch and hand over
 * new work). */
void
ctx_after_switch_work(ThreadObject *t)
{
    CoroutineObject *finished = t->finished;
    PyObject *release = t->release;
    t->after_work = 0;
    t->finished = NULL;
    t->release = NULL;
    PyObject *refs[2] = {NULL, NULL};
    if (finished != NULL)
        release_finished(finished, refs);
    Py_XDECREF(refs[0]);
    Py_XDECREF(refs[1]);
    Py_XDECREF(release);
    thread_replenish_repr_spare(t);
}

void *
ctx_land_resumed(void *value, void *thread)
{
    return ctx_after_switch(thread, value);
}

/* ------------------------------------------------------------------------------ */
/* Entering and leaving contexts                                                  */

/* Returns the thread rather than taking an out-parameter: a local whose address
 * escapes would stop the compiler from making the switch a tail call. */
ThreadObject *
ctx_check_enterable(CoroutineObject *co, const char *verb)
{
    ThreadObject *t = stackful_tls_thread;
    if (t == NULL || co->thread != t) {
        PyErr_Format(StackfulCoroutineError, "cannot %s a coroutine of another thread",
                     verb);
        return NULL;
    }
    switch (co->ctx.state) {
    case STATE_SUSPENDED:
        return t;
    case STATE_DEAD:
        PyErr_Format(StackfulCoroutineError, "cannot %s dead coroutine", verb);
        return NULL;
    default:
        PyErr_Format(StackfulCoroutineError, "cannot %s non-suspended coroutine", verb);
        return NULL;
    }
}

/* The running coroutine may leave the chain (suspend, emit, transfer): 0, or -1 with
 * CoroutineError if a garbage collection started inside it is running (it is in a
 * finalizer or weakref callback the collector called): the collector would stay
 * stopped, for every thread, until the coroutine is resumed. */
COLD int
gc_refuses_leaving(const char *verb)
{
    PyErr_Format(StackfulCoroutineError,
                 "cannot %s inside a garbage collection (in a __del__ or weakref callback "
                 "that the collector called): the collector would stop until the "
                 "coroutine is resumed; do the work outside the finalizer", verb);
    return -1;
}

INLINE int
ctx_check_leavable(ThreadObject *t, const char *verb)
{
    if ((t->rare & THREAD_RARE_GC) && !t->current->entered_in_gc)
        return gc_refuses_leaving(verb);
    return 0;
}

/* Give an unstarted coroutine its CPython start state (no Python code runs). */
static int
prepare_start(CoroutineObject *co)
{
    StackMem *mem = co->stack->mem;
    if (pystate_init_coroutine(&co->ctx.py, &co->own, &co->thread->py, co->context, mem->lo,
                               co->stack_top) < 0)
        return -1;
    co->context = NULL;        /* moved into the saved state */
    co->started = 1;
    return 0;
}

/* Make `co` (checked: suspended, of this thread) the running context, with `resumer` as
 * the context its suspend() returns to; the current context becomes `from_state`.
 * `value`: owned, or NULL with an exception set. */
INLINE PyObject *
enter(ThreadObject *t, CoroutineObject *co, Ctx *resumer, CoState from_state, int hold,
      PyObject *value, stackful_landing_fn landing, void *landing_arg, int careful)
{
    int plan;
    if ((!co->started && prepare_start(co) < 0) ||
        (plan = switch_prepare(t, &co->ctx, careful)) < 0) {
        Py_XDECREF(value);
        return NULL;
    }
    Ctx *from = t->current;
    if (hold)
        Py_INCREF(co);
    co->ctx.held = hold;
    co->ctx.resumer = resumer;
    /* Resumed: below it on the chain is whatever collection runs now. Transferred to:
     * it takes the current one's place, and its position. */
    if (from_state == STATE_SUSPENDED) {
        co->ctx.entered_in_gc = from->entered_in_gc;
        pystate_enter_in_place_of(&co->ctx.py, &from->py);
    }
    else {
        co->ctx.entered_in_gc = careful && (t->rare & THREAD_RARE_GC);
        pystate_enter_below(&co->ctx.py, t->tstate);
    }
    ctx_set_state(&co->ctx, STATE_RUNNING);
    ctx_set_state(from, from_state);
    if (from_state == STATE_SUSPENDED) {
        /* It leaves the chain (transfer): drop the chain's reference, if it had one. */
        from->resumer = NULL;
        if (from->held) {
            t->release = (PyObject *)from->co;
            t->after_work = 1;
            from->held = 0;
        }
    }
    return switch_to(t, &co->ctx, value, plan, landing, landing_arg, careful);
}

COLD PyObject *
enter_carefully(ThreadObject *t, CoroutineObject *co, Ctx *resumer, CoState from_state,
                int hold, PyObject *value, stackful_landing_fn landing, void *landing_arg)
{
    return enter(t, co, resumer, from_state, hold, value, landing, landing_arg, 1);
}

/* The switch path for the state it is in: plain (inline) or careful (out of line). */
INLINE PyObject *
enter_as_needed(ThreadObject *t, CoroutineObject *co, Ctx *resumer, CoState from_state,
                int hold, PyObject *value, stackful_landing_fn landing, void *landing_arg)
{
    if (LIKELY(switch_is_plain(t, t->current, &co->ctx)))
        return enter(t, co, resumer, from_state, hold, value, landing, landing_arg, 0);
    return enter_carefully(t, co, resumer, from_state, hold, value, landing, landing_arg);
}

/* ctx_check_enterable's common case, inline on the switch path. */
INLINE ThreadObject *
check_enterable(CoroutineObject *co, const char *verb)
{
    ThreadObject *t = stackful_tls_thread;
    if (LIKELY(t != NULL && co->thread == t && co->ctx.state == STATE_SUSPENDED))
        return t;
    return ctx_check_enterable(co, verb);
}

/* The caller (resume, next, ...) holds co for the whole call: no chain reference. */
PyObject *
ctx_resume(CoroutineObject *co, PyObject *value, const char *verb,
           stackful_landing_fn landing, void *landing_arg)
{
    ThreadObject *t = check_enterable(co, verb);
    if (t == NULL) {
        Py_XDECREF(value);
        return NULL;
    }
    return enter_as_needed(t, co, t->current, STATE_NORMAL, 0, value, landing, landing_arg);
}

/* Coroutine.resume() and a Generator's __next__, the entry points on every round trip's
 * path: each checks and switches in one function. */
PyObject *
ctx_resume_method(CoroutineObject *co, PyObject *const *args, Py_ssize_t nargs)
{
    if (UNLIKELY(nargs > 1))
        return stackful_too_many_args("resume", nargs, 1);
    PyObject *value = nargs ? args[0] : Py_None;
    if (UNLIKELY(!co->started) && value != Py_None && co->ctx.state == STATE_SUSPENDED) {
        PyErr_SetString(PyExc_TypeError,
                        "can't send non-None value to a just-started coroutine");
        return NULL;
    }
    ThreadObject *t = check_enterable(co, "resume");
    if (UNLIKELY(t == NULL))
        return NULL;
    return enter_as_needed(t, co, t->current, STATE_NORMAL, 0, Py_NewRef(value),
                           ctx_land_resumed, t);
}

COLD PyObject *
generator_already_executing(void)
{
    PyErr_SetString(PyExc_ValueError, "generator already executing");
    return NULL;
}

PyObject *
ctx_generator_next(CoroutineObject *co)
{
    CoState state = co->ctx.state;
    if (UNLIKELY(state != STATE_SUSPENDED)) {
        if (state == STATE_DEAD)
            return NULL;               /* exhausted */
        return generator_already_executing();
    }
    ThreadObject *t = check_enterable(co, "resume");
    if (UNLIKELY(t == NULL))
        return NULL;
    return enter_as_needed(t, co, t->current, STATE_NORMAL, 0, Py_NewRef(Py_None),
                           generator_land_next, co);
}

PyObject *
ctx_finish_to(PyObject *Py_UNUSED(module), PyObject *target)
{
    ThreadObject *t = stackful_tls_thread;
    if (t == NULL || t->current->co == NULL)
        return coroutine_error("cannot set a successor outside a coroutine");
    CoroutineObject *cur = t->current->co;
    if (target == Py_None) {
        Py_CLEAR(cur->finish_to);
        Py_RETURN_NONE;
    }
    if (!PyObject_TypeCheck(target, &StackfulCoroutineType)) {
        PyErr_Format(PyExc_TypeError,
                     "finish_to() argument must be stackful.Coroutine or None, not %.200s",
                     Py_TYPE(target)->tp_name);
        return NULL;
    }
    CoroutineObject *co = (CoroutineObject *)target;
    if (co == cur)
        return coroutine_error("cannot finish into the finishing coroutine itself");
    if (co->thread != t)
        return coroutine_error("cannot finish into a coroutine of another thread");
    if (co->is_generator || cur->is_generator)
        return coroutine_error("cannot finish into or out of a stackful generator");
    Py_XSETREF(cur->finish_to, (CoroutineObject *)Py_NewRef(target));
    Py_RETURN_NONE;
}

ThreadObject *
ctx_check_transfer(CoroutineObject *co)
{
    ThreadObject *t = ctx_check_enterable(co, "transfer to");
    if (t == NULL)
        return NULL;
    Ctx *cur = t->current;
    if (co->is_generator || (cur->co != NULL && cur->co->is_generator)) {
        PyErr_SetString(StackfulCoroutineError,
                        "cannot transfer into or out of a stackful generator");
        return NULL;
    }
    if (UNLIKELY(cur->rare & CTX_RARE_CLOSING)) {
        coroutine_close_again(cur->co);
        return NULL;
    }
    if (cur->co != NULL && ctx_check_leavable(t, "transfer") < 0)
        return NULL;
    return t;
}

PyObject *
ctx_transfer(CoroutineObject *co, PyObject *value, PyObject *const *args_end)
{
    ThreadObject *t = ctx_check_transfer(co);
    if (t == NULL) {
        Py_XDECREF(value);
        return NULL;
    }
    Ctx *cur = t->current;
    if (cur->co == NULL) {
        /* The main context has no resumer to hand on: it waits, as in resume(). */
        return enter_as_needed(t, co, cur, STATE_NORMAL, 0, value, ctx_land_resumed, t);
    }
    /* The target takes the current coroutine's place on the chain. */
    cur->co->suspended_args_end = args_end;
    return enter_as_needed(t, co, cur->resumer, STATE_SUSPENDED, 1, value, ctx_land_resumed,
                           t);
}

INLINE PyObject *
yield_steps(ThreadObject *t, PyObject *value, const char *verb, int careful)
{
    Ctx *cur = t->current;
    Ctx *to = cur->resumer;
    int plan;
    if (careful && (cur->rare & CTX_RARE_CLOSING))
        return coroutine_close_again(cur->co);
    if ((careful && ctx_check_leavable(t, verb) < 0) ||
        (plan = switch_prepare(t, to, careful)) < 0)
        return NULL;
    ctx_set_state(cur, STATE_SUSPENDED);
    cur->resumer = NULL;
    ctx_set_state(to, STATE_RUNNING);
    if (UNLIKELY(cur->held)) {
        t->release = (PyObject *)cur->co;
        t->after_work = 1;
        cur->held = 0;
    }
    return switch_to(t, to, Py_NewRef(value), plan, ctx_land_resumed, t, careful);
}

COLD PyObject *
yield_carefully(ThreadObject *t, PyObject *value, const char *verb)
{
    return yield_steps(t, value, verb, 1);
}

INLINE PyObject *
yield_to_resumer(ThreadObject *t, PyObject *value, const char *verb)
{
    Ctx *cur = t->current;
    if (LIKELY(switch_is_plain(t, cur, cur->resumer)))
        return yield_steps(t, value, verb, 0);
    return yield_carefully(t, value, verb);
}

/* suspend() and emit(), the functions that leave the running coroutine: each checks
 * what kind of coroutine may call it, then switches, all in one function (they are on
 * every round trip's path). */
PyObject *
ctx_suspend_function(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (UNLIKELY(nargs > 1))
        return stackful_too_many_args("suspend", nargs, 1);
    ThreadObject *t = stackful_tls_thread;
    if (UNLIKELY(t == NULL || t->current == &t->main))
        return coroutine_error("cannot suspend outside a coroutine");
    if (UNLIKELY(t->current->co->is_generator)) {
        /* Its resumer is the consumer's next(): a suspend would look like an item. */
        return coroutine_error("cannot suspend a stackful generator: use stackful.emit() "
                                  "to produce an item, or run suspending code in a "
                                  "Coroutine");
    }
    t->current->co->suspended_args_end = args + nargs;
    return yield_to_resumer(t, nargs ? args[0] : Py_None, "suspend");
}

PyObject *
ctx_emit_function(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (UNLIKELY(nargs > 1))
        return stackful_too_many_args("emit", nargs, 1);
    ThreadObject *t = stackful_tls_thread;
    if (UNLIKELY(t == NULL || t->current->co == NULL || !t->current->co->is_generator))
        return coroutine_error("cannot emit outside a stackful generator (emit() must "
                                  "run inside a function decorated with "
                                  "@stackful.generator)");
    t->current->co->suspended_args_end = args + nargs;
    return yield_to_resumer(t, nargs ? args[0] : Py_None, "emit");
}

/* A C function called as a coroutine's function runs with no Python frame at all (the
 * coroutine's chain starts empty), and builtins that read their caller's frame
 * (globals(), locals(), vars(), dir(), super()) fail with an internal SystemError, as
 * they would in a thread started with _thread.start_new_thread(globals, ()). Say what
 * happened instead: the SystemError, with no traceback (no Python code ran), becomes a
 * CoroutineError that says what to do, its cause the original. */
COLD void
explain_frameless_failure(CoroutineObject *co)
{
    if (PyFunction_Check(co->fn) || !PyErr_ExceptionMatches(PyExc_SystemError))
        return;
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    if (tb != NULL) {
        PyErr_Restore(type, value, tb);
        return;
    }
    PyErr_NormalizeException(&type, &value, &tb);
    PyErr_Format(StackfulCoroutineError,
                 "%R found no calling Python frame: a coroutine's function is called "
                 "from C, and this one needs a Python caller; call it from a Python "
                 "function, e.g. Coroutine(lambda: fn())", co->fn);
    PyObject *t2, *v2, *tb2;
    PyErr_Fetch(&t2, &v2, &tb2);
    PyErr_NormalizeException(&t2, &v2, &tb2);
    if (value != NULL) {
        PyException_SetCause(v2, Py_NewRef(value));
        PyException_SetContext(v2, value);
    }
    PyErr_Restore(t2, v2, tb2);
    Py_XDECREF(type);
    Py_XDECREF(tb);
}

COLD PyObject *
unexpected_call_result(CoroutineObject *co, PyObject *result)
{
    if (result == NULL) {
        PyErr_Format(PyExc_SystemError, "%R returned NULL without setting an exception",
                     co->fn);
        return NULL;
    }
    Py_DECREF(result);
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    PyErr_Format(PyExc_SystemError, "%R returned a result with an exception set", co->fn);
    PyObject *t2, *v2, *tb2;
    PyErr_Fetch(&t2, &v2, &tb2);
    PyErr_NormalizeException(&t2, &v2, &tb2);
    if (value != NULL)
        PyException_SetCause(v2, value);
    Py_XDECREF(type);
    Py_XDECREF(tb);
    PyErr_Restore(t2, v2, tb2);
    return NULL;
}

/* fn(*args, **kwargs), called straight through its vectorcall when it has one: every
 * frame of this call stays under the coroutine's suspensions, in the bytes a share
 * stack copies. The function gets the arguments borrowed (co keeps them), and its
 * result is checked as CPython checks a C function's. */
INLINE PyObject *
call_function(CoroutineObject *co)
{
    Py_ssize_t nkw = co->kwnames ? PyTuple_GET_SIZE(co->kwnames) : 0;
    PyObject *const *argv = &PyTuple_GET_ITEM(co->args, 0);
    size_t nargs = (size_t)(PyTuple_GET_SIZE(co->args) - nkw);
    vectorcallfunc call = PyVectorcall_Function(co->fn);
    if (call == NULL)
        return PyObject_Vectorcall(co->fn, argv, nargs, co->kwnames);
    PyObject *result = call(co->fn, argv, nargs, co->kwnames);
    if (UNLIKELY((result == NULL) != (PyErr_Occurred() != NULL)))
        return unexpected_call_result(co, result);
    return result;
}

/* The bottom of every coroutine's C stack. Never returns: the last switch away from a
 * finished coroutine never comes back. */
_Noreturn void *
coroutine_entry(void *first_value, void *Py_UNUSED(arg))
{
    ThreadObject *t = stackful_tls_thread;
    PyObject *value = ctx_after_switch(t, (PyObject *)first_value);
    CoroutineObject *co = t->current->co;
    PyObject *result;
    if (value == NULL) {
        result = NULL;    /* its predecessor's exception (finish_to): it ends with it */
    }
    else {
        Py_DECREF(value);     /* None: the first resume's value */
        pystate_warm_entry(co->fn);
        result = call_function(co);
        Py_CLEAR(co->args);
        Py_CLEAR(co->kwnames);
        if (result == NULL)
            explain_frameless_failure(co);
    }
    /* Its successor (lowlevel.finish_to), if one is set and can take its place now
     * (an unstarted one starts, as a transfer starts it); then what finishing into it
     * needs, reserved (a failure is a MemoryError in the resumer instead). Python code
     * may run while either is given up, not after. */
    int plan;
    CoroutineObject *next = co->finish_to;
    co->finish_to = NULL;
    if (next != NULL && !(next->ctx.state == STATE_SUSPENDED && next->thread == t)) {
        Py_DECREF(next);
        next = NULL;
    }
    if (next != NULL && ((!next->started && prepare_start(next) < 0) ||
                         (plan = switch_prepare(t, &next->ctx, 1)) < 0)) {
        Py_XDECREF(result);
        result = NULL;
        Py_DECREF(next);
        next = NULL;
    }
    Ctx *to = co->ctx.resumer;
    if (next != NULL) {
        /* It takes the finished one's place on the chain, which holds it (with the
         * reference finish_to took). */
        next->ctx.resumer = to;
        next->ctx.held = 1;
        next->ctx.entered_in_gc = co->ctx.entered_in_gc;
        pystate_enter_in_place_of(&next->ctx.py, &co->ctx.py);
        to = &next->ctx;
    }
    ctx_set_state(&co->ctx, STATE_DEAD);
    co->ctx.resumer = NULL;
    ctx_set_state(to, STATE_RUNNING);
    t->finished = co;
    t->release = co->ctx.held ? (PyObject *)co : NULL;
    t->after_work = 1;
    co->ctx.held = 0;
    /* Cannot fail: a finished coroutine's bytes are not saved, and whoever owns its
     * resumer's stack reserved its copy-out when it last left (reserve_for_leaving).
     * Never resumed: no landing. */
    int careful = !switch_is_plain(t, &co->ctx, to);
    if (next == NULL && (plan = switch_prepare(t, to, careful)) < 0)
        Py_FatalError("stackful: a finishing coroutine's switch had nothing reserved "
                      "(bug in stackful)");
    if (careful)
        switch_to(t, to, result, plan, NULL, NULL, 1);
    else
        switch_to(t, to, result, plan, NULL, NULL, 0);
    Py_FatalError("stackful: a finished coroutine was resumed");
}
