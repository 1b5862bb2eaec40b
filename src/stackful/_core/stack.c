/* stack.c -- see stack.h for the principles. */
#define _GNU_SOURCE
#include "stack.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__has_include)
#  if __has_include(<valgrind/memcheck.h>)
#    include <valgrind/memcheck.h>
#    define HAVE_MEMCHECK_H 1
#  endif
#endif

/* AddressSanitizer poisons the red zones of live frames in its shadow memory. Stack
 * bytes that are copied out, or copied back over another coroutine's shadow state,
 * would trip it: unpoison the range (its frames then go unchecked until they return). */
#if defined(__SANITIZE_ADDRESS__)
#  include <sanitizer/asan_interface.h>
#  define UNPOISON(addr, len) __asan_unpoison_memory_region((addr), (len))
#else
#  define UNPOISON(addr, len) ((void)(addr), (void)(len))
#endif

void
stackful_stack_writable(void *addr, size_t len)
{
    UNPOISON(addr, len);
#ifdef HAVE_MEMCHECK_H
    VALGRIND_MAKE_MEM_UNDEFINED(addr, len);
#endif
}

void
stackful_stack_readable(void *addr, size_t len)
{
    UNPOISON(addr, len);
}


static size_t page_size;
static size_t default_size;
const uint64_t stackful_constant_canary = STACKFUL_CANARY;
static StackMem *registry;            /* live mappings, in use or pooled */
static StackMem *pool[STACKFUL_STACK_POOL_MAX];
static size_t pool_count;

size_t
stackful_page_size(void)
{
    if (page_size == 0) {
        long p = sysconf(_SC_PAGESIZE);
        page_size = p > 0 ? (size_t)p : 4096;    /* the smallest page Linux has */
    }
    return page_size;
}

size_t
stackful_default_stack_size(void)
{
    if (default_size != 0)
        return default_size;
    size_t size = 0;
    pthread_attr_t attr;
    if (pthread_getattr_default_np(&attr) == 0) {
        if (pthread_attr_getstacksize(&attr, &size) != 0)
            size = 0;
        pthread_attr_destroy(&attr);
    }
    if (size < STACKFUL_THREAD_LIKE_STACK_SIZE)
        size = STACKFUL_THREAD_LIKE_STACK_SIZE;
    if (size > STACKFUL_MAX_DEFAULT_STACK_SIZE)
        size = STACKFUL_MAX_DEFAULT_STACK_SIZE;
    size_t page = stackful_page_size();
    default_size = (size + page - 1) / page * page;
    return default_size;
}

size_t
stackful_stack_usable_size(size_t size)
{
    size_t page = stackful_page_size();
    if (size == 0)
        return stackful_default_stack_size();
    if (size < STACKFUL_MIN_STACK_SIZE)
        size = STACKFUL_MIN_STACK_SIZE;
    if (size > SIZE_MAX / 4)
        return 0;
    return (size + page - 1) / page * page;
}

/* Arm the canary of a stack that is handed out (again: a pooled stack's far end may
 * have been given back with madvise, which zeroes it). */
static StackMem *
stack_arm(StackMem *s)
{
    s->owner = NULL;
    if (s->guard) {
        s->canary = &stackful_constant_canary;
    }
    else {
        uint64_t *word = (uint64_t *)(void *)s->lo;
        *word = STACKFUL_CANARY;
        s->canary = word;
    }
    return s;
}

static void
registry_link(StackMem *s)
{
    s->prev = NULL;
    s->next = registry;
    if (registry)
        registry->prev = s;
    registry = s;
}

static void
registry_unlink(StackMem *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        registry = s->next;
    if (s->next)
        s->next->prev = s->prev;
}

StackMem *
stackful_stack_registry(void)
{
    return registry;
}

size_t
stackful_stack_pool_count(void)
{
    return pool_count;
}

StackMem *
stackful_stack_new(size_t usable, int guard)
{
    for (size_t i = pool_count; i-- > 0;) {
        StackMem *s = pool[i];
        if ((size_t)(s->hi - s->lo) == usable && s->guard == guard) {
            pool[i] = pool[--pool_count];
            return stack_arm(s);
        }
    }
    size_t gap = guard ? STACKFUL_GUARD_GAP : 0;
    size_t map_size = usable + gap;
    StackMem *s = malloc(sizeof *s);
    if (s == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    /* MAP_NORESERVE: the stack is virtual until touched; MAP_STACK documents intent. */
    char *map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (map == MAP_FAILED) {
        int saved = errno;
        free(s);
        errno = saved;
        return NULL;
    }
    if (guard && mprotect(map, gap, PROT_NONE) != 0) {
        int saved = errno;
        munmap(map, map_size);
        free(s);
        errno = saved;
        return NULL;
    }
    s->map = map;
    s->map_size = map_size;
    s->lo = map + gap;
    s->hi = map + map_size;
    s->guard = guard;
    registry_link(s);
    return stack_arm(s);
}

void
stackful_stack_free(StackMem *s)
{
    if (s == NULL)
        return;
    s->owner = NULL;
    if (pool_count < STACKFUL_STACK_POOL_MAX) {
        /* Give back whatever was touched below the part we keep warm: a coroutine
         * may have recursed deep and returned before its last switch, so the depth
         * seen at switches says nothing; madvise of untouched pages is cheap. */
        if ((size_t)(s->hi - s->lo) > STACKFUL_STACK_KEEP_RESIDENT)
            madvise(s->lo, (size_t)(s->hi - s->lo) - STACKFUL_STACK_KEEP_RESIDENT,
                    MADV_DONTNEED);
        pool[pool_count++] = s;
        return;
    }
    registry_unlink(s);
    munmap(s->map, s->map_size);
    free(s);
}
