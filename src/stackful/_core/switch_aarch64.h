/* switch_aarch64.h -- the context switch for AArch64, AAPCS64.
 *
 * What a callee must preserve (AAPCS64 6.1.1 and 6.1.2): x19-x28, x29 (frame pointer),
 * x30 (link register: our return address), sp, and the low 64 bits of v8-v15 (d8-d15).
 * FPCR holds the rounding/flush-to-zero modes, which the ABI treats as callee-preserved
 * control state; FPSR (status flags) is not. Everything else (x0-x18, v0-v7, v16-v31,
 * upper halves of v8-v15) is scratch across a call.
 *
 * A real bug elsewhere saved x11 instead of x21: every slot below is named, and the test
 * suite checks that every callee-saved register and FPCR survive a switch.
 *
 * Saved frame layout, 176 bytes at the saved (16-byte aligned) sp:
 *   +0 x19 x20  +16 x21 x22  +32 x23 x24  +48 x25 x26  +64 x27 x28  +80 x29 x30
 *   +96 d8 d9  +112 d10 d11  +128 d12 d13  +144 d14 d15  +160 FPCR  +168 padding
 *
 * Not run on this project's x86-64 CI machine: it is built and tested only where an
 * AArch64 machine is available (see README). */

__asm__(
    ".text\n"
    ".globl stackful_swap\n"
    ".hidden stackful_swap\n"
    ".type stackful_swap, %function\n"
    ".p2align 4\n"
    "stackful_swap:\n"
    ".cfi_startproc\n"
    /* x0 = arg, x1 = save_sp, x2 = new_sp. sp stays 16-byte aligned (AAPCS64 5.2.2). */
    "    sub sp, sp, #176\n"           /* claim the frame first: sp never points above data */
    ".cfi_adjust_cfa_offset 176\n"
    "    stp x19, x20, [sp, #0]\n"     /* callee-saved general registers */
    "    stp x21, x22, [sp, #16]\n"
    "    stp x23, x24, [sp, #32]\n"
    "    stp x25, x26, [sp, #48]\n"
    "    stp x27, x28, [sp, #64]\n"
    "    stp x29, x30, [sp, #80]\n"    /* frame pointer and return address */
    ".cfi_offset x29, -96\n"          /* unwinders: read fp/lr from the frame, whichever */
    ".cfi_offset x30, -88\n"          /* stack sp points into (same layout on both) */
    "    stp d8, d9, [sp, #96]\n"      /* callee-saved low halves of v8-v15 */
    "    stp d10, d11, [sp, #112]\n"
    "    stp d12, d13, [sp, #128]\n"
    "    stp d14, d15, [sp, #144]\n"
    "    mrs x9, fpcr\n"               /* x9, x10 are scratch (caller-saved) */
    "    str x9, [sp, #160]\n"         /* control state: rounding mode, FZ, DN */
    "    mov x10, sp\n"
    "    str x10, [x1]\n"              /* publish where this context's state is */
    "    mov sp, x2\n"                 /* one instruction from one valid stack to another */
    "    ldr x9, [sp, #160]\n"
    "    mrs x10, fpcr\n"
    "    cmp x9, x10\n"
    "    b.eq 1f\n"
    "    msr fpcr, x9\n"               /* writing FPCR is costly: only when it differs */
    "1:  ldp x19, x20, [sp, #0]\n"
    "    ldp x21, x22, [sp, #16]\n"
    "    ldp x23, x24, [sp, #32]\n"
    "    ldp x25, x26, [sp, #48]\n"
    "    ldp x27, x28, [sp, #64]\n"
    "    ldp x29, x30, [sp, #80]\n"
    "    ldp d8, d9, [sp, #96]\n"
    "    ldp d10, d11, [sp, #112]\n"
    "    ldp d12, d13, [sp, #128]\n"
    "    ldp d14, d15, [sp, #144]\n"
    "    add sp, sp, #176\n"           /* release the frame only after reading it */
    ".cfi_adjust_cfa_offset -176\n"
    ".cfi_restore x29\n"
    ".cfi_restore x30\n"
    "    ret\n"                        /* x0 still holds arg: the return value */
    ".cfi_endproc\n"
    ".size stackful_swap, .-stackful_swap\n"

    /* First instruction of a new context, reached by `ret` with x30 = this address,
     * x19 = entry, x0 = arg, x29 = 0, sp 16-byte aligned. */
    ".globl stackful_trampoline_aarch64\n"
    ".hidden stackful_trampoline_aarch64\n"
    ".type stackful_trampoline_aarch64, %function\n"
    ".p2align 4\n"
    "stackful_trampoline_aarch64:\n"
    ".cfi_startproc\n"
    ".cfi_undefined x30\n"             /* debuggers: no caller above this frame */
    "    blr x19\n"
    "    bl stackful_entry_returned\n" /* protector: entry must never return */
    "    brk #0\n"
    ".cfi_endproc\n"
    ".size stackful_trampoline_aarch64, .-stackful_trampoline_aarch64\n"
);

void stackful_trampoline_aarch64(void);

void *
stackful_init_context(void *top, stackful_entry_fn entry)
{
    unsigned long *sp = (unsigned long *)(((unsigned long)top & ~15UL) - 176);
    unsigned long fpcr;
    __asm__ volatile ("mrs %0, fpcr" : "=r"(fpcr));
    for (int i = 0; i < 22; i++)
        sp[i] = 0;
    sp[0] = (unsigned long)entry;                               /* x19 */
    sp[10] = 0;                                                 /* x29: end of chain */
    sp[11] = (unsigned long)stackful_trampoline_aarch64;        /* x30: first `ret` */
    sp[20] = fpcr;
    return sp;
}
