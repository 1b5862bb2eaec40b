/* native.c -- test-only C code, built by tests/nativelib.py and called through ctypes
 * (which runs it on the stack of whatever coroutine calls it). Built without stack
 * probes and without stack protector, as much C code in the wild is. */
#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define FRAME_BYTES 512

/* C recursion that never enters the interpreter: no CPython version's recursion check
 * stops it before it reaches the end of its stack. */
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

/* A function with a frame of `bytes` that touches only its lowest byte, as a large
 * frame without stack probes does (glibc's gethostbyname_ex: `sub $0x40c8,%rsp`, then
 * a write at the bottom): it jumps over anything smaller than the frame. */
__attribute__((noinline)) int
large_frame(size_t bytes)
{
    volatile char frame[bytes];
    frame[0] = 1;
    return frame[0];
}

/* A frame of `bytes` that is written all over (an overflow that runs through every
 * byte below the stack pointer, the canary at a stack's far end included). */
__attribute__((noinline)) int
filled_frame(size_t bytes)
{
    volatile char frame[bytes];
    memset((char *)frame, 0xa5, bytes);
    return frame[bytes / 2];
}

/* A SIGSEGV handler of someone else's that repairs faults in one region of its own
 * (as a JIT or a garbage collector with write barriers does) and lets every other fault
 * take the default action. */
static uintptr_t repair_lo, repair_hi;

static void
repairing_handler(int sig, siginfo_t *info, void *context)
{
    (void)context;
    uintptr_t addr = (uintptr_t)info->si_addr;
    if (addr >= repair_lo && addr < repair_hi) {
        mprotect((void *)repair_lo, repair_hi - repair_lo, PROT_READ | PROT_WRITE);
        return;
    }
    signal(sig, SIG_DFL);
}

/* Maps a page, protects it, and installs the repairing handler for it: returns the
 * page, which the first write to faults and gets repaired. */
void *
install_repairing_handler(void)
{
    size_t len = 4096;
    void *page = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return NULL;
    repair_lo = (uintptr_t)page;
    repair_hi = repair_lo + len;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = repairing_handler;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGSEGV, &action, NULL) != 0)
        return NULL;
    return page;
}

/* Protects the page again, so that the next write faults and is repaired again. */
int
protect_again(void *page)
{
    return mprotect(page, 4096, PROT_NONE);
}

int
write_byte(volatile char *address)
{
    *address = 1;
    return *address;
}
