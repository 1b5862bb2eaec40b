/* native_recursion.c -- C recursion that never enters the interpreter, for the overflow
 * tests: no CPython version's recursion checks stop it before it reaches the end of
 * its stack. Built by tests/nativelib.py and called through ctypes (which calls it on
 * the stack of whatever coroutine calls it). */
#include <stddef.h>

#define FRAME_BYTES 512

__attribute__((noinline)) size_t
native_recursion(size_t depth)
{
    volatile char frame[FRAME_BYTES];
    frame[0] = (char)depth;
    frame[FRAME_BYTES - 1] = 1;
    if (depth == 0)
        return 0;
    return native_recursion(depth - 1) + (size_t)frame[FRAME_BYTES - 1];
}
