/* overflow.h -- reporting a coroutine that overflows its stack.
 *
 * Principles:
 *  - An overflow must never corrupt memory silently: it hits the PROT_NONE guard gap
 *    below the stack, and the fault is reported with a message that says what to do,
 *    then handed to whoever handled SIGSEGV before (faulthandler, or the default
 *    action: the process dies). A fault just below a stack without a guard (unmapped
 *    memory there) is reported the same way.
 *  - The handler runs on an alternate signal stack (the faulting stack has no room) and
 *    only reads memory and calls write(2): it is async-signal-safe. Fault addresses are
 *    compared as integers, never used as pointers.
 *  - Faults that are not ours are passed on untouched, and the handler stays installed
 *    for the next one: the previous handler is called as it would have been. */
#ifndef STACKFUL_OVERFLOW_H
#define STACKFUL_OVERFLOW_H

#include <stddef.h>

/* Writes into buf (async-signal-safely) a short name for the coroutine that owns a
 * stack (a Coroutine *); returns the length written. Set by the module. */
typedef size_t (*stackful_describe_fn)(void *owner, char *buf, size_t size);

/* Installs the process-wide SIGSEGV handler once. Returns 0, or -1 with errno. */
int stackful_overflow_install(stackful_describe_fn describe);
/* Gives the calling thread an alternate signal stack if it has none. Returns the stack
 * to pass to stackful_overflow_thread_fini (NULL if the thread already had one). */
void *stackful_overflow_thread_init(void);
void stackful_overflow_thread_fini(void *altstack);

#endif
