/* switch_aarch64.h -- the context switch for AArch64, AAPCS64.
 *
 * What a callee must preserve (AAPCS64 6.1.1 and 6.1.2): x19-x28, x29 (frame pointer),
 * x30 (link register: our return address), sp, and the low 64 bits of v8-v15 (d8-d15).
 * FPCR holds the rounding/flush-to-zero modes, which the ABI treats as callee-preserved
 * control state; FPSR (status flags) is not. Everything else (x0-x18, v0-v7, v16-v31,
 * upper halves of v8-v15) is scratch across a call: the caller of stackful_switch
 * already assumes they are clobbered, so the switch (and a landing it calls) may use
 * them.
 *
 * A real bug elsewhere saved x11 instead of x21: every slot below is named, and the test
 * suite checks that every callee-saved register and FPCR survive a switch.
 *
 * Saved frame layout, 192 bytes at the saved stack pointer (low to high addresses):
 *   sp+0   x19 x20   sp+16  x21 x22   sp+32  x23 x24   sp+48  x25 x26   sp+64  x27 x28
 *   sp+80  x29 x30 (x30: the return address of the `bl` or tail `b` that entered us)
 *   sp+96  d8 d9     sp+112 d10 d11   sp+128 d12 d13   sp+144 d14 d15
 *   sp+160 landing function   sp+168 landing argument
 *   sp+176 FPCR               sp+184 padding
 * sp is 16-byte aligned at every public interface (AAPCS64 "Universal stack
 * constraints"; with SCTLR_EL1.SA0 set, as Linux sets it, an sp-based access through a
 * misaligned sp faults), and 192 is a multiple of 16: so sp stays aligned throughout,
 * and the landing is called (`blr`, which pushes nothing) with sp % 16 == 0, as a
 * function's first instruction requires. Unlike x86-64, the return address is not on
 * the stack but in x30, so it has a slot in the frame like any callee-saved register.
 *
 * The incoming context's callee-saved registers (x29 included) and FPCR are restored
 * BEFORE its landing is called, so that the landing (a new context's entry) sees the
 * context as it left it (x29 = 0 for a new one: the end of the frame-record chain); the
 * landing preserves them in turn, being called. x30 is the exception: `blr` overwrites
 * it, so it is reloaded from the frame after the landing returns, and the frame is
 * released only then.
 *
 * Why writing FPCR is conditional: an `msr fpcr` may synchronise the FP pipeline on
 * some cores. FPCR is stored always and written only when the incoming context's value
 * differs from the live one (read once, before the stack changes).
 *
 * Why the switch returns with `ret` and not `br x30`, unlike x86-64's `pop; jmp` (see
 * switch_x86_64.h): a `ret` into the other stack is predicted from the return-stack
 * buffer, which holds the return addresses of the calls made on the stack we just left,
 * so it is mispredicted. An indirect `br` would be predicted from the branch history
 * instead, but on pages guarded by BTI (Branch Target Identification, Armv8.5; the
 * kernel and the dynamic loader map the code of BTI-marked binaries so) a `br` must land
 * on a `bti j`/`bti jc` instruction, and a return address is an ordinary instruction
 * after a `bl`: `br x30` would fault there. `ret` is exempt from BTI. So on AArch64 we
 * keep the one mispredicted return per switch. (The `blr` to the landing and the
 * landing's own `ret` pair up in the return stack and are predicted. Being reached by
 * `blr`, a landing on a BTI-guarded page must start with `bti c`, as compilers emit
 * with -mbranch-protection=bti or =standard.)
 *
 * Unwinding (CFI): from the frame claim on, the unwind info says where each callee-saved
 * register and x30 are, relative to the CFA (sp + 192). After `mov sp, x2` the incoming
 * frame has the same layout, so the same rules describe the incoming context: a landing
 * being unwound shows stackful_switch as its caller, and above it the code where the
 * incoming context suspended. A new context's first landing is the start stub below,
 * whose unwind info marks the end of the stack, and its frame has x29 = 0. */

__asm__(
    ".text\n"
    ".globl stackful_switch\n"
    ".hidden stackful_switch\n"
    ".type stackful_switch, %function\n"
    ".p2align 4\n"
    "stackful_switch:\n"
    ".cfi_startproc\n"
    /* x0 = value, x1 = save_sp, x2 = new_sp, x3 = landing, x4 = landing_arg. */
    "    sub sp, sp, #192\n"           /* claim the frame first: sp never points above
                                        * data; 192 keeps sp 16-byte aligned (AAPCS64) */
    ".cfi_adjust_cfa_offset 192\n"
    "    stp x19, x20, [sp, #0]\n"     /* callee-saved (AAPCS64 6.1.1: x19-x28) */
    ".cfi_offset x19, -192\n"
    ".cfi_offset x20, -184\n"
    "    stp x21, x22, [sp, #16]\n"    /* callee-saved */
    ".cfi_offset x21, -176\n"
    ".cfi_offset x22, -168\n"
    "    stp x23, x24, [sp, #32]\n"    /* callee-saved */
    ".cfi_offset x23, -160\n"
    ".cfi_offset x24, -152\n"
    "    stp x25, x26, [sp, #48]\n"    /* callee-saved */
    ".cfi_offset x25, -144\n"
    ".cfi_offset x26, -136\n"
    "    stp x27, x28, [sp, #64]\n"    /* callee-saved */
    ".cfi_offset x27, -128\n"
    ".cfi_offset x28, -120\n"
    "    stp x29, x30, [sp, #80]\n"    /* callee-saved frame pointer, and the link
                                        * register: our return address */
    ".cfi_offset x29, -112\n"
    ".cfi_offset x30, -104\n"
    "    stp d8, d9, [sp, #96]\n"      /* callee-saved: low 64 bits of v8-v15 (6.1.2) */
    ".cfi_offset d8, -96\n"
    ".cfi_offset d9, -88\n"
    "    stp d10, d11, [sp, #112]\n"   /* callee-saved (low 64 bits) */
    ".cfi_offset d10, -80\n"
    ".cfi_offset d11, -72\n"
    "    stp d12, d13, [sp, #128]\n"   /* callee-saved (low 64 bits) */
    ".cfi_offset d12, -64\n"
    ".cfi_offset d13, -56\n"
    "    stp d14, d15, [sp, #144]\n"   /* callee-saved (low 64 bits) */
    ".cfi_offset d14, -48\n"
    ".cfi_offset d15, -40\n"
    "    stp x3, x4, [sp, #160]\n"     /* what to run when this context is resumed, and
                                        * its argument (x3, x4: argument regs, scratch) */
    "    mrs x9, fpcr\n"               /* x9 (temporary, scratch): the live FPCR, kept
                                        * for the comparison below */
    "    str x9, [sp, #176]\n"         /* callee-saved control state: RMode, FZ, DN, AHP */
    "    mov x10, sp\n"                /* sp cannot be stored directly; x10 is scratch */
    "    str x10, [x1]\n"              /* publish where this context's state is */
    /* One instruction moves sp from one valid stack to another: at every instruction
     * boundary sp points at the bottom of a fully written frame of a real stack, so a
     * signal frame always lands below live data. The incoming frame has the same
     * layout, so the unwind info stays true. */
    "    mov sp, x2\n"
    "    ldr x10, [sp, #176]\n"        /* the incoming context's FPCR (x10: scratch) */
    "    cmp x10, x9\n"                /* flags are scratch across a call */
    "    b.eq 1f\n"
    "    msr fpcr, x10\n"              /* restore FPCR only if it differs (see above) */
    /* The incoming context's callee-saved registers come back before its landing runs
     * (see above); the landing preserves them, being called. */
    "1:  ldp x19, x20, [sp, #0]\n"     /* callee-saved x19-x28 */
    "    ldp x21, x22, [sp, #16]\n"    /* callee-saved */
    "    ldp x23, x24, [sp, #32]\n"    /* callee-saved */
    "    ldp x25, x26, [sp, #48]\n"    /* callee-saved */
    "    ldp x27, x28, [sp, #64]\n"    /* callee-saved */
    "    ldr x29, [sp, #80]\n"         /* callee-saved frame pointer (0 for a new context:
                                        * the end of the chain); x30 after the landing */
    "    ldp d8, d9, [sp, #96]\n"      /* callee-saved low halves of v8-v15 */
    "    ldp d10, d11, [sp, #112]\n"   /* callee-saved */
    "    ldp d12, d13, [sp, #128]\n"   /* callee-saved */
    "    ldp d14, d15, [sp, #144]\n"   /* callee-saved */
    "    ldp x9, x1, [sp, #160]\n"     /* x9 (scratch): the landing; x1: its argument, as
                                        * the second argument; x0 still holds value */
    "    cbz x9, 2f\n"                 /* no landing: the value (x0) is the result */
    "    blr x9\n"                     /* landing(value, arg), on the incoming stack, with
                                        * sp % 16 == 0 (see the layout); result in x0 */
    "2:  ldr x30, [sp, #88]\n"         /* the incoming context's return address (blr
                                        * overwrote the link register) */
    "    add sp, sp, #192\n"           /* release the frame only after reading it */
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
    "    ret\n"                        /* to x30; x0: the result. `ret`, not `br x30`: a
                                        * `br` to a return address faults on BTI-guarded
                                        * pages (see above); we keep the misprediction */
    ".cfi_endproc\n"
    ".size stackful_switch, .-stackful_switch\n"

    /* The first landing of every new context (stackful_init_context), called by the
     * switch's `blr` on the init frame with x0 = value, x1 = arg, x19 = entry (restored
     * from the frame like any callee-saved register), x29 = 0. The init frame is not
     * needed any more, so sp goes back to the top of the stack before entry is called:
     * a coroutine's used stack (what a share stack copies, what memory per coroutine
     * counts) starts at its top. Unwinders look up the code of a caller at its return
     * address minus one: the never-executed nop keeps that lookup inside this FDE,
     * which says "no caller", rather than in stackful_switch's or in padding. */
    ".globl stackful_start_aarch64\n"
    ".hidden stackful_start_aarch64\n"
    ".type stackful_start_aarch64, %function\n"
    ".p2align 4\n"
    ".cfi_startproc\n"
    ".cfi_undefined x30\n"             /* debuggers: there is no caller above this */
    "    nop\n"
    "stackful_start_aarch64:\n"
    "    hint #34\n"                   /* bti c: reached by `blr` (a no-op without BTI) */
    "    add sp, sp, #192\n"           /* drop the init frame: sp = the 16-byte aligned
                                        * top (blr pushed nothing) */
    "    blr x19\n"                    /* entry(value, arg), sp % 16 == 0 */
    "    bl stackful_entry_returned\n" /* entry must never return (libaco's protector):
                                        * report and abort */
    "    brk #0\n"                     /* not reached */
    ".cfi_endproc\n"
    ".size stackful_start_aarch64, .-stackful_start_aarch64\n"
);

void stackful_start_aarch64(void);

void *
stackful_init_context(void *top, stackful_landing_fn entry, void *arg)
{
    /* 16-byte aligned top; a frame of stackful_switch's layout just below it, whose
     * landing is stackful_start_aarch64 with entry in the x19 slot. */
    unsigned long *sp = (unsigned long *)(((unsigned long)top & ~15UL) - 192);
    unsigned long fpcr;
    __asm__ volatile ("mrs %0, fpcr" : "=r"(fpcr));
    for (int i = 0; i < 24; i++)
        sp[i] = 0;          /* x20-x28, x29 (0: end of chain), x30 (unused), d8-d15 */
    sp[0] = (unsigned long)entry;                               /* x19 */
    sp[20] = (unsigned long)stackful_start_aarch64;             /* landing */
    sp[21] = (unsigned long)arg;                                /* its x1 */
    sp[22] = fpcr;                  /* the creating thread's control state */
    return sp;
}
