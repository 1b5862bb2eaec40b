/* switch.c -- selects the context switch for this ABI.
 *
 * Each supported ABI has its own header of top-level assembly; a top-level asm block
 * in a C file gets the compiler's .note.GNU-stack section, so the extension never asks
 * for an executable stack (glibc 2.41 refuses to load modules that do). */
#include "switch.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__) && !defined(_WIN32)
#  include "switch_x86_64.h"
#elif defined(__aarch64__) && !defined(_WIN32)
#  include "switch_aarch64.h"
#else
#  error "stackful has a context switch for x86-64 System V and AArch64 (AAPCS64) only"
#endif

_Noreturn void
stackful_entry_returned(void)
{
    static const char msg[] =
        "stackful: fatal: a coroutine's entry function returned; there is no frame "
        "above it to return to (bug in stackful)\n";
    ssize_t unused = write(2, msg, sizeof msg - 1);
    (void)unused;
    abort();
}
