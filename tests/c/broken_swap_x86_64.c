/* broken_swap_x86_64.c -- TEST-ONLY negative controls for x86-64: deliberately wrong
 * replacements for stackful_swap / stackful_init_context, to show that test_switch
 * catches each class of bug. Never part of the product; run.sh links it in place of the
 * real symbol (renamed in switch.o with objcopy --redefine-sym).
 *
 * Select one with -D:
 *   BROKEN_R13          (default) saves r11 in r13's slot: the r13 the caller had is
 *                       lost (the x86 analogue of an aarch64 bug that saved x11, not x21)
 *   BROKEN_MXCSR        never reloads MXCSR for the incoming context
 *   BROKEN_X87CW        never reloads the x87 control word for the incoming context
 *   BROKEN_INIT_ALIGN   stackful_init_context builds its frame 8 bytes too low, so the
 *                       entry function starts with rsp % 16 == 0 instead of 8
 * The frame layout is otherwise the same as switch_x86_64.h's, so the real
 * stackful_init_context (and, for BROKEN_INIT_ALIGN, the real stackful_swap) still fit. */
#include "switch.h"

#include <string.h>

#if !defined(__x86_64__)
#  error "broken_swap_x86_64.c is for x86-64"
#endif

#if defined(BROKEN_INIT_ALIGN)

void *stackful_init_context_real(void *top, stackful_entry_fn entry);

void *
stackful_init_context(void *top, stackful_entry_fn entry)
{
    unsigned char *sp = stackful_init_context_real(top, entry);
    memmove(sp - 8, sp, 64);         /* same 64-byte frame, 8 bytes lower: misaligned */
    return sp - 8;
}

#else

#  if defined(BROKEN_MXCSR)
#    define SAVE_R13 "    pushq %r13\n"
#    define LOAD_MXCSR "    nop\n"                 /* BUG: MXCSR left as it is */
#    define LOAD_X87CW "    fldcw 4(%rsp)\n"
#  elif defined(BROKEN_X87CW)
#    define SAVE_R13 "    pushq %r13\n"
#    define LOAD_MXCSR "    ldmxcsr (%rsp)\n"
#    define LOAD_X87CW "    nop\n"                 /* BUG: x87 CW left as it is */
#  else
#    define SAVE_R13 "    pushq %r11\n"            /* BUG: r11 in r13's slot */
#    define LOAD_MXCSR "    ldmxcsr (%rsp)\n"
#    define LOAD_X87CW "    fldcw 4(%rsp)\n"
#  endif

__asm__(
    ".text\n"
    ".globl stackful_swap\n"
    ".hidden stackful_swap\n"
    ".type stackful_swap, @function\n"
    ".p2align 4\n"
    "stackful_swap:\n"
    "    pushq %rbp\n"
    "    pushq %rbx\n"
    "    pushq %r12\n"
    SAVE_R13
    "    pushq %r14\n"
    "    pushq %r15\n"
    "    subq $8, %rsp\n"
    "    stmxcsr (%rsp)\n"
    "    fnstcw 4(%rsp)\n"
    "    movq %rsp, (%rsi)\n"
    "    movq %rdx, %rsp\n"
    LOAD_MXCSR
    LOAD_X87CW
    "    addq $8, %rsp\n"
    "    popq %r15\n"
    "    popq %r14\n"
    "    popq %r13\n"
    "    popq %r12\n"
    "    popq %rbx\n"
    "    popq %rbp\n"
    "    movq %rdi, %rax\n"
    "    ret\n"
    ".size stackful_swap, .-stackful_swap\n"
);

#endif
