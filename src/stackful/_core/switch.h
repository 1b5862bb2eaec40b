/* switch.h -- the machine-level context switch.
 *
 * Principles:
 *  - The switch is correct by the ABI, not by luck: it preserves exactly the state the
 *    calling convention says a callee must preserve, and nothing else.
 *  - The stack pointer only ever points into a real stack. Registers are pushed onto the
 *    stack being left and popped from the stack being entered, never loaded from a heap
 *    struct, so a signal arriving at any instruction finds a valid stack below sp.
 *  - No allocation, no Python, no syscalls: a switch costs about a function call.
 *
 * A suspended context is represented by one word: the stack pointer it had when it
 * called stackful_switch. Everything else it needs is on its own stack at that address,
 * including what to run first when it is resumed (its landing).
 */
#ifndef STACKFUL_SWITCH_H
#define STACKFUL_SWITCH_H

#include <stddef.h>

/* What runs first in a context that is switched to, on its own stack: landing(value,
 * arg) with the `value` whoever switched to it passed and the `arg` it gave when it
 * was suspended. What it returns is what stackful_switch returns in that context.
 * A new context's entry function is called the same way, as its first landing (on a
 * stack reset to its top); it must never return. */
typedef void *(*stackful_landing_fn)(void *value, void *arg);

/* Save the callee-saved state of the caller on its stack, together with `landing` and
 * `landing_arg` (NULL: none), store the caller's stack pointer in *save_sp, and resume
 * the context whose stack pointer is new_sp. Returns, in this context, when another
 * switches back to it: its landing's result, or without a landing the `value` that
 * the other context passed.
 *
 * To its caller this is an ordinary function (callee-saved registers and control
 * words are preserved), and it may be tail-called: the switch path calls it last, so
 * that it returns straight to the C entry point's caller (see the ABI file for why
 * that matters to branch prediction). */
void *stackful_switch(void *value, void **save_sp, void *new_sp,
                      stackful_landing_fn landing, void *landing_arg);

/* Prepare a fresh context on the stack whose highest usable address is `top`
 * (exclusive). The first switch to the returned stack pointer calls entry(value, arg)
 * with the stack aligned as the ABI requires at a function's first instruction, and
 * the frame pointer 0 (the end of the chain for unwinders). `entry` must never return
 * (if it does, the process is aborted with a message). The control words (MXCSR/x87
 * CW, FPCR) are copied from the calling thread. Uses at most STACKFUL_INIT_FRAME_SIZE
 * bytes below top. */
void *stackful_init_context(void *top, stackful_landing_fn entry, void *arg);

#define STACKFUL_INIT_FRAME_SIZE 256

/* Whether this process can switch stacks with this switch: 0 if so; otherwise -1 with
 * a message in why. x86-64: CET shadow stacks, once enforced, would kill the process at
 * the first `ret` into another stack (the switch does not switch shadow stacks). */
int stackful_switch_supported(char *why, size_t why_size);

/* Called if an entry function returns: reports and aborts (libaco's protector). */
_Noreturn void stackful_entry_returned(void);

#endif
