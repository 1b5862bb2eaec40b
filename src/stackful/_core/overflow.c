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
/* A frame larger than the guard page can jump over it: faults this far below a stack
 * are still reported as its overflow. */
#define GUARD_REACH ((size_t)64 << 10)

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
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value && n < sizeof digits);
    while (n && len < cap)
        buf[len++] = digits[--n];
    return len;
}

static void
on_fault(int sig, siginfo_t *info, void *context)
{
    (void)sig;
    (void)context;
    char *addr = info->si_addr;
    for (StackMem *s = stackful_stack_registry(); s != NULL; s = s->next) {
        if (!s->guard || addr >= s->lo || addr + GUARD_REACH < s->map)
            continue;
        char msg[512];
        size_t cap = sizeof msg - 1, len = 0;
        len = append(msg, len, cap, "stackful: stack overflow in coroutine ");
        if (s->owner != NULL && describe_owner != NULL)
            len += describe_owner(s->owner, msg + len, cap - len);
        else
            len = append(msg, len, cap, "<unknown>");
        len = append(msg, len, cap, " (its ShareStack has ");
        len = append_size(msg, len, cap, (size_t)(s->hi - s->lo));
        len = append(msg, len, cap, " bytes); use a larger ShareStack\n");
        ssize_t unused = write(2, msg, len);
        (void)unused;
        break;
    }
    /* Hand the fault to the previous handler: returning re-executes the faulting
     * instruction, which faults again with that handler in place. */
    sigaction(SIGSEGV, &previous_action, NULL);
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
