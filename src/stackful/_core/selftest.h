/* selftest.h -- a self-test of the machine-level context switch (switch.h).
 *
 * stackful_selftest_switch() proves, for the ABI this file is built for, that
 *  - every callee-saved register survives stackful_swap, checked one register at a
 *    time (x86-64: rbx rbp r12-r15; AArch64: x19-x29, d8-d15), in both directions:
 *    into a context suspended by stackful_swap on the caller's stack and on a
 *    coroutine stack; x30 (AArch64) by the fact that the probe returns at all;
 *  - the callee-saved floating-point control state survives it (x86-64: the control
 *    bits of MXCSR and the x87 control word; AArch64: FPCR);
 *  - the stack pointer comes back unchanged and stackful_swap returns the `arg` of the
 *    side that switched back;
 *  - a context made by stackful_init_context starts its entry function with the
 *    stack alignment the ABI requires at a function's first instruction, with the
 *    frame pointer 0 and the control words of the thread that created it (not those
 *    of the context that switched to it), for every alignment of `top` (0..15), and
 *    that stackful_init_context writes nothing at or above `top` and nothing below
 *    top - STACKFUL_INIT_FRAME_SIZE.
 *
 * It allocates one small stack with malloc, installs no signal handler, takes no lock
 * and leaves the thread's registers and control words as it found them. */
#ifndef STACKFUL_SELFTEST_H
#define STACKFUL_SELFTEST_H

#include <stddef.h>

/* Returns 0 if the switch passes. Otherwise returns -1 and writes to msg (always
 * NUL-terminated if msg_size > 0) a sentence naming the first register or control word
 * found not preserved, e.g. "r13 not preserved: expected 0x..., got 0x... (...)". */
int stackful_selftest_switch(char *msg, size_t msg_size);

#endif
