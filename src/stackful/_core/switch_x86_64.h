/* switch_x86_64.h -- the context switch for x86-64, System V ABI.
 *
 * What a callee must preserve (System V AMD64 ABI, section 3.2.1 and 3.2.3):
 *   rbx, rbp, r12, r13, r14, r15, rsp; the x87 control word and the control bits of
 *   MXCSR ("callee-saved" control state). Everything else is scratch: the caller of
 *   stackful_switch already assumes rax, rcx, rdx, rsi, rdi, r8-r11, xmm0-15, and the
 *   status bits of MXCSR/x87 are clobbered. DF is clear at every call boundary and we
 *   never set it.
 *
 * Saved frame layout, 72 bytes at the saved stack pointer (low to high addresses),
 * below the return address of the call (or tail jump) that entered stackful_switch:
 *   sp+0   MXCSR (4 bytes), x87 control word (2 bytes), 2 bytes padding
 *   sp+8   landing function   sp+16  landing argument
 *   sp+24  r15   sp+32 r14   sp+40 r13   sp+48 r12   sp+56 rbx   sp+64 rbp
 *   sp+72  return address
 * sp is 16-byte aligned: the ABI guarantees (rsp + 8) % 16 == 0 on entry, and we push
 * 9 words: 8 + 72 = 80. So the landing is called with rsp % 16 == 0, as the ABI wants
 * before a call.
 *
 * Why loading the control words is conditional: ldmxcsr and fldcw serialise the
 * pipeline (docs/benchmarks.md: a C-level switch costs several times more with them
 * loaded every time). They are stored always and
 * loaded only when the incoming context's value differs from the live one; the live
 * values are read back from the outgoing frame just written (not from the red zone, which
 * tools like valgrind don't expect to be used right after a stack switch).
 *
 * Why the switch returns with `pop; jmp` and not `ret`: the CPU predicts a `ret` from
 * its return-stack buffer, which holds the return addresses of the calls made on the
 * stack we just left, so every `ret` into the other stack is mispredicted (a C ping-pong
 * measured in docs/benchmarks.md costs three times as much with `ret`). An indirect jump
 * is predicted from the branch history instead, which knows that a switch from a
 * resume goes back to where the coroutine suspended. The switch path tail-calls
 * stackful_switch, and the landing does what the C code would have done after it, so
 * that this jump returns straight into the interpreter. The return-stack buffer keeps the
 * entry of the call that entered us (we never pop it); it is a ring, and the stale entry
 * costs at most one mispredicted `ret` later, where a `ret` cost one per switch. */

__asm__(
    ".text\n"
    ".globl stackful_switch\n"
    ".hidden stackful_switch\n"
    ".type stackful_switch, @function\n"
    ".p2align 4\n"
    "stackful_switch:\n"
    ".cfi_startproc\n"
    /* rdi = value, rsi = save_sp, rdx = new_sp, rcx = landing, r8 = landing_arg. */
    "    pushq %rbp\n"                 /* callee-saved: frame pointer */
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %rbp, -16\n"
    "    pushq %rbx\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %rbx, -24\n"
    "    pushq %r12\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r12, -32\n"
    "    pushq %r13\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r13, -40\n"
    "    pushq %r14\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r14, -48\n"
    "    pushq %r15\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    ".cfi_offset %r15, -56\n"
    "    pushq %r8\n"                  /* the argument of ... */
    ".cfi_adjust_cfa_offset 8\n"
    "    pushq %rcx\n"                 /* ... what to run when this context is resumed
                                        * (rcx, r8: scratch from here on) */
    ".cfi_adjust_cfa_offset 8\n"
    "    subq $8, %rsp\n"              /* room for the control words */
    ".cfi_adjust_cfa_offset 8\n"
    "    stmxcsr (%rsp)\n"             /* callee-saved: MXCSR control bits */
    "    fnstcw 4(%rsp)\n"             /* callee-saved: x87 control word */
    "    movq %rsp, (%rsi)\n"          /* publish where this context's state is */
    "    movq %rsp, %r8\n"             /* r8 (scratch): the frame just written holds the
                                        * live control words */
    /* One instruction moves sp from one valid stack to another: at every instruction
     * boundary sp points at the top of a fully written frame of a real stack. The
     * incoming frame has the same layout, so the unwind info stays true. */
    "    movq %rdx, %rsp\n"
    "    movl (%rsp), %ecx\n"          /* rcx is scratch */
    "    xorl (%r8), %ecx\n"
    "    andl $0xffc0, %ecx\n"         /* MXCSR bits 0-5 are status flags, not callee-saved */
    "    jz 1f\n"
    "    ldmxcsr (%rsp)\n"             /* restore MXCSR control bits only if they differ */
    "1:  movzwl 4(%rsp), %ecx\n"
    "    cmpw 4(%r8), %cx\n"
    "    je 2f\n"
    "    fldcw 4(%rsp)\n"              /* restore x87 CW only if it differs */
    /* The incoming context's registers come back before its landing runs, so that the
     * landing sees them as the context left them (a new context: rbp = 0, the end of
     * the frame-pointer chain, and r12 = its entry for the start stub). The landing
     * preserves them: it is called. */
    "2:  movq 24(%rsp), %r15\n"
    "    movq 32(%rsp), %r14\n"
    "    movq 40(%rsp), %r13\n"
    "    movq 48(%rsp), %r12\n"
    "    movq 56(%rsp), %rbx\n"
    "    movq 64(%rsp), %rbp\n"
    "    movq %rdi, %rax\n"            /* no landing: the value is the result */
    "    movq 8(%rsp), %rcx\n"
    "    testq %rcx, %rcx\n"
    "    jz 3f\n"
    "    movq 16(%rsp), %rsi\n"        /* landing(value in rdi, its arg in rsi) */
    "    callq *%rcx\n"                /* rsp % 16 == 0 here (see the layout) */
    "3:  addq $72, %rsp\n"             /* release the frame only after reading it */
    ".cfi_adjust_cfa_offset -72\n"
    ".cfi_restore %rbp\n"
    ".cfi_restore %rbx\n"
    ".cfi_restore %r12\n"
    ".cfi_restore %r13\n"
    ".cfi_restore %r14\n"
    ".cfi_restore %r15\n"
    "    popq %rcx\n"                  /* the return address: a ret, without the return- */
    ".cfi_adjust_cfa_offset -8\n"      /* stack prediction (see above); rax: the result */
    ".cfi_register %rip, %rcx\n"
    "    jmpq *%rcx\n"
    ".cfi_endproc\n"
    ".size stackful_switch, .-stackful_switch\n"

    /* The first landing of every new context (stackful_init_context), called by the
     * switch on the init frame with rdi = value, rsi = arg, r12 = entry (restored from
     * the frame like any callee-saved register), rbp = 0. The init frame is not needed
     * any more, so rsp goes back to the top of the stack before entry is called: a
     * coroutine's used stack (what a share stack copies, what memory per coroutine
     * counts) starts at its top. Unwinders look up the code at (return address - 1):
     * the nop puts that byte inside this function's unwind info, which says there is
     * no caller, whatever code happens to end right before it. */
    ".globl stackful_start_x86_64\n"
    ".hidden stackful_start_x86_64\n"
    ".type stackful_start_x86_64, @function\n"
    ".p2align 4\n"
    ".cfi_startproc\n"
    ".cfi_undefined rip\n"             /* debuggers: there is no caller above this */
    "    nop\n"
    "stackful_start_x86_64:\n"
    "    leaq 88(%rsp), %rsp\n"        /* drop our return address (8) and the init frame
                                        * (80): rsp = the 16-byte aligned top */
    "    callq *%r12\n"                /* entry(value, arg): sees (rsp + 8) % 16 == 0 */
    "    callq stackful_entry_returned\n"  /* entry must never return (libaco's
                                            * protector): report and abort */
    "    ud2\n"
    ".cfi_endproc\n"
    ".size stackful_start_x86_64, .-stackful_start_x86_64\n"
);

void stackful_start_x86_64(void);

void *
stackful_init_context(void *top, stackful_landing_fn entry, void *arg)
{
    /* 16-byte aligned top; a frame of stackful_switch's layout just below it, whose
     * landing is stackful_start_x86_64 with entry in the r12 slot. */
    unsigned long long *sp = (unsigned long long *)(((unsigned long)top & ~15UL) - 80);
    unsigned int mxcsr;
    unsigned short fpucw;
    __asm__ volatile ("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile ("fnstcw %0" : "=m"(fpucw));
    sp[0] = (unsigned long long)mxcsr | ((unsigned long long)fpucw << 32);
    sp[1] = (unsigned long long)(unsigned long)stackful_start_x86_64;   /* landing */
    sp[2] = (unsigned long long)(unsigned long)arg;                     /* its rsi */
    for (int i = 3; i <= 9; i++)
        sp[i] = 0;          /* r15 ... rbp (0: end of chain); the return slot: unused */
    sp[6] = (unsigned long long)(unsigned long)entry;                   /* r12 */
    return sp;
}
