/* selftest.c -- a self-test of the context switch: see selftest.h for what it proves.
 *
 * How. Two contexts, the caller ("main") and a coroutine made by stackful_init_context,
 * hand control back and forth four times through a probe (stackful_selftest_probe, in
 * assembly in the per-ABI header). Each probe call
 *   1. saves its own C caller's callee-saved registers and control words in its own
 *      frame (so nothing depends on the switch under test to get them back),
 *   2. loads a set of patterns, distinct per register and per probe call, into every
 *      callee-saved register and a non-default value into every control word,
 *   3. calls stackful_switch, with or without a landing; the other side runs its own
 *      probe, which loads *different* patterns and control words and switches back
 *      (the switch back first runs the landing this probe suspended with, if any),
 *   4. records what every callee-saved register and control word holds now, and what
 *      stackful_switch returned,
 *   5. gives its caller back its registers and control words, and returns.
 * So a register the switch forgets to save, saves to the wrong slot, or restores from
 * the wrong slot shows up as a value the other side loaded, named register by register.
 *
 * The switch has two ways back into a context: without a landing it returns the value
 * passed; with one it restores the registers, calls the landing (here st_probe_landing,
 * an ordinary C function) on the resumed context's stack, and returns what the landing
 * returned. Every run checks both, register by register: alternately, the probes of one
 * side suspend with st_probe_landing and those of the other without a landing (the
 * caller's probes 0 and 2 with it in the runs with an even offset of `top`, the
 * coroutine's probes 1 and 3 in those with an odd one). The landing that runs is the
 * one the RESUMED context suspended with, and what a probe records is what its own
 * context got back when resumed: so a probe that suspended with the landing checks the
 * landing path, the others the direct one. st_probe_landing records its call (value,
 * arg, the stack it ran on) and returns a token of its own, which the resumed probe's
 * stackful_switch must return.
 *
 *   main                                    coroutine
 *   probe 0 (patterns A) -- switch ------>  (first landing: stackful_selftest_entry
 *                                            records sp, fp, control words, its
 *                                            value and arg)
 *                        <------ switch --  probe 1 (patterns B)
 *   check A, entry state
 *   probe 2 (patterns C) -- switch ------>  ... probe 1 returns: check B (later)
 *                        <------ switch --  probe 3 (patterns D)
 *   check B, C
 *
 * Probe 0 resumes from a frame stackful_switch built on the caller's stack, probe 1 from
 * one it built on a coroutine stack, and the first entry from the one
 * stackful_init_context built.
 *
 * Then the landing contract, in C (st_check_landing): a new coroutine's entry gets the
 * value of the first switch and the arg of stackful_init_context; the coroutine
 * suspends with a landing, the caller resumes it and itself suspends with another; each
 * landing must run once, on its own context's stack, with (the value passed, its
 * landing_arg), before its stackful_switch returns, which must return what the landing
 * returned. A switch without a landing must return the value passed.
 *
 * All of it runs once for each of the 16 alignments of `top`. The C code that runs in
 * a context finds the run through a thread-local pointer, never through the value or
 * arg it was handed: a wrong value or arg is reported, not followed.
 */
#include "switch.h"
#include "selftest.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_STR_(x) #x
#define ST_STR(x) ST_STR_(x)

/* One probe call's inputs and outputs. The assembly uses the ST_OFF_* offsets. */
struct st_probe {
    const uint64_t *load;  /* patterns to load before the switch (ST_NSLOTS) */
    uint64_t *out;         /* what the registers held after it (ST_NSLOTS) */
    void *value;           /* stackful_switch's arguments */
    void **save_sp;
    void *new_sp;
    void *ret;             /* stackful_switch's return value */
    uint64_t sp_before;    /* sp just before the call to stackful_switch ... */
    uint64_t sp_after;     /* ... and just after it returned */
    stackful_landing_fn landing;  /* stackful_switch's 4th and 5th arguments: what runs */
    void *landing_arg;            /* when this probe's context is resumed (NULL: none) */
};
#define ST_OFF_LOAD 0
#define ST_OFF_OUT 8
#define ST_OFF_VALUE 16
#define ST_OFF_SAVE_SP 24
#define ST_OFF_NEW_SP 32
#define ST_OFF_RET 40
#define ST_OFF_SP_BEFORE 48
#define ST_OFF_SP_AFTER 56
#define ST_OFF_LANDING 64
#define ST_OFF_LANDING_ARG 72
_Static_assert(offsetof(struct st_probe, load) == ST_OFF_LOAD, "asm offset");
_Static_assert(offsetof(struct st_probe, out) == ST_OFF_OUT, "asm offset");
_Static_assert(offsetof(struct st_probe, value) == ST_OFF_VALUE, "asm offset");
_Static_assert(offsetof(struct st_probe, save_sp) == ST_OFF_SAVE_SP, "asm offset");
_Static_assert(offsetof(struct st_probe, new_sp) == ST_OFF_NEW_SP, "asm offset");
_Static_assert(offsetof(struct st_probe, ret) == ST_OFF_RET, "asm offset");
_Static_assert(offsetof(struct st_probe, sp_before) == ST_OFF_SP_BEFORE, "asm offset");
_Static_assert(offsetof(struct st_probe, sp_after) == ST_OFF_SP_AFTER, "asm offset");
_Static_assert(offsetof(struct st_probe, landing) == ST_OFF_LANDING, "asm offset");
_Static_assert(offsetof(struct st_probe, landing_arg) == ST_OFF_LANDING_ARG,
               "asm offset");

/* What the coroutine's entry function saw at its first instruction (the assembly
 * entry hands it to stackful_selftest_entry_c in registers). */
struct st_seen {
    unsigned calls;        /* how many times the entry function ran */
    void *value, *arg;     /* its arguments */
    uint64_t sp;
    uint64_t fp;
    uint64_t ctl[2];       /* control words, in the order of the probe's ctl slots */
};

#if defined(__x86_64__) && !defined(_WIN32)
#  include "selftest_x86_64.h"
#elif defined(__aarch64__) && !defined(_WIN32)
#  include "selftest_aarch64.h"
#else
#  error "stackful has a context switch for x86-64 System V and AArch64 (AAPCS64) only"
#endif

_Static_assert(ST_NCTL <= 2, "struct st_seen has room for two control words");

#define ST_HIDDEN __attribute__((visibility("hidden")))
/* In the ABI header's assembly. */
ST_HIDDEN void stackful_selftest_probe(struct st_probe *p);
ST_HIDDEN void *stackful_selftest_entry(void *value, void *arg);
/* Called by stackful_selftest_entry, on the coroutine stack, with the entry's value
 * and arg and what it saw at its first instruction: sp, the frame pointer and the
 * control words (ctl1: 0 if the ABI has only one). `used`: only assembly calls it,
 * which link-time optimisation does not see. */
ST_HIDDEN __attribute__((used)) _Noreturn void
stackful_selftest_entry_c(void *value, void *arg, uint64_t sp, uint64_t fp, uint64_t ctl0,
                          uint64_t ctl1);

enum { ST_NPROBES = 4 };

/* Tokens of the landing check: distinct addresses, passed as values and returned by
 * landings, so that each can be told from the others. */
enum {
    ST_TOK_V0,              /* main -> new coroutine (its entry's value) */
    ST_TOK_V1,              /* coroutine -> main */
    ST_TOK_V2,              /* main -> coroutine (its landing's value) */
    ST_TOK_V3,              /* coroutine -> main (main's landing's value) */
    ST_TOK_CTX_RESULT,      /* what the coroutine's landing returns */
    ST_TOK_MAIN_RESULT,     /* what main's landing returns */
    ST_NTOK
};

/* What one call of an entry function or landing saw. */
struct st_landed {
    unsigned calls;
    unsigned step;          /* st_landing.step when it ran: the order of events */
    void *value, *arg;      /* its arguments */
    uintptr_t local;        /* the address of one of its locals: the stack it ran on */
};

/* State of the landing check (st_check_landing). */
struct st_landing {
    unsigned char tok[ST_NTOK];
    uintptr_t lo, hi;                    /* the coroutine's stack, [lo, hi) */
    uintptr_t mark;                      /* a local of the function that switches on
                                          * the caller's stack */
    void *main_sp, *ctx_sp;              /* each side, while suspended */
    unsigned step;                       /* counts events, to check their order */
    struct st_landed entry, ctx_landing, main_landing;
    void *ctx_got;                       /* what the coroutine's switch returned ... */
    unsigned ctx_after;                  /* ... at this step */
    void *main_got0, *main_got1;         /* what main's two switches returned */
    unsigned main_resume, main_after;    /* steps: main resumes the coroutine; main's
                                          * second switch returned */
};

struct st_run {
    struct st_seen seen;                 /* stackful_selftest_entry_c writes it */
    struct st_probe probe[ST_NPROBES];
    uint64_t load[ST_NPROBES][ST_NSLOTS];
    uint64_t out[ST_NPROBES][ST_NSLOTS];
    void *main_sp;                       /* the caller, while suspended */
    void *ctx_sp;                        /* the coroutine, while suspended */
    uintptr_t lo, hi;                    /* the probes' coroutine stack, [lo, hi) */
    unsigned resuming;                   /* the probe the next switch resumes (set before
                                          * each probe call; ST_NPROBES: none) */
    /* The landings of the probes: [k] what ran when probe k was resumed, [ST_NPROBES]
     * any call while no probe was being resumed. */
    struct st_landed probe_landed[ST_NPROBES + 1];
    unsigned char probe_tok[ST_NPROBES][2];  /* [k][0]: probe k's landing_arg; [k][1]:
                                              * what its landing returns */
    struct st_landing landing;
};

/* The run in progress on this thread: what code running in a context of the test uses
 * (its value and arg are under test, so it does not follow them). */
static _Thread_local struct st_run *st_now;

/* Where each checked probe runs, for the messages (st_check_probe adds whether it was
 * resumed through a landing). Probe 3 is never resumed. */
static const char *const st_where[ST_NPROBES] = {
    "on the caller's stack, across a switch to a new context and back",
    "on the coroutine stack, across a switch to the caller and back",
    "on the caller's stack, across a switch to a suspended coroutine and back",
    "on the coroutine stack, final switch",
};
static const char *const st_who[ST_NPROBES] = {
    "the caller", "the coroutine", "the caller", "the coroutine",
};

#define ST_STACK_SIZE (64 * 1024)
#define ST_GUARD 64            /* bytes above the highest `top`, must stay untouched */
#define ST_WINDOW 1024         /* bytes below top - STACKFUL_INIT_FRAME_SIZE, likewise */
#define ST_CANARY 0xa5

/* Pattern for data slot i in probe k: nonzero, distinct for every (k, i), not a
 * plausible pointer, and readable in a message: 0xKjjj_f00d_cafe_0kii with K = 0xa + k,
 * jjj = i + 1, ii = i. */
static uint64_t
st_pattern(unsigned k, unsigned i)
{
    return ((uint64_t)(0xau + k) << 60) | ((uint64_t)(i + 1u) << 48)
           | UINT64_C(0x0000f00dcafe0000) | ((uint64_t)k << 8) | (uint64_t)i;
}

__attribute__((format(printf, 3, 4)))
static int
st_fail(char *msg, size_t msg_size, const char *fmt, ...)
{
    if (msg != NULL && msg_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* If `got` is a value some probe loaded, say which: that names the slot mix-up. */
static void
st_origin(const struct st_run *r, unsigned slot, uint64_t got, char *buf, size_t size)
{
    buf[0] = '\0';
    if (slot < ST_NDATA) {
        for (unsigned k = 0; k < ST_NPROBES; k++)
            for (unsigned i = 0; i < ST_NDATA; i++)
                if (r->load[k][i] == got) {
                    snprintf(buf, size, "; that is the value %s loaded into %s",
                             st_who[k], st_slot_name[i]);
                    return;
                }
        return;
    }
    uint64_t mask = st_ctl_mask[slot - ST_NDATA];
    for (unsigned k = 0; k < ST_NPROBES; k++)
        if (((r->load[k][slot] ^ got) & mask) == 0) {
            snprintf(buf, size, "; that is the value %s set", st_who[k]);
            return;
        }
}

/* Probe k's registers, sp and return value, as its context got them back when it was
 * resumed (by probe k + 1), through the landing it suspended with or directly. */
static int
st_check_probe(const struct st_run *r, unsigned k, char *msg, size_t msg_size)
{
    const struct st_probe *p = &r->probe[k];
    const struct st_landed *l = &r->probe_landed[k];
    void *passed = r->probe[k + 1].value;     /* by the context that switched back */
    const char *how = p->landing != NULL
        ? "; resumed through the landing it suspended with"
        : "; resumed without a landing";
    char origin[96];
    for (unsigned i = 0; i < ST_NSLOTS; i++) {
        uint64_t mask = i < ST_NDATA ? ~(uint64_t)0 : st_ctl_mask[i - ST_NDATA];
        uint64_t want = r->load[k][i], got = r->out[k][i];
        if (((want ^ got) & mask) == 0)
            continue;
        st_origin(r, i, got, origin, sizeof origin);
        if (i < ST_NDATA)
            return st_fail(msg, msg_size,
                           "%s not preserved: expected 0x%016" PRIx64 ", got 0x%016"
                           PRIx64 " (%s%s%s)", st_slot_name[i], want, got, st_where[k],
                           how, origin);
        return st_fail(msg, msg_size,
                       "%s not preserved: expected 0x%" PRIx64 ", got 0x%" PRIx64
                       " (compared bits 0x%" PRIx64 ", %s%s%s)", st_slot_name[i], want,
                       got, mask, st_where[k], how, origin);
    }
    if (p->sp_after != p->sp_before)
        return st_fail(msg, msg_size,
                       ST_SP_NAME " not preserved: expected 0x%016" PRIx64 ", got 0x%016"
                       PRIx64 " (%s%s)", p->sp_before, p->sp_after, st_where[k], how);
    if (p->landing == NULL) {
        if (l->calls != 0)
            return st_fail(msg, msg_size,
                           "a landing ran %u times when %s was resumed, which suspended "
                           "without one (%s)", l->calls, st_who[k], st_where[k]);
        if (p->ret != passed)
            return st_fail(msg, msg_size,
                           "stackful_switch with no landing returned %p, expected %p, "
                           "the value passed by the context that switched back (%s)",
                           p->ret, passed, st_where[k]);
        return 0;
    }
    if (l->calls != 1)
        return st_fail(msg, msg_size,
                       "the landing %s suspended with ran %u times when it was resumed, "
                       "expected once (%s)", st_who[k], l->calls, st_where[k]);
    if (l->value != passed || l->arg != p->landing_arg)
        return st_fail(msg, msg_size,
                       "the landing %s suspended with was called with value %p, arg %p; "
                       "expected value %p (passed by the context that switched to it) "
                       "and arg %p (the landing_arg it suspended with) (%s)", st_who[k],
                       l->value, l->arg, passed, p->landing_arg, st_where[k]);
    /* Odd probes run on the coroutine's stack, even ones on the caller's. */
    int on_ctx = l->local >= r->lo && l->local < r->hi;
    if (on_ctx != (int)(k % 2u))
        return st_fail(msg, msg_size,
                       "the landing %s suspended with ran on the wrong stack: a local of "
                       "it is at 0x%" PRIxPTR ", %s the coroutine's stack [0x%" PRIxPTR
                       ", 0x%" PRIxPTR ") (%s)", st_who[k], l->local,
                       on_ctx ? "inside" : "outside", r->lo, r->hi, st_where[k]);
    if (p->ret != (const void *)&r->probe_tok[k][1])
        return st_fail(msg, msg_size,
                       "stackful_switch returned %p in %s, resumed with a landing, "
                       "expected %p, what the landing returned (the value passed was %p) "
                       "(%s)", p->ret, st_who[k], (const void *)&r->probe_tok[k][1],
                       passed, st_where[k]);
    return 0;
}

/* What a fresh context saw at the first instruction of its entry function. */
static int
st_check_entry(const struct st_run *r, uintptr_t top, const uint64_t live[ST_NCTL],
               char *msg, size_t msg_size)
{
    const struct st_seen *s = &r->seen;
    if (s->calls != 1)
        return st_fail(msg, msg_size,
                       "a new context's entry function ran %u times by the time the "
                       "first switch to it came back, expected once", s->calls);
    if (s->value != r->probe[0].value || s->arg != (const void *)r)
        return st_fail(msg, msg_size,
                       "a new context's entry function was called with value %p, arg %p; "
                       "expected value %p (passed by the first switch to it) and arg %p "
                       "(given to stackful_init_context)", s->value, s->arg,
                       r->probe[0].value, (const void *)r);
    unsigned rem = (unsigned)(s->sp % 16u);
    if (rem != ST_ENTRY_SP_MOD16)
        return st_fail(msg, msg_size,
                       "entry stack misaligned: " ST_SP_NAME " %% 16 == %u at the entry "
                       "function's first instruction (%s; top %% 16 == %u)", rem,
                       ST_ENTRY_SP_RULE, (unsigned)(top % 16u));
    /* The entry starts at the (16-byte aligned) top of its stack: above its sp there is
     * its return address (x86-64) and nothing else -- no frame of the switch stays under
     * every coroutine's stack (which share stacks would copy and memory would count). */
    if (s->sp + ST_ENTRY_SP_IN_USE != (top & ~(uintptr_t)15))
        return st_fail(msg, msg_size,
                       "entry " ST_SP_NAME " 0x%" PRIx64 " is not at the aligned top "
                       "0x%" PRIxPTR " (less %u bytes of return address): the stack "
                       "under a new context's entry must be empty", s->sp,
                       top & ~(uintptr_t)15, ST_ENTRY_SP_IN_USE);
    if (s->fp != 0)
        return st_fail(msg, msg_size,
                       ST_FP_NAME " is 0x%016" PRIx64 " at a new context's entry, "
                       "expected 0 (the end of the frame-pointer chain; the switch must "
                       "restore the incoming context's registers before it calls the "
                       "landing)", s->fp);
    for (unsigned j = 0; j < ST_NCTL; j++) {
        uint64_t mask = st_ctl_mask[j];
        if (((s->ctl[j] ^ live[j]) & mask) != 0)
            return st_fail(msg, msg_size,
                           "%s not set up for a new context: it starts with 0x%" PRIx64
                           ", expected 0x%" PRIx64 " (the creating thread's; the context "
                           "that switched to it had 0x%" PRIx64 ", compared bits 0x%"
                           PRIx64 ")", st_slot_name[ST_NDATA + j], s->ctl[j], live[j],
                           r->load[0][ST_NDATA + j], mask);
    }
    return 0;
}

/* The landing of the probes that suspend with one: an ordinary C function, which the
 * switch calls on the resumed probe's stack after restoring its registers and before
 * its stackful_switch returns. It records the call under the probe being resumed (told
 * by st_run.resuming, not by value or arg: those are under test) and returns a token
 * of that probe, which the probe's stackful_switch must return. */
static void *
st_probe_landing(void *value, void *arg)
{
    struct st_run *r = st_now;
    unsigned k = r->resuming < ST_NPROBES ? r->resuming : ST_NPROBES;
    struct st_landed *l = &r->probe_landed[k];
    unsigned char here;
    l->calls++;
    l->value = value;
    l->arg = arg;
    l->local = (uintptr_t)&here;
    return k < ST_NPROBES ? (void *)&r->probe_tok[k][1] : NULL;
}

void
stackful_selftest_entry_c(void *value, void *arg, uint64_t sp, uint64_t fp, uint64_t ctl0,
                          uint64_t ctl1)
{
    struct st_run *r = st_now;                /* not arg: it is under test */
    r->seen.calls++;
    r->seen.value = value;
    r->seen.arg = arg;
    r->seen.sp = sp;
    r->seen.fp = fp;
    r->seen.ctl[0] = ctl0;
    r->seen.ctl[1] = ctl1;
    r->probe[1].new_sp = r->main_sp;
    r->resuming = 0;                          /* probe 1's switch resumes probe 0 */
    stackful_selftest_probe(&r->probe[1]);    /* returns when probe 2 switches back */
    for (;;) {                                /* an entry function never returns */
        r->probe[3].new_sp = r->main_sp;
        r->resuming = 2;                      /* probe 3's switch resumes probe 2 */
        stackful_selftest_probe(&r->probe[3]);
    }
}

/* ---- The landing contract (switch.h), in C ------------------------------------ */

static void
st_record(struct st_landing *t, struct st_landed *l, void *value, void *arg,
          uintptr_t local)
{
    l->calls++;
    l->step = ++t->step;
    l->value = value;
    l->arg = arg;
    l->local = local;
}

/* The landing the coroutine suspends with: must run on the coroutine's stack. */
static void *
st_ctx_landing(void *value, void *arg)
{
    struct st_landing *t = &st_now->landing;  /* not arg: it is under test */
    unsigned char here;
    st_record(t, &t->ctx_landing, value, arg, (uintptr_t)&here);
    return &t->tok[ST_TOK_CTX_RESULT];
}

/* The landing the caller suspends with: must run on the caller's stack. */
static void *
st_main_landing(void *value, void *arg)
{
    struct st_landing *t = &st_now->landing;
    unsigned char here;
    st_record(t, &t->main_landing, value, arg, (uintptr_t)&here);
    return &t->tok[ST_TOK_MAIN_RESULT];
}

/* The coroutine of the landing check. */
static _Noreturn void *
st_landing_entry(void *value, void *arg)
{
    struct st_landing *t = &st_now->landing;
    unsigned char here;
    st_record(t, &t->entry, value, arg, (uintptr_t)&here);
    t->ctx_got = stackful_switch(&t->tok[ST_TOK_V1], &t->ctx_sp, t->main_sp,
                                 st_ctx_landing, &t->ctx_landing);
    t->ctx_after = ++t->step;
    for (;;)                        /* an entry function never returns; this context is
                                     * not resumed again */
        stackful_switch(&t->tok[ST_TOK_V3], &t->ctx_sp, t->main_sp, NULL, NULL);
}

/* One landing call `l` of `who`, which ran on the stack [lo, hi) (`stack` names it)
 * and should have been called once, at step want_step, with (want_value, want_arg),
 * its switch returning `got` at step after_step. */
static int
st_check_landed(const struct st_landed *l, const char *who, uintptr_t lo, uintptr_t hi,
                const char *stack, void *want_value, void *want_arg, unsigned want_step,
                void *got, void *want_got, unsigned after_step, char *msg,
                size_t msg_size)
{
    if (l->calls != 1)
        return st_fail(msg, msg_size,
                       "the landing %s suspended with ran %u times when it was resumed, "
                       "expected once", who, l->calls);
    if (l->value != want_value || l->arg != want_arg)
        return st_fail(msg, msg_size,
                       "the landing %s suspended with was called with value %p, arg %p; "
                       "expected value %p (passed by the context that switched to it) "
                       "and arg %p (the landing_arg it suspended with)", who, l->value,
                       l->arg, want_value, want_arg);
    if (l->local < lo || l->local >= hi)
        return st_fail(msg, msg_size,
                       "the landing %s suspended with ran on the wrong stack: a local of "
                       "it is at 0x%" PRIxPTR ", outside %s [0x%" PRIxPTR ", 0x%" PRIxPTR
                       ")", who, l->local, stack, lo, hi);
    if (l->step != want_step || after_step != want_step + 1)
        return st_fail(msg, msg_size,
                       "the landing %s suspended with did not run first when it was "
                       "resumed: it ran at step %u and its stackful_switch returned at "
                       "step %u, expected steps %u and %u", who, l->step, after_step,
                       want_step, want_step + 1);
    if (got != want_got)
        return st_fail(msg, msg_size,
                       "stackful_switch returned %p in %s, resumed with a landing, "
                       "expected %p, what the landing returned (the value passed was %p)",
                       got, who, want_got, want_value);
    return 0;
}

/* The landing contract, with a coroutine on [stack, top). */
static int
st_check_landing(struct st_landing *t, unsigned char *stack, unsigned char *top,
                 char *msg, size_t msg_size)
{
    unsigned char mark;
    t->lo = (uintptr_t)stack;
    t->hi = (uintptr_t)top;
    t->mark = (uintptr_t)&mark;

    void *sp = stackful_init_context(top, st_landing_entry, t);
    /* To the new coroutine, which suspends with st_ctx_landing and comes back. */
    t->main_got0 = stackful_switch(&t->tok[ST_TOK_V0], &t->main_sp, sp, NULL, NULL);
    t->main_resume = ++t->step;
    /* To the coroutine (its landing runs, then its switch returns), which comes back
     * without a landing of its own: main's landing runs, on main's stack. */
    t->main_got1 = stackful_switch(&t->tok[ST_TOK_V2], &t->main_sp, t->ctx_sp,
                                   st_main_landing, &t->main_landing);
    t->main_after = ++t->step;

    const struct st_landed *e = &t->entry;
    if (e->calls != 1)
        return st_fail(msg, msg_size,
                       "a new context's entry function ran %u times on the first switch "
                       "to it, expected once", e->calls);
    if (e->value != &t->tok[ST_TOK_V0] || e->arg != t)
        return st_fail(msg, msg_size,
                       "a new context's entry function was called with value %p, arg %p; "
                       "expected value %p (passed by the first switch to it) and arg %p "
                       "(given to stackful_init_context)", e->value, e->arg,
                       (void *)&t->tok[ST_TOK_V0], (void *)t);
    if (e->local < t->lo || e->local >= t->hi)
        return st_fail(msg, msg_size,
                       "a new context's entry function ran with a local at 0x%" PRIxPTR
                       ", outside the context's stack [0x%" PRIxPTR ", 0x%" PRIxPTR ")",
                       e->local, t->lo, t->hi);
    if (t->main_got0 != &t->tok[ST_TOK_V1])
        return st_fail(msg, msg_size,
                       "stackful_switch with no landing returned %p, expected %p, the "
                       "value passed by the context that switched back (a coroutine that "
                       "suspended with a landing)", t->main_got0,
                       (void *)&t->tok[ST_TOK_V1]);
    int rc = st_check_landed(&t->ctx_landing, "a coroutine", t->lo, t->hi,
                             "the coroutine's stack", &t->tok[ST_TOK_V2], &t->ctx_landing,
                             t->main_resume + 1, t->ctx_got, &t->tok[ST_TOK_CTX_RESULT],
                             t->ctx_after, msg, msg_size);
    if (rc != 0)
        return rc;
    /* The caller's landing runs below this function's frame, on the caller's stack. */
    uintptr_t window = (uintptr_t)1 << 16;
    uintptr_t main_lo = t->mark > window ? t->mark - window : 0;
    if (t->main_landing.calls == 1 && t->main_landing.local >= t->lo &&
        t->main_landing.local < t->hi)
        return st_fail(msg, msg_size,
                       "the landing the caller suspended with ran on the coroutine's "
                       "stack (a local of it at 0x%" PRIxPTR "), not on the caller's",
                       t->main_landing.local);
    return st_check_landed(&t->main_landing, "the caller", main_lo, t->mark,
                           "the 64 KiB of the caller's stack below the switching frame",
                           &t->tok[ST_TOK_V3], &t->main_landing, t->ctx_after + 1,
                           t->main_got1, &t->tok[ST_TOK_MAIN_RESULT], t->main_after,
                           msg, msg_size);
}

/* One run with top = stack + ST_STACK_SIZE - off. */
static int
st_run_once(unsigned char *stack, unsigned off, char *msg, size_t msg_size)
{
    unsigned char *top = stack + ST_STACK_SIZE - off;
    unsigned char *end = stack + ST_STACK_SIZE + ST_GUARD;
    unsigned char *low = top - STACKFUL_INIT_FRAME_SIZE;
    unsigned char *window = low - ST_WINDOW;
    uintptr_t utop = (uintptr_t)top;
    struct st_run r;
    uint64_t live[ST_NCTL], after[ST_NCTL];
    int rc;

    memset(&r, 0, sizeof r);
    st_now = &r;                              /* reset by the caller */
    st_read_ctl(live);
    memset(window, ST_CANARY, (size_t)(end - window));

    void *sp = stackful_init_context(top, stackful_selftest_entry, &r);

    uintptr_t usp = (uintptr_t)sp;
    if (usp >= utop || usp < utop - STACKFUL_INIT_FRAME_SIZE)
        return st_fail(msg, msg_size,
                       "stackful_init_context returned sp %p, not within "
                       "STACKFUL_INIT_FRAME_SIZE below top %p", sp, (void *)top);
    for (unsigned char *q = window; q < low; q++)
        if (*q != ST_CANARY)
            return st_fail(msg, msg_size,
                           "stackful_init_context wrote %td bytes below top, beyond "
                           "STACKFUL_INIT_FRAME_SIZE (%d)", top - q,
                           STACKFUL_INIT_FRAME_SIZE);
    for (unsigned char *q = top; q < end; q++)
        if (*q != ST_CANARY)
            return st_fail(msg, msg_size,
                           "stackful_init_context wrote at or above top (top + %td)",
                           q - top);

    for (unsigned k = 0; k < ST_NPROBES; k++) {
        for (unsigned i = 0; i < ST_NSLOTS; i++)
            r.load[k][i] = i < ST_NDATA
                ? st_pattern(k, i)
                : st_ctl_variant((int)(i - ST_NDATA), live[i - ST_NDATA], k);
        r.probe[k].load = r.load[k];
        r.probe[k].out = r.out[k];
        r.probe[k].value = &r.probe[k];       /* a token the other side can check */
        r.probe[k].save_sp = (k % 2 == 0) ? &r.main_sp : &r.ctx_sp;
        /* Half the probes suspend with a landing, alternately, so that both ways back
         * into a context are checked in every run, and each on both stacks over the
         * runs: when off is even, the caller's probes (0, 2); when odd, the
         * coroutine's (1, and 3, never resumed). */
        if ((k + off) % 2u == 0) {
            r.probe[k].landing = st_probe_landing;
            r.probe[k].landing_arg = &r.probe_tok[k][0];
        }
    }
    r.lo = (uintptr_t)stack;
    r.hi = utop;
    r.probe[0].new_sp = sp;                   /* probe 0's value: the entry's value */

    r.resuming = ST_NPROBES;                  /* probe 0's switch resumes the entry */
    stackful_selftest_probe(&r.probe[0]);     /* main -> new coroutine -> main */

    if ((rc = st_check_entry(&r, utop, live, msg, msg_size)) != 0)
        return rc;
    if ((rc = st_check_probe(&r, 0, msg, msg_size)) != 0)
        return rc;

    r.probe[2].new_sp = r.ctx_sp;
    r.resuming = 1;                           /* probe 2's switch resumes probe 1 */
    stackful_selftest_probe(&r.probe[2]);     /* main -> suspended coroutine -> main */

    if ((rc = st_check_probe(&r, 1, msg, msg_size)) != 0)
        return rc;
    if ((rc = st_check_probe(&r, 2, msg, msg_size)) != 0)
        return rc;
    if (r.probe_landed[ST_NPROBES].calls != 0)
        return st_fail(msg, msg_size,
                       "a probe's landing ran %u times when no context that suspended "
                       "with it was being resumed", r.probe_landed[ST_NPROBES].calls);

    /* The probes' coroutine is never resumed again: its stack is free for the next. */
    if ((rc = st_check_landing(&r.landing, stack, top, msg, msg_size)) != 0)
        return rc;
    for (unsigned char *q = top; q < end; q++)
        if (*q != ST_CANARY)
            return st_fail(msg, msg_size,
                           "the coroutine's stack was written at or above top "
                           "(top + %td)", q - top);

    /* The probe's own promise to its caller (a self-check of this test). */
    st_read_ctl(after);
    for (unsigned j = 0; j < ST_NCTL; j++)
        if (((after[j] ^ live[j]) & st_ctl_mask[j]) != 0)
            return st_fail(msg, msg_size,
                           "self-test bug: it left %s 0x%" PRIx64 ", was 0x%" PRIx64,
                           st_slot_name[ST_NDATA + j], after[j], live[j]);
    return 0;
}

int
stackful_selftest_switch(char *msg, size_t msg_size)
{
    if (msg != NULL && msg_size > 0)
        msg[0] = '\0';
    unsigned char *stack = malloc(ST_STACK_SIZE + ST_GUARD);
    if (stack == NULL)
        return st_fail(msg, msg_size, "self-test: cannot allocate a %d-byte stack",
                       ST_STACK_SIZE + ST_GUARD);
    int rc = 0;
    /* Every alignment of top: stackful_init_context must align it down itself. */
    for (unsigned off = 0; off < 16 && rc == 0; off++) {
        rc = st_run_once(stack, off, msg, msg_size);
        st_now = NULL;
    }
    free(stack);
    return rc;
}
