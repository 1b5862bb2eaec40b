/* chunkcache.h -- keeps CPython's frame data-stack spill chunks for reuse.
 *
 * Principles:
 *  - A coroutine starts with a small root chunk for its Python frames (memory per
 *    suspended coroutine is what it uses). Deeper frames spill into chunks that CPython
 *    allocates itself (16 KiB, from its arena allocator: an mmap each) and frees as soon
 *    as the frame that needed them returns. A coroutine whose frames go back and forth
 *    across its root chunk's end would then pay an mmap and an munmap per call.
 *  - So the arena allocator is wrapped: blocks of exactly the spill size are kept in a
 *    small cache and handed out again; every other request (pymalloc's arenas, bigger
 *    chunks) goes to the allocator that was installed before, unchanged.
 *  - Callers hold the GIL (CPython allocates arenas and frame chunks only with it). */
#ifndef STACKFUL_CHUNKCACHE_H
#define STACKFUL_CHUNKCACHE_H

#include <stddef.h>

/* CPython's data-stack chunk size (DATA_STACK_CHUNK_SIZE in Python/pystate.c, the same
 * 16 KiB in 3.11 to 3.14): the size of the blocks kept. */
#define STACKFUL_SPILL_CHUNK_SIZE ((size_t)16 << 10)
#define STACKFUL_SPILL_CACHE_MAX 32

/* Wraps the arena allocator once (idempotent). */
void stackful_chunkcache_install(void);
/* Blocks held by the cache now (introspection, tests). */
size_t stackful_chunkcache_count(void);

#endif
