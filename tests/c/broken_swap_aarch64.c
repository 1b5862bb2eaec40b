/* broken_swap_aarch64.c -- TEST-ONLY negative controls for AArch64: deliberately wrong
 * replacements for stackful_switch / stackful_init_context, to show that test_switch
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
 * Each broken stackful_switch is a full copy of switch_aarch64.h's with exactly one line
 * changed, so its frame layout is the same and the real stackful_init_context (and, for
 * BROKEN_INIT_ALIGN, the real stackful_switch) still fit.
 *
 * BROKEN_INIT_ALIGN runs the switch with a misaligned sp. qemu-aarch64 does not check
 * sp alignment, so the test reports the misaligned entry; on hardware (Linux sets
 * SCTLR_EL1.SA0) the first sp-based load after the switch would fault (SIGBUS)
 * instead. */
#include "switch.h"

#include <string.h>

#if !defined(__aarch64__)
#  error "broken_swap_aarch64.c is for AArch64"
#endif

#if defined(BROKEN_INIT_ALIGN)

void *stackful_init_context_real(void *top, stackful_landing_fn entry, void *arg);

void *
stackful_init_context(void *top, stackful_landing_fn entry, void *arg)
{
    unsigned char *sp = stackful_init_context_real(top, entry, arg);
    memmove(sp - 8, sp, 192);        /* same 192-byte frame, 8 bytes lower: misaligned */
    return sp - 8;
}

#else

#  if defined(BROKEN_D9)
#    define SAVE_X21 "    stp x21, x22, [sp, #16]\n"
#    define LOAD_D8_D9 "    ldr d8, [sp, #96]\n"      /* BUG: d9 not restored */
#    define LOAD_FPCR "    msr fpcr, x10\n"
#  elif defined(BROKEN_FPCR)
#    define SAVE_X21 "    stp x21, x22, [sp, #16]\n"
#    define LOAD_D8_D9 "    ldp d8, d9, [sp, #96]\n"
#    define LOAD_FPCR "    nop\n"                     /* BUG: FPCR left as it is */
#  else
#    define SAVE_X21 "    stp x11, x22, [sp, #16]\n"  /* BUG: x11 in x21's slot */
#    define LOAD_D8_D9 "    ldp d8, d9, [sp, #96]\n"
#    define LOAD_FPCR "    msr fpcr, x10\n"
#  endif

/* switch_aarch64.h's stackful_switch, with SAVE_X21, LOAD_FPCR and LOAD_D8_D9. */
__asm__(
    ".text\n"
    ".globl stackful_switch\n"
    ".hidden stackful_switch\n"
    ".type stackful_switch, %function\n"
    ".p2align 4\n"
    "stackful_switch:\n"
    ".cfi_startproc\n"
    "    sub sp, sp, #192\n"
    ".cfi_adjust_cfa_offset 192\n"
    "    stp x19, x20, [sp, #0]\n"
    ".cfi_offset x19, -192\n"
    ".cfi_offset x20, -184\n"
    SAVE_X21
    ".cfi_offset x21, -176\n"
    ".cfi_offset x22, -168\n"
    "    stp x23, x24, [sp, #32]\n"
    ".cfi_offset x23, -160\n"
    ".cfi_offset x24, -152\n"
    "    stp x25, x26, [sp, #48]\n"
    ".cfi_offset x25, -144\n"
    ".cfi_offset x26, -136\n"
    "    stp x27, x28, [sp, #64]\n"
    ".cfi_offset x27, -128\n"
    ".cfi_offset x28, -120\n"
    "    stp x29, x30, [sp, #80]\n"
    ".cfi_offset x29, -112\n"
    ".cfi_offset x30, -104\n"
    "    stp d8, d9, [sp, #96]\n"
    ".cfi_offset d8, -96\n"
    ".cfi_offset d9, -88\n"
    "    stp d10, d11, [sp, #112]\n"
    ".cfi_offset d10, -80\n"
    ".cfi_offset d11, -72\n"
    "    stp d12, d13, [sp, #128]\n"
    ".cfi_offset d12, -64\n"
    ".cfi_offset d13, -56\n"
    "    stp d14, d15, [sp, #144]\n"
    ".cfi_offset d14, -48\n"
    ".cfi_offset d15, -40\n"
    "    stp x3, x4, [sp, #160]\n"
    "    mrs x9, fpcr\n"
    "    str x9, [sp, #176]\n"
    "    mov x10, sp\n"
    "    str x10, [x1]\n"
    "    mov sp, x2\n"
    "    ldr x10, [sp, #176]\n"
    "    cmp x10, x9\n"
    "    b.eq 1f\n"
    LOAD_FPCR
    "1:  ldp x19, x20, [sp, #0]\n"
    "    ldp x21, x22, [sp, #16]\n"
    "    ldp x23, x24, [sp, #32]\n"
    "    ldp x25, x26, [sp, #48]\n"
    "    ldp x27, x28, [sp, #64]\n"
    "    ldr x29, [sp, #80]\n"
    LOAD_D8_D9
    "    ldp d10, d11, [sp, #112]\n"
    "    ldp d12, d13, [sp, #128]\n"
    "    ldp d14, d15, [sp, #144]\n"
    "    ldp x9, x1, [sp, #160]\n"
    "    cbz x9, 2f\n"
    "    blr x9\n"
    "2:  ldr x30, [sp, #88]\n"
    "    add sp, sp, #192\n"
    ".cfi_adjust_cfa_offset -192\n"
    ".cfi_restore x19\n"
    ".cfi_restore x20\n"
    ".cfi_restore x21\n"
    ".cfi_restore x22\n"
    ".cfi_restore x23\n"
    ".cfi_restore x24\n"
    ".cfi_restore x25\n"
    ".cfi_restore x26\n"
    ".cfi_restore x27\n"
    ".cfi_restore x28\n"
    ".cfi_restore x29\n"
    ".cfi_restore x30\n"
    ".cfi_restore d8\n"
    ".cfi_restore d9\n"
    ".cfi_restore d10\n"
    ".cfi_restore d11\n"
    ".cfi_restore d12\n"
    ".cfi_restore d13\n"
    ".cfi_restore d14\n"
    ".cfi_restore d15\n"
    "    ret\n"
    ".cfi_endproc\n"
    ".size stackful_switch, .-stackful_switch\n"
);

#endif
