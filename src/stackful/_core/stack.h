/* stack.h -- stack memory: share stacks, their guard pages, and the pool.
 *
 * Principles:
 *  - Memory is paid for when used: a stack is a private anonymous mapping, virtual
 *    until touched; freed stacks go to a small pool; a pooled stack that was used deeply
 *    gives its touched pages back with madvise(MADV_DONTNEED).
 *  - A PROT_NONE guard gap sits below every stack (unless the user opts out), so an
 *    overflow faults instead of silently writing into other memory. It is as wide as
 *    the gap Linux keeps below thread stacks (stack_guard_gap: 256 pages, 1 MiB),
 *    because C code allocates large frames without touching every page of them (glibc's
 *    gethostbyname_ex: ~16 KB in one `sub`), and a one-page guard is jumped. It costs
 *    address space only: the gap is never touched, and it is part of the stack's one
 *    mapping (two entries of vm.max_map_count, as with a one-page guard).
 *  - A stack without a guard has a canary at its far (lowest) end, checked at every
 *    switch away from a coroutine running on it (context.c): an overflow is stopped,
 *    with a message naming the coroutine, before anything runs on what it overwrote.
 *  - Every live mapping is on one list that the overflow handler reads (without locks:
 *    it only reads, and only to decide which message to print).
 *
 * Callers hold the GIL; nothing here runs Python code. */
#ifndef STACKFUL_STACK_H
#define STACKFUL_STACK_H

#include <stddef.h>
#include <stdint.h>

typedef struct StackMem {
    char *map;                 /* start of the mapping (the guard gap, if any) */
    size_t map_size;           /* whole mapping, guard included */
    char *lo;                  /* lowest usable address */
    char *hi;                  /* one past the highest usable address */
    int guard;                 /* has a PROT_NONE guard gap at map */
    const uint64_t *canary;    /* the word an overflow of it overwrites first: at lo for
                                * a stack without a guard; a constant otherwise */
    void *owner;               /* whose bytes are on the stack now (a Coroutine *) */
    struct StackMem *prev, *next;  /* registry of live mappings (overflow handler) */
} StackMem;

/* The default usable size of a share stack is a thread's (stackful_default_stack_size):
 * CPython 3.11-3.13 bound recursion by counts, not by the C stack, and their default
 * limits are sized for the 8 MiB that Linux gives threads (RLIMIT_STACK); C-level
 * recursion through builtins costs several KB per level (sorted(key=...) ~4.6 KB), so a
 * smaller stack overflows where a thread raises RecursionError. Only touched pages
 * cost memory. At least this much, whatever the thread default is: */
#define STACKFUL_THREAD_LIKE_STACK_SIZE ((size_t)8 << 20)
/* ... and at most this much (a thread default of "unlimited" is not copied). */
#define STACKFUL_MAX_DEFAULT_STACK_SIZE ((size_t)256 << 20)
/* The smallest usable size: what ordinary Python code needs (print() and `import json`
 * need ~16 KiB on 3.11; 3.14 keeps margins for its own stack checks). */
#define STACKFUL_MIN_STACK_SIZE ((size_t)64 << 10)
/* Below every guarded stack (see the principles). */
#define STACKFUL_GUARD_GAP ((size_t)1 << 20)
/* What the canary word of an unguarded stack holds ("STKFUL!!"). */
#define STACKFUL_CANARY ((uint64_t)0x21214c55464b5453ULL)
/* The canary of every stack that needs none (guarded stacks, threads' own stacks). */
extern const uint64_t stackful_constant_canary;
/* A pooled stack keeps this much of its top resident; below it, pages go back. */
#define STACKFUL_STACK_KEEP_RESIDENT ((size_t)64 << 10)
/* Freed stacks kept for reuse (QEMU keeps 64 coroutines). */
#define STACKFUL_STACK_POOL_MAX 64

size_t stackful_page_size(void);
/* A new thread's stack size (glibc's default thread attributes), within the bounds
 * above: the size of default share stacks. */
size_t stackful_default_stack_size(void);
/* Usable size for a request (libaco's rule): 0 means the default; otherwise at least
 * STACKFUL_MIN_STACK_SIZE, at least `size`, a page multiple, as close to `size` as
 * possible. Returns 0 if `size` is too large to represent. */
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
