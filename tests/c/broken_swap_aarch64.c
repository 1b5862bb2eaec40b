/* broken_swap_aarch64.c -- TEST-ONLY negative controls for AArch64: deliberately wrong
 * replacements for stackful_swap / stackful_init_context, to show that test_switch
 * catches each class of bug. Never part of the product; run.sh links it in place of the
 * real symbol (renamed in switch.o with objcopy --redefine-sym).
 *
 * Select one with -D:
 *   BROKEN_X21          (default) saves x11 instead of x21 -- the real bug seen in
 *                       another library
 *   BROKEN_D9           never restores d9
 *   BROKEN_FPCR         never reloads FPCR for the incoming context
 *   BROKEN_INIT_ALIGN   stackful_init_context builds its frame 8 bytes too low, so the
 *                       entry function starts with sp % 16 == 8
 * The frame layout is otherwise the same as switch_aarch64.h's, so the real
 * stackful_init_context (and, for BROKEN_INIT_ALIGN, the real stackful_swap) still fit. */
#include "switch.h"

#include <string.h>

#if !defined(__aarch64__)
#  error "broken_swap_aarch64.c is for AArch64"
#endif

#if defined(BROKEN_INIT_ALIGN)

void *stackful_init_context_real(void *top, stackful_entry_fn entry);

void *
stackful_init_context(void *top, stackful_entry_fn entry)
{
    unsigned char *sp = stackful_init_context_real(top, entry);
    memmove(sp - 8, sp, 176);        /* same 176-byte frame, 8 bytes lower: misaligned */
    return sp - 8;
}

#else

#  if defined(BROKEN_D9)
#    define SAVE_X21 "    stp x21, x22, [sp, #16]\n"
#    define LOAD_D8_D9 "    ldr d8, [sp, #96]\n"      /* BUG: d9 not restored */
#    define LOAD_FPCR "    msr fpcr, x9\n"
#  elif defined(BROKEN_FPCR)
#    define SAVE_X21 "    stp x21, x22, [sp, #16]\n"
#    define LOAD_D8_D9 "    ldp d8, d9, [sp, #96]\n"
#    define LOAD_FPCR "    nop\n"                     /* BUG: FPCR left as it is */
#  else
#    define SAVE_X21 "    stp x11, x22, [sp, #16]\n"  /* BUG: x11 in x21's slot */
#    define LOAD_D8_D9 "    ldp d8, d9, [sp, #96]\n"
#    define LOAD_FPCR "    msr fpcr, x9\n"
#  endif

__asm__(
    ".text\n"
    ".globl stackful_swap\n"
    ".hidden stackful_swap\n"
    ".type stackful_swap, %function\n"
    ".p2align 4\n"
    "stackful_swap:\n"
    "    sub sp, sp, #176\n"
    "    stp x19, x20, [sp, #0]\n"
    SAVE_X21
    "    stp x23, x24, [sp, #32]\n"
    "    stp x25, x26, [sp, #48]\n"
    "    stp x27, x28, [sp, #64]\n"
    "    stp x29, x30, [sp, #80]\n"
    "    stp d8, d9, [sp, #96]\n"
    "    stp d10, d11, [sp, #112]\n"
    "    stp d12, d13, [sp, #128]\n"
    "    stp d14, d15, [sp, #144]\n"
    "    mrs x9, fpcr\n"
    "    str x9, [sp, #160]\n"
    "    mov x10, sp\n"
    "    str x10, [x1]\n"
    "    mov sp, x2\n"
    "    ldr x9, [sp, #160]\n"
    LOAD_FPCR
    "    ldp x19, x20, [sp, #0]\n"
    "    ldp x21, x22, [sp, #16]\n"
    "    ldp x23, x24, [sp, #32]\n"
    "    ldp x25, x26, [sp, #48]\n"
    "    ldp x27, x28, [sp, #64]\n"
    "    ldp x29, x30, [sp, #80]\n"
    LOAD_D8_D9
    "    ldp d10, d11, [sp, #112]\n"
    "    ldp d12, d13, [sp, #128]\n"
    "    ldp d14, d15, [sp, #144]\n"
    "    add sp, sp, #176\n"
    "    ret\n"
    ".size stackful_swap, .-stackful_swap\n"
);

#endif
