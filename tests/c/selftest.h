/* selftest.h -- a self-test of the machine-level context switch (switch.h).
 *
 * stackful_selftest_switch() proves, for the ABI this file is built for, that
 *  - every callee-saved register survives stackful_switch, checked one register at a
 *    time (x86-64: rbx rbp r12-r15; AArch64: x19-x29, d8-d15), in both directions:
 *    into a context suspended by stackful_switch on the caller's stack and on a
 *    coroutine stack; x30 (AArch64) by the fact that the probe returns at all;
 *  - the callee-saved floating-point control state survives it (x86-64: the control
 *    bits of MXCSR and the x87 control word; AArch64: FPCR);
 *  - both of the above on both ways back into a context, each in every run: one
 *    that suspended without a landing, and one that suspended with a landing (an
 *    ordinary C function, which the switch calls on the resumed context's stack
 *    before it returns there);
 *  - the stack pointer comes back unchanged; without a landing stackful_switch
 *    returns the `value` of the side that switched back, with one it returns what the
 *    landing returned, the landing having run once, on the resumed context's stack,
 *    with that value and the landing_arg the context suspended with;
 *  - a context made by stackful_init_context starts its entry function with the
 *    value of the first switch to it and the arg given to stackful_init_context, the
 *    stack alignment the ABI requires at a function's first instruction, the frame
 *    pointer 0 (so its registers are restored before its landing is called) and the
 *    control words of the thread that created it (not those of the context that
 *    switched to it), for every alignment of `top` (0..15), and that
 *    stackful_init_context writes nothing at or above `top` and nothing below
 *    top - STACKFUL_INIT_FRAME_SIZE;
 *  - the landing contract: a context that suspended with landing L and argument X,
 *    when switched to with value V, runs L(V, X) once, on its own stack (a coroutine's
 *    and the caller's), before its stackful_switch returns, and stackful_switch
 *    returns exactly what L returned.
 *
 * It allocates one small stack with malloc, keeps a pointer to its state in one
 * thread-local variable while it runs, installs no signal handler, takes no lock and
 * leaves the thread's registers and control words as it found them. */
#ifndef STACKFUL_SELFTEST_H
#define STACKFUL_SELFTEST_H

#include <stddef.h>

/* Returns 0 if the switch passes. Otherwise returns -1 and writes to msg (always
 * NUL-terminated if msg_size > 0) a sentence naming the first register or control word
 * found not preserved, e.g. "r13 not preserved: expected 0x..., got 0x... (...)", or
 * the first part of the entry or landing contract found broken. */
int stackful_selftest_switch(char *msg, size_t msg_size);

#endif
