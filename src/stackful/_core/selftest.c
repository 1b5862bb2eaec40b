/* selftest.c -- a self-test of the context switch: see selftest.h for what it proves.
 *
 * How. Two contexts, the caller ("main") and a coroutine made by stackful_init_context,
 * hand control back and forth four times through a probe (stackful_selftest_probe, in
 * assembly in the per-ABI header). Each probe call
 *   1. saves its own C caller's callee-saved registers and control words in its own
 *      frame (so nothing depends on the switch under test to get them back),
 *   2. loads a set of patterns, distinct per register and per probe call, into every
 *      callee-saved register and a non-default value into every control word,
 *   3. calls stackful_swap; the other side runs its own probe, which loads *different*
 *      patterns and control words and switches back,
 *   4. records what every callee-saved register and control word holds now,
 *   5. gives its caller back its registers and control words, and returns.
 * So a register the switch forgets to save, saves to the wrong slot, or restores from
 * the wrong slot shows up as a value the other side loaded, named register by register.
 *
 *   main                                    coroutine
 *   probe 0 (patterns A) -- swap -------->  (first entry: stackful_selftest_entry
 *                                            records sp, fp, control words)
 *                        <-------- swap --  probe 1 (patterns B)
 *   check A, entry state
 *   probe 2 (patterns C) -- swap -------->  ... probe 1 returns: check B (later)
 *                        <-------- swap --  probe 3 (patterns D)
 *   check B, C
 *
 * Probe 0 resumes from a frame stackful_swap built on the caller's stack, probe 1 from
 * one it built on a coroutine stack, and the first entry from the one
 * stackful_init_context built. This runs once for each of the 16 alignments of `top`.
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
    void *arg;             /* stackful_swap's arguments */
    void **save_sp;
    void *new_sp;
    void *ret;             /* stackful_swap's return value */
    uint64_t sp_before;    /* sp just before the call to stackful_swap ... */
    uint64_t sp_after;     /* ... and just after it returned */
};
#define ST_OFF_LOAD 0
#define ST_OFF_OUT 8
#define ST_OFF_ARG 16
#define ST_OFF_SAVE_SP 24
#define ST_OFF_NEW_SP 32
#define ST_OFF_RET 40
#define ST_OFF_SP_BEFORE 48
#define ST_OFF_SP_AFTER 56
_Static_assert(offsetof(struct st_probe, load) == ST_OFF_LOAD, "asm offset");
_Static_assert(offsetof(struct st_probe, out) == ST_OFF_OUT, "asm offset");
_Static_assert(offsetof(struct st_probe, arg) == ST_OFF_ARG, "asm offset");
_Static_assert(offsetof(struct st_probe, save_sp) == ST_OFF_SAVE_SP, "asm offset");
_Static_assert(offsetof(struct st_probe, new_sp) == ST_OFF_NEW_SP, "asm offset");
_Static_assert(offsetof(struct st_probe, ret) == ST_OFF_RET, "asm offset");
_Static_assert(offsetof(struct st_probe, sp_before) == ST_OFF_SP_BEFORE, "asm offset");
_Static_assert(offsetof(struct st_probe, sp_after) == ST_OFF_SP_AFTER, "asm offset");

/* What the coroutine's entry function saw at its first instruction. */
struct st_seen {
    uint64_t sp;
    uint64_t fp;
    uint64_t ctl[2];       /* control words, in the order of the probe's ctl slots */
};
#define ST_SEEN_SP 0
#define ST_SEEN_FP 8
#define ST_SEEN_CTL0 16
#define ST_SEEN_CTL1 24
_Static_assert(offsetof(struct st_seen, sp) == ST_SEEN_SP, "asm offset");
_Static_assert(offsetof(struct st_seen, fp) == ST_SEEN_FP, "asm offset");
_Static_assert(offsetof(struct st_seen, ctl) == ST_SEEN_CTL0, "asm offset");
_Static_assert(offsetof(struct st_seen, ctl) + 8 == ST_SEEN_CTL1, "asm offset");

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
ST_HIDDEN void stackful_selftest_entry(void *arg);
/* Called by stackful_selftest_entry, on the coroutine stack. */
ST_HIDDEN void stackful_selftest_entry_c(void *arg);

enum { ST_NPROBES = 4 };

struct st_run {
    struct st_seen seen;                 /* first: stackful_selftest_entry writes it */
    struct st_probe probe[ST_NPROBES];
    uint64_t load[ST_NPROBES][ST_NSLOTS];
    uint64_t out[ST_NPROBES][ST_NSLOTS];
    void *main_sp;                       /* the caller, while suspended */
    void *ctx_sp;                        /* the coroutine, while suspended */
};
_Static_assert(offsetof(struct st_run, seen) == 0, "entry writes at arg + ST_SEEN_*");

/* Where each checked probe runs, for the messages. Probe 3 is never resumed. */
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

static int
st_check_probe(const struct st_run *r, unsigned k, const void *want_ret,
               char *msg, size_t msg_size)
{
    const struct st_probe *p = &r->probe[k];
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
                           PRIx64 " (%s%s)", st_slot_name[i], want, got, st_where[k],
                           origin);
        return st_fail(msg, msg_size,
                       "%s not preserved: expected 0x%" PRIx64 ", got 0x%" PRIx64
                       " (compared bits 0x%" PRIx64 ", %s%s)", st_slot_name[i], want,
                       got, mask, st_where[k], origin);
    }
    if (p->sp_after != p->sp_before)
        return st_fail(msg, msg_size,
                       ST_SP_NAME " not preserved: expected 0x%016" PRIx64 ", got 0x%016"
                       PRIx64 " (%s)", p->sp_before, p->sp_after, st_where[k]);
    if (p->ret != want_ret)
        return st_fail(msg, msg_size,
                       "stackful_swap returned %p, expected %p, the arg passed by the "
                       "context that switched back (%s)", p->ret, want_ret, st_where[k]);
    return 0;
}

/* What a fresh context saw at the first instruction of its entry function. */
static int
st_check_entry(const struct st_run *r, uintptr_t top, const uint64_t live[ST_NCTL],
               char *msg, size_t msg_size)
{
    const struct st_seen *s = &r->seen;
    unsigned rem = (unsigned)(s->sp % 16u);
    if (rem != ST_ENTRY_SP_MOD16)
        return st_fail(msg, msg_size,
                       "entry stack misaligned: " ST_SP_NAME " %% 16 == %u at the entry "
                       "function's first instruction (%s; top %% 16 == %u)", rem,
                       ST_ENTRY_SP_RULE, (unsigned)(top % 16u));
    /* The entry may see its return address at sp (x86-64), nothing more, above sp. */
    if (s->sp + ST_ENTRY_SP_IN_USE > top || s->sp < top - STACKFUL_INIT_FRAME_SIZE)
        return st_fail(msg, msg_size,
                       "entry " ST_SP_NAME " 0x%" PRIx64 " is not within "
                       "STACKFUL_INIT_FRAME_SIZE below top 0x%" PRIxPTR, s->sp, top);
    if (s->fp != 0)
        return st_fail(msg, msg_size,
                       ST_FP_NAME " is 0x%016" PRIx64 " at a new context's entry, "
                       "expected 0 (the end of the frame-pointer chain)", s->fp);
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

void
stackful_selftest_entry_c(void *arg)
{
    struct st_run *r = arg;
    r->probe[1].new_sp = r->main_sp;
    stackful_selftest_probe(&r->probe[1]);    /* returns when probe 2 switches back */
    for (;;) {                                /* an entry function never returns */
        r->probe[3].new_sp = r->main_sp;
        stackful_selftest_probe(&r->probe[3]);
    }
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
    st_read_ctl(live);
    memset(window, ST_CANARY, (size_t)(end - window));

    void *sp = stackful_init_context(top, stackful_selftest_entry);

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
        r.probe[k].arg = &r.probe[k];         /* a token the other side can check */
        r.probe[k].save_sp = (k % 2 == 0) ? &r.main_sp : &r.ctx_sp;
    }
    r.probe[0].arg = &r;                      /* the entry function's argument */
    r.probe[0].new_sp = sp;

    stackful_selftest_probe(&r.probe[0]);     /* main -> new coroutine -> main */

    if ((rc = st_check_entry(&r, utop, live, msg, msg_size)) != 0)
        return rc;
    if ((rc = st_check_probe(&r, 0, &r.probe[1], msg, msg_size)) != 0)
        return rc;

    r.probe[2].new_sp = r.ctx_sp;
    stackful_selftest_probe(&r.probe[2]);     /* main -> suspended coroutine -> main */

    if ((rc = st_check_probe(&r, 1, &r.probe[2], msg, msg_size)) != 0)
        return rc;
    if ((rc = st_check_probe(&r, 2, &r.probe[3], msg, msg_size)) != 0)
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
    for (unsigned off = 0; off < 16 && rc == 0; off++)
        rc = st_run_once(stack, off, msg, msg_size);
    free(stack);
    return rc;
}
