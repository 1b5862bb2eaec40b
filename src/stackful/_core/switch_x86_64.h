/* switch_x86_64.h -- the context switch for x86-64, System V ABI.
 *
 * What a callee must preserve (System V AMD64 ABI, section 3.2.1 and 3.2.3):
 *   rbx, rbp, r12, r13, r14, r15, rsp; the x87 control word and the control bits of
 *   MXCSR ("callee-saved" control state). Everything else is scratch: the caller of
 *   stackful_swap already assumes rax, rcx, rdx, rsi, rdi, r8-r11, xmm0-15, and the
 *   status bits of MXCSR/x87 are clobbered. DF is clear at every call boundary and we
 *   never set it.
 *
 * Saved frame layout, at the saved stack pointer (low to high addresses):
 *   sp+0  MXCSR (4 bytes), x87 control word (2 bytes), 2 bytes padding
 *   sp+8  r15   sp+16 r14   sp+24 r13   sp+32 r12   sp+40 rbx   sp+48 rbp
 *   sp+56 return address
 * The frame is 64 bytes; sp is 16-byte aligned because the caller's sp was (the ABI
 * guarantees (rsp+8) % 16 == 0 on entry, and we push 7 words: 8 + 56 = 64).
 *
 * Why loading the control words is conditional: ldmxcsr and fldcw serialise the
 * pipeline (measured: ~12 ns -> ~46 ns per C-level switch). They are stored always and
 * loaded only when the incoming context's value differs from the live one; the live
 * values are read back from the outgoing frame just written (not from the red zone, which
 * tools like valgrind don't expect to be used right after a stack switch). */

__asm__(
    ".text\n"
    ".globl stackful_swap\n"
    ".hidden stackful_swap\n"
    ".type stackful_swap, @function\n"
    ".p2align 4\n"
    "stackful_swap:\n"
    ".cfi_startproc\n"
    /* rdi = arg, rsi = save_sp, rdx = new_sp. */
    "    pushq %rbp\n"                 /* callee-saved: frame pointer */
    ".cfi_adjust_cfa_offset 8\n"
    "    pushq %rbx\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    "    pushq %r12\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    "    pushq %r13\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    "    pushq %r14\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    "    pushq %r15\n"                 /* callee-saved */
    ".cfi_adjust_cfa_offset 8\n"
    "    subq $8, %rsp\n"              /* room for the control words, keeps 16-alignment */
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
    "2:  addq $8, %rsp\n"
    ".cfi_adjust_cfa_offset -8\n"
    "    popq %r15\n"
    ".cfi_adjust_cfa_offset -8\n"
    "    popq %r14\n"
    ".cfi_adjust_cfa_offset -8\n"
    "    popq %r13\n"
    ".cfi_adjust_cfa_offset -8\n"
    "    popq %r12\n"
    ".cfi_adjust_cfa_offset -8\n"
    "    popq %rbx\n"
    ".cfi_adjust_cfa_offset -8\n"
    "    popq %rbp\n"
    ".cfi_adjust_cfa_offset -8\n"
    "    movq %rdi, %rax\n"            /* return value: the arg of whoever switched to us */
    "    ret\n"                        /* pops the incoming context's return address */
    ".cfi_endproc\n"
    ".size stackful_swap, .-stackful_swap\n"

    /* First instruction of every new context: reached by stackful_swap's `ret` from a
     * frame built by stackful_init_context, with rsp % 16 == 0, rdi = arg, r12 = entry,
     * rbp = 0 (terminates frame-pointer walks). */
    ".globl stackful_trampoline_x86_64\n"
    ".hidden stackful_trampoline_x86_64\n"
    ".type stackful_trampoline_x86_64, @function\n"
    ".p2align 4\n"
    "stackful_trampoline_x86_64:\n"
    ".cfi_startproc\n"
    ".cfi_undefined rip\n"             /* debuggers: there is no caller above this */
    "    callq *%r12\n"                /* call pushes 8: entry sees (rsp+8) % 16 == 0 */
    "    callq stackful_entry_returned\n"  /* protector: entry must never return */
    "    ud2\n"
    ".cfi_endproc\n"
    ".size stackful_trampoline_x86_64, .-stackful_trampoline_x86_64\n"
);

void stackful_trampoline_x86_64(void);

void *
stackful_init_context(void *top, stackful_entry_fn entry)
{
    /* 16-byte aligned top; the trampoline starts with rsp == top. */
    unsigned long long *sp = (unsigned long long *)(((unsigned long)top & ~15UL) - 64);
    unsigned int mxcsr;
    unsigned short fpucw;
    __asm__ volatile ("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile ("fnstcw %0" : "=m"(fpucw));
    sp[0] = (unsigned long long)mxcsr | ((unsigned long long)fpucw << 32);
    sp[1] = 0;                                  /* r15 */
    sp[2] = 0;                                  /* r14 */
    sp[3] = 0;                                  /* r13 */
    sp[4] = (unsigned long long)(unsigned long)entry;   /* r12: the entry function */
    sp[5] = 0;                                  /* rbx */
    sp[6] = 0;                                  /* rbp: end of the frame chain */
    sp[7] = (unsigned long long)(unsigned long)stackful_trampoline_x86_64;
    return sp;
}
