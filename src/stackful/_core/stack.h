/* stack.h -- stack memory: share stacks, their guard pages, and the pool.
 *
 * Principles:
 *  - Memory is paid for when used: a stack is a private anonymous mapping, virtual
 *    until touched; freed stacks go to a small pool; a pooled stack that was used deeply
 *    gives its touched pages back with madvise(MADV_DONTNEED).
 *  - A PROT_NONE guard page sits below every stack (unless the user opts out), so an
 *    overflow faults instead of silently writing into other memory.
 *  - Every live mapping is on one list that the overflow handler reads (without locks:
 *    it only reads, and only to decide which message to print).
 *
 * Callers hold the GIL; nothing here runs Python code. */
#ifndef STACKFUL_STACK_H
#define STACKFUL_STACK_H

#include <stddef.h>

typedef struct StackMem {
    char *map;                 /* start of the mapping (the guard page, if any) */
    size_t map_size;           /* whole mapping, guard included */
    char *lo;                  /* lowest usable address */
    char *hi;                  /* one past the highest usable address */
    int guard;                 /* has a PROT_NONE guard page at map */
    void *owner;               /* whose bytes are on the stack now (a Coroutine *) */
    struct StackMem *prev, *next;  /* registry of live mappings (overflow handler) */
} StackMem;

/* Default usable size of a share stack: 2 MiB, as libaco, of which only what is
 * touched costs memory. */
#define STACKFUL_DEFAULT_STACK_SIZE ((size_t)2 << 20)
/* A pooled stack keeps this much of its top resident; below it, pages go back. */
#define STACKFUL_STACK_KEEP_RESIDENT ((size_t)64 << 10)
/* Freed stacks kept for reuse (QEMU keeps 64 coroutines). */
#define STACKFUL_STACK_POOL_MAX 64

size_t stackful_page_size(void);
/* Usable size for a request (libaco's rule): 0 means the default; otherwise at least
 * 4096, at least `size`, a page multiple, as close to `size` as possible. Returns 0
 * if `size` is too large to represent. */
size_t stackful_stack_usable_size(size_t size);
/* Map (or take from the pool) a stack of exactly `usable` bytes. NULL on failure with
 * errno set. */
StackMem *stackful_stack_new(size_t usable, int guard);
/* Return a stack to the pool (or unmap it). */
void stackful_stack_free(StackMem *s);
/* Pool statistics, for introspection and tests. */
size_t stackful_stack_pool_count(void);
/* Tell memcheck (when running under valgrind) that a stack range is about to be
 * written although it lies below a stack pointer it has seen: stack copies and new
 * contexts' first frames. A few no-op instructions otherwise. */
void stackful_stack_writable(void *addr, size_t len);
/* The same for a live range about to be copied out (AddressSanitizer builds). */
void stackful_stack_readable(void *addr, size_t len);
/* Registry access for the overflow handler: the first live stack. */
StackMem *stackful_stack_registry(void);

#endif
