/* switch.c -- selects the context switch for this ABI.
 *
 * Each supported ABI has its own header of top-level assembly; a top-level asm block
 * in a C file gets the compiler's .note.GNU-stack section, so the extension never asks
 * for an executable stack (glibc 2.41 refuses to load modules that do). */
#define _GNU_SOURCE   /* syscall() */
#include "switch.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/syscall.h>
#endif

#if defined(__x86_64__) && !defined(_WIN32)
#  include "switch_x86_64.h"
#elif defined(__aarch64__) && !defined(_WIN32)
#  include "switch_aarch64.h"
#else
#  error "stackful has a context switch for x86-64 System V and AArch64 (AAPCS64) only"
#endif

int
stackful_switch_supported(char *why, size_t why_size)
{
#if defined(__x86_64__) && defined(__linux__) && defined(SYS_arch_prctl)
    /* ARCH_SHSTK_STATUS (Linux 6.6+; older kernels fail the call: no shadow stack). */
    unsigned long long features = 0;
    if (syscall(SYS_arch_prctl, 0x5005 /* ARCH_SHSTK_STATUS */, &features) == 0 &&
        (features & 1ULL /* ARCH_SHSTK_SHSTK */)) {
        snprintf(why, why_size,
                 "stackful: this process runs with CET shadow stacks enabled "
                 "(e.g. GLIBC_TUNABLES=glibc.cpu.x86_shstk=on); stackful's stack switch "
                 "does not switch shadow stacks yet, so it refuses to load rather than "
                 "crash at the first switch. Run without shadow-stack enforcement.");
        return -1;
    }
#endif
    (void)why;
    (void)why_size;
    return 0;
}

/* `used`: the switch's assembly calls it, which a link-time optimiser can't see. */
__attribute__((used)) _Noreturn void
stackful_entry_returned(void)
{
    static const char msg[] =
        "stackful: fatal: a coroutine's entry function returned; there is no frame "
        "above it to return to (bug in stackful)\n";
    ssize_t unused = write(2, msg, sizeof msg - 1);
    (void)unused;
    abort();
}
