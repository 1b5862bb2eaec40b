/* broken_swap_x86_64.c -- TEST-ONLY negative controls for x86-64: deliberately wrong
 * replacements for stackful_switch / stackful_init_context, to show that test_switch
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
 * Each broken stackful_switch is a full copy of switch_x86_64.h's with exactly one line
 * changed, so its frame layout is the same and the real stackful_init_context (and, for
 * BROKEN_INIT_ALIGN, the real stackful_switch) still fit. */
#include "switch.h"

#include <string.h>

#if !defined(__x86_64__)
#  error "broken_swap_x86_64.c is for x86-64"
#endif

#if defined(BROKEN_INIT_ALIGN)

void *stackful_init_context_real(void *top, stackful_landing_fn entry, void *arg);

void *
stackful_init_context(void *top, stackful_landing_fn entry, void *arg)
{
    unsigned char *sp = stackful_init_context_real(top, entry, arg);
    memmove(sp - 8, sp, 80);         /* same 80-byte frame (with the return slot),
                                      * 8 bytes lower: misaligned */
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

/* switch_x86_64.h's stackful_switch, with SAVE_R13, LOAD_MXCSR and LOAD_X87CW. */
__asm__(
    ".text\n"
    ".globl stackful_switch\n"
    ".hidden stackful_switch\n"
    ".type stackful_switch, @function\n"
    ".p2align 4\n"
    "stackful_switch:\n"
    ".cfi_startproc\n"
    "    pushq %rbp\n"
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %rbp, -16\n"
    "    pushq %rbx\n"
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %rbx, -24\n"
    "    pushq %r12\n"
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r12, -32\n"
    SAVE_R13
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r13, -40\n"
    "    pushq %r14\n"
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r14, -48\n"
    "    pushq %r15\n"
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r15, -56\n"
    "    pushq %r8\n"
    ".cfi_adjust_cfa_offset 8\n"
    "    pushq %rcx\n"
    ".cfi_adjust_cfa_offset 8\n"
    "    subq $8, %rsp\n"
    ".cfi_adjust_cfa_offset 8\n"
    "    stmxcsr (%rsp)\n"
    "    fnstcw 4(%rsp)\n"
    "    movq %rsp, (%rsi)\n"
    "    movq %rsp, %r8\n"
    "    movq %rdx, %rsp\n"
    "    movl (%rsp), %ecx\n"
    "    xorl (%r8), %ecx\n"
    "    andl $0xffc0, %ecx\n"
    "    jz 1f\n"
    LOAD_MXCSR
    "1:  movzwl 4(%rsp), %ecx\n"
    "    cmpw 4(%r8), %cx\n"
    "    je 2f\n"
    LOAD_X87CW
    "2:  movq 24(%rsp), %r15\n"
    "    movq 32(%rsp), %r14\n"
    "    movq 40(%rsp), %r13\n"
    "    movq 48(%rsp), %r12\n"
    "    movq 56(%rsp), %rbx\n"
    "    movq 64(%rsp), %rbp\n"
    "    movq %rdi, %rax\n"
    "    movq 8(%rsp), %rcx\n"
    "    testq %rcx, %rcx\n"
    "    jz 3f\n"
    "    movq 16(%rsp), %rsi\n"
    "    callq *%rcx\n"
    "3:  addq $72, %rsp\n"
    ".cfi_adjust_cfa_offset -72\n"
    ".cfi_restore %rbp\n"
    ".cfi_restore %rbx\n"
    ".cfi_restore %r12\n"
    ".cfi_restore %r13\n"
    ".cfi_restore %r14\n"
    ".cfi_restore %r15\n"
    "    popq %rcx\n"
    ".cfi_adjust_cfa_offset -8\n"
    ".cfi_register %rip, %rcx\n"
    "    jmpq *%rcx\n"
    ".cfi_endproc\n"
    ".size stackful_switch, .-stackful_switch\n"
);

#endif
