/* chunks.c -- see chunks.h for the principles. */
#include <Python.h>

#include "chunks.h"

void *stackful_root_pool[STACKFUL_ROOT_POOL_MAX];
size_t stackful_root_pool_count;

static PyObjectArenaAllocator wrapped;
static void *cache[STACKFUL_SPILL_CACHE_MAX];
static size_t cache_count;
static int installed;

static void *
cached_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size == STACKFUL_SPILL_CHUNK_SIZE && cache_count > 0)
        return cache[--cache_count];
    return wrapped.alloc(wrapped.ctx, size);
}

static void
cached_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (size == STACKFUL_SPILL_CHUNK_SIZE && ptr != NULL &&
        cache_count < STACKFUL_SPILL_CACHE_MAX) {
        cache[cache_count++] = ptr;
        return;
    }
    wrapped.free(wrapped.ctx, ptr, size);
}

void
stackful_spill_cache_install(void)
{
    if (installed)
        return;
    PyObject_GetArenaAllocator(&wrapped);
    PyObjectArenaAllocator ours = {.ctx = NULL, .alloc = cached_alloc, .free = cached_free};
    PyObject_SetArenaAllocator(&ours);
    installed = 1;
}

size_t
stackful_spill_chunk_count(void)
{
    return cache_count;
}
