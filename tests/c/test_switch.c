/* test_switch.c -- standalone test of the context switch (no Python needed).
 *
 * Runs stackful_selftest_switch() (selftest.c, beside it) once, then again in a
 * loop for a while (default 0.3 s, argv[1] to change it, 0 to skip) while a POSIX timer
 * on CLOCK_MONOTONIC (a high-resolution timer, unlike ITIMER_PROF, which fires once per
 * scheduler tick) interrupts it with SIGALRM every 50 us. The handler runs
 * on whatever stack the thread is on -- sometimes a coroutine stack, sometimes the
 * middle of stackful_switch or of a landing it called -- and scribbles 512 bytes below
 * its frame; if the switch ever let sp point above live data (or into a frame not yet
 * written), the signal frame and the scribble would corrupt a saved register (or a
 * saved landing) and the self-test would report it.
 *
 * Prints "1 passed, 0 failed" and exits 0, or "0 passed, 1 failed: <message>" and
 * exits 1. Lines starting with '#' are information. */
#define _GNU_SOURCE        /* sigaction, timer_create, clock_gettime; REG_RIP */

#include "selftest.h"
#include "switch.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

/* Only lock-free atomics are touched by the handler (C11 7.14.1.1p5). */
static atomic_ulong n_signals;
static atomic_ulong n_off_main_stack;
static atomic_ulong n_in_switch;
static atomic_uintptr_t main_stack_marker;
static atomic_uintptr_t switch_begin, switch_end;

/* Information only: the code range of stackful_switch, to count the signals that
 * interrupted the switch itself (not a landing it called). In switch_*.h the start stub
 * (every new context's first landing) directly follows it (the range may take in
 * alignment padding and the nop before the stub). With a broken
 * replacement of stackful_switch (run.sh's negative controls) the count is approximate. */
#if defined(__x86_64__)
void stackful_start_x86_64(void);
#  define SWITCH_END_FN stackful_start_x86_64
#elif defined(__aarch64__)
void stackful_start_aarch64(void);
#  define SWITCH_END_FN stackful_start_aarch64
#endif

static uintptr_t
interrupted_pc(const void *uc)
{
    const ucontext_t *u = uc;
#if defined(__x86_64__)
    return (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return (uintptr_t)u->uc_mcontext.pc;
#endif
}

static void
on_sigalrm(int sig, siginfo_t *info, void *uc)
{
    volatile unsigned char scribble[512];
    (void)sig;
    (void)info;
    for (size_t i = 0; i < sizeof scribble; i++)
        scribble[i] = (unsigned char)(0x5a ^ i);  /* dirty the stack below the frame */
    uintptr_t here = (uintptr_t)&scribble[0];
    uintptr_t marker = atomic_load(&main_stack_marker);
    uintptr_t dist = here > marker ? here - marker : marker - here;
    atomic_fetch_add(&n_signals, 1);
    if (dist > ((uintptr_t)1 << 20))                 /* > 1 MiB away: not the main stack */
        atomic_fetch_add(&n_off_main_stack, 1);
    uintptr_t pc = interrupted_pc(uc);
    if (pc >= atomic_load(&switch_begin) && pc < atomic_load(&switch_end))
        atomic_fetch_add(&n_in_switch, 1);
}

static double
now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
report(int ok, const char *msg)
{
    if (ok) {
        printf("1 passed, 0 failed\n");
        return 0;
    }
    printf("0 passed, 1 failed: %s\n", msg);
    return 1;
}

int
main(int argc, char **argv)
{
    char msg[512];
    double stress = argc > 1 ? atof(argv[1]) : 0.3;
    volatile int marker = 0;

    if (stackful_selftest_switch(msg, sizeof msg) != 0)
        return report(0, msg);
    if (!(stress > 0.0)) {
        printf("# signal stress run skipped\n");
        return report(1, NULL);
    }

    atomic_store(&main_stack_marker, (uintptr_t)&marker);
    uintptr_t b = (uintptr_t)&stackful_switch, e = (uintptr_t)&SWITCH_END_FN;
    atomic_store(&switch_begin, b);
    atomic_store(&switch_end, e > b && e - b < 4096 ? e : b);  /* unknown layout: count 0 */
    struct sigaction sa, old_sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigalrm;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART | SA_SIGINFO;
    if (sigaction(SIGALRM, &sa, &old_sa) != 0) {
        perror("sigaction");
        return report(0, "cannot install the SIGALRM handler");
    }
    timer_t timer;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGALRM;
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) {
        perror("timer_create");
        return report(0, "cannot create the timer");
    }
    struct itimerspec every = { { 0, 50000 }, { 0, 50000 } };   /* every 50 us */
    struct itimerspec off = { { 0, 0 }, { 0, 0 } };
    if (timer_settime(timer, 0, &every, NULL) != 0) {
        perror("timer_settime");
        return report(0, "cannot start the timer");
    }
    unsigned long runs = 0;
    int failed = 0;
    double t0 = now_seconds();
    while (now_seconds() - t0 < stress) {
        runs++;
        if (stackful_selftest_switch(msg, sizeof msg) != 0) {
            failed = 1;
            break;
        }
    }
    timer_settime(timer, 0, &off, NULL);
    timer_delete(timer);
    sigaction(SIGALRM, &old_sa, NULL);

    unsigned long ns = atomic_load(&n_signals), noff = atomic_load(&n_off_main_stack);
    printf("# signal stress: %lu self-test runs, %lu SIGALRM delivered, %lu of them on a "
           "coroutine stack, %lu inside stackful_switch\n", runs, ns, noff,
           atomic_load(&n_in_switch));
    if (failed) {
        char full[600];
        snprintf(full, sizeof full, "under SIGALRM (run %lu): %s", runs, msg);
        return report(0, full);
    }
    if (ns == 0)
        return report(0, "the signal stress run received no signal (timer not working?)");
    (void)marker;
    return report(1, NULL);
}
