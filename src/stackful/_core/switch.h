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
 * called stackful_swap. Everything else it needs is on its own stack at that address.
 */
#ifndef STACKFUL_SWITCH_H
#define STACKFUL_SWITCH_H

#include <stddef.h>

/* Save the callee-saved state of the caller on its stack, store the caller's stack
 * pointer in *save_sp, and resume the context whose stack pointer is new_sp.
 * Returns (in the resumed context, later) the `arg` that whoever switches back to this
 * context passed. On a context's first entry, `arg` is the argument of its entry
 * function. */
void *stackful_swap(void *arg, void **save_sp, void *new_sp);

typedef void (*stackful_entry_fn)(void *arg);

/* Prepare a fresh context on the stack whose highest usable address is `top`
 * (exclusive). Switching to the returned stack pointer calls entry(arg), with the
 * stack aligned as the ABI requires at a function's first instruction. `entry` must
 * never return: there is no caller above it. The control words (MXCSR/x87 CW, FPCR)
 * are copied from the calling thread. Uses at most STACKFUL_INIT_FRAME_SIZE bytes. */
void *stackful_init_context(void *top, stackful_entry_fn entry);

#define STACKFUL_INIT_FRAME_SIZE 256

/* Whether this process can switch stacks with this switch: 0 if so; otherwise -1 with
 * a message in why. x86-64: CET shadow stacks, once enforced, would kill the process at
 * the first `ret` into another stack (the switch does not switch shadow stacks). */
int stackful_switch_supported(char *why, size_t why_size);

/* Called if an entry function returns: reports and aborts (libaco's protector). */
_Noreturn void stackful_entry_returned(void);

#endif
