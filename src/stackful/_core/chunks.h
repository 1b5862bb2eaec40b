/* chunks.h -- reuse of the frame data-stack chunks coroutines' Python frames live in.
 *
 * Principles:
 *  - A coroutine starts with a small root chunk of its own for its Python frames
 *    (memory per suspended coroutine is what it uses); finished coroutines' root chunks
 *    are pooled. Deeper frames spill into chunks that CPython
 *    allocates itself (16 KiB, from its arena allocator: an mmap each) and frees as soon
 *    as the frame that needed them returns. A coroutine whose frames go back and forth
 *    across its root chunk's end would then pay an mmap and an munmap per call.
 *  - So the arena allocator is wrapped: blocks of exactly the spill size are kept in a
 *    small cache and handed out again; every other request (pymalloc's arenas, bigger
 *    chunks) goes to the allocator that was installed before, unchanged.
 *  - Callers hold the GIL (CPython allocates arenas and frame chunks only with it). */
#ifndef STACKFUL_CHUNKS_H
#define STACKFUL_CHUNKS_H

#include <Python.h>

#include <stddef.h>

/* CPython's data-stack chunk size (DATA_STACK_CHUNK_SIZE in Python/pystate.c, the same
 * 16 KiB in 3.11 to 3.14): the size of the blocks kept. */
#define STACKFUL_SPILL_CHUNK_SIZE ((size_t)16 << 10)
#define STACKFUL_SPILL_CACHE_MAX 32

/* Root chunk given to a new coroutine: 1 KiB holds a handful of frames (a small
 * function's frame is ~150 bytes), which is what most suspended coroutines have; memory
 * per suspended coroutine is paid by that number. */
#define STACKFUL_ROOT_CHUNK_SIZE ((size_t)1 << 10)
#define STACKFUL_ROOT_POOL_MAX 256

/* Finished coroutines' root chunks, for the next ones (a lifecycle takes one and gives
 * one back: inline). */
extern void *stackful_root_pool[STACKFUL_ROOT_POOL_MAX] __attribute__((visibility("hidden")));
extern size_t stackful_root_pool_count __attribute__((visibility("hidden")));

/* A root chunk (STACKFUL_ROOT_CHUNK_SIZE bytes, uninitialised), or NULL without an
 * exception set if memory is exhausted. */
static inline void *
stackful_root_chunk_take(void)
{
    if (stackful_root_pool_count > 0)
        return stackful_root_pool[--stackful_root_pool_count];
    return PyMem_RawMalloc(STACKFUL_ROOT_CHUNK_SIZE);
}

static inline void
stackful_root_chunk_give(void *chunk)
{
    if (stackful_root_pool_count < STACKFUL_ROOT_POOL_MAX)
        stackful_root_pool[stackful_root_pool_count++] = chunk;
    else
        PyMem_RawFree(chunk);
}

static inline size_t
stackful_root_chunk_count(void)
{
    return stackful_root_pool_count;
}

/* Wraps the arena allocator once (idempotent). */
void stackful_spill_cache_install(void);
/* Blocks held by the cache now (introspection, tests). */
size_t stackful_spill_chunk_count(void);

#endif
