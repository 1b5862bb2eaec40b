/* overflow.c -- see overflow.h for the principles. */
#define _GNU_SOURCE
#include "overflow.h"
#include "stack.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ALTSTACK_SIZE ((size_t)64 << 10)
/* A fault this far below a stack without a guard gap is reported as its overflow: the
 * frames that reach there (unmapped memory below the stack) are no larger. */
#define UNGUARDED_REACH ((uintptr_t)64 << 10)

static struct sigaction previous_action;
static stackful_describe_fn describe_owner;
static int installed;

static size_t
append(char *buf, size_t len, size_t cap, const char *s)
{
    while (*s && len < cap)
        buf[len++] = *s++;
    return len;
}

static size_t
append_size(char *buf, size_t len, size_t cap, size_t value)
{
    char digits[24];                 /* 20 digits hold any 64-bit value */
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value && n < sizeof digits);
    while (n && len < cap)
        buf[len++] = digits[--n];
    return len;
}

/* The stack whose overflow a fault at addr is, or NULL. */
static StackMem *
overflowed_stack(uintptr_t addr)
{
    for (StackMem *s = stackful_stack_registry(); s != NULL; s = s->next) {
        uintptr_t lo = (uintptr_t)s->lo;
        uintptr_t below = s->guard ? (uintptr_t)s->map : (lo > UNGUARDED_REACH
                                                          ? lo - UNGUARDED_REACH : 0);
        if (addr >= below && addr < lo)
            return s;
    }
    return NULL;
}

static void
report(StackMem *s)
{
    char msg[512];
    size_t cap = sizeof msg - 1, len = 0;
    len = append(msg, len, cap, "stackful: stack overflow in coroutine ");
    if (s->owner != NULL && describe_owner != NULL)
        len += describe_owner(s->owner, msg + len, cap - len);
    else
        len = append(msg, len, cap, "<unknown>");
    len = append(msg, len, cap, " (its ShareStack has ");
    len = append_size(msg, len, cap, (size_t)(s->hi - s->lo));
    len = append(msg, len, cap, s->guard ? " bytes); use a larger ShareStack\n"
                                         : " bytes and no guard page); use a larger "
                                           "ShareStack\n");
    ssize_t unused = write(2, msg, len);
    (void)unused;
}

static void
on_fault(int sig, siginfo_t *info, void *context)
{
    /* Only a fault the kernel raised has a meaningful address (si_code > 0); raise()
     * and kill() (faulthandler re-raising, say) are passed on. */
    StackMem *s = info->si_code > 0 ? overflowed_stack((uintptr_t)info->si_addr) : NULL;
    if (s != NULL) {
        report(s);
        /* The process is going: hand the fault to the previous handler by returning,
         * which re-executes the faulting instruction with that handler in place. */
        sigaction(SIGSEGV, &previous_action, NULL);
        return;
    }
    if (previous_action.sa_flags & SA_SIGINFO) {
        previous_action.sa_sigaction(sig, info, context);
    }
    else if (previous_action.sa_handler == SIG_DFL) {
        /* The default action: death. A fault would take it on the re-executed
         * instruction, but a signal sent with raise() or kill() re-executes nothing:
         * send it again, now with the default action in place. */
        sigaction(SIGSEGV, &previous_action, NULL);
        raise(sig);
    }
    else if (previous_action.sa_handler != SIG_IGN) {
        previous_action.sa_handler(sig);
    }
}

int
stackful_overflow_install(stackful_describe_fn describe)
{
    if (installed)
        return 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    describe_owner = describe;
    if (sigaction(SIGSEGV, &action, &previous_action) != 0)
        return -1;
    installed = 1;
    return 0;
}

void *
stackful_overflow_thread_init(void)
{
    stack_t current;
    if (sigaltstack(NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE))
        return NULL;   /* the thread has one (faulthandler's, or a previous one) */
    void *mem = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (mem == MAP_FAILED)
        return NULL;
    stack_t alt = {.ss_sp = mem, .ss_size = ALTSTACK_SIZE, .ss_flags = 0};
    if (sigaltstack(&alt, NULL) != 0) {
        munmap(mem, ALTSTACK_SIZE);
        return NULL;
    }
    return mem;
}

void
stackful_overflow_thread_fini(void *altstack)
{
    if (altstack == NULL)
        return;
    stack_t current;
    if (sigaltstack(NULL, &current) != 0 || current.ss_sp != altstack)
        return;   /* another thread is tearing this one down: it may still run, leak */
    stack_t off = {.ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE};
    if (sigaltstack(&off, NULL) == 0)
        munmap(altstack, ALTSTACK_SIZE);
}
