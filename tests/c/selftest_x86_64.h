/* selftest_x86_64.h -- the register probe of selftest.c for x86-64, System V ABI.
 *
 * Included by selftest.c only, after the definitions of struct st_probe, the ST_OFF_*
 * offsets and ST_STR.
 *
 * The state under test (System V AMD64 ABI 3.2.1, 3.2.3): rbx, rbp, r12, r13, r14, r15
 * and rsp; the control bits of MXCSR (rounding RC 13-14, flush-to-zero FZ 15, DAZ 6,
 * exception masks 7-12; bits 0-5 are status flags, scratch across a call); the x87
 * control word (exception masks 0-5, precision PC 8-9, rounding RC 10-11).
 *
 * Probe slot layout (uint64_t each), shared by st_probe.load and st_probe.out:
 *   0 rbx  1 rbp  2 r12  3 r13  4 r14  5 r15  6 MXCSR (low 32 bits)  7 x87 CW (low 16)
 */

#define ST_NDATA 6                     /* slots holding a full 64-bit register */
#define ST_NCTL 2                      /* slots holding a control word */
#define ST_NSLOTS (ST_NDATA + ST_NCTL)

static const char *const st_slot_name[ST_NSLOTS] = {
    "rbx", "rbp", "r12", "r13", "r14", "r15", "MXCSR", "x87 control word",
};

/* Bits of each control word that the ABI makes callee-saved and that we compare. */
static const uint64_t st_ctl_mask[ST_NCTL] = {
    0xffc0,   /* MXCSR without the status flags IE DE ZE OE UE PE (bits 0-5) */
    0x0f3f,   /* x87 CW: exception masks, PC, RC (bit 6 and 12-15 are reserved/ignored) */
};

#define ST_SP_NAME "rsp"
#define ST_FP_NAME "rbp"
/* The ABI's rule at a function's first instruction: (rsp + 8) % 16 == 0, i.e. the call
 * that reached it pushed 8 bytes onto a 16-byte aligned stack (System V 3.2.2). */
#define ST_ENTRY_SP_MOD16 8u
#define ST_ENTRY_SP_RULE "System V requires rsp % 16 == 8, i.e. (rsp + 8) % 16 == 0"
/* Bytes at and above the entry's rsp that belong to it: the return address `call`
 * pushed. So rsp + 8 <= top. */
#define ST_ENTRY_SP_IN_USE 8u

static void
st_read_ctl(uint64_t ctl[ST_NCTL])
{
    uint32_t mxcsr;
    uint16_t cw;
    __asm__ volatile ("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile ("fnstcw %0" : "=m"(cw));
    ctl[0] = mxcsr;
    ctl[1] = cw;
}

/* Variant k (0..3) of control word j: differs from `live` and from every other variant
 * in the compared bits, and is safe to load: exception masks are kept as they are, and
 * only valid encodings are used. */
static uint64_t
st_ctl_variant(int j, uint64_t live, unsigned k)
{
    if (j == 0) {
        /* MXCSR: RC = live RC + 1 + k (mod 4); FZ flipped for odd k. */
        uint64_t rc = (((live >> 13) & 3u) + 1u + k) & 3u;
        uint64_t fz = ((live >> 15) & 1u) ^ (k & 1u);
        return (live & ~(uint64_t)0xe03f) | (rc << 13) | (fz << 15);
    }
    /* x87 CW: RC = live RC + 1 + k (mod 4); PC alternates between the two valid
     * precisions (0 single, 2 double, 3 extended) other than the live one. */
    unsigned live_pc = (unsigned)(live >> 8) & 3u;
    unsigned others[2], n = 0;
    static const unsigned valid_pc[3] = {0u, 2u, 3u};
    for (int i = 0; i < 3; i++)
        if (valid_pc[i] != live_pc && n < 2)
            others[n++] = valid_pc[i];
    if (n < 2)                         /* live PC was the reserved 1: any two valid ones */
        others[0] = 0u, others[1] = 2u;
    uint64_t rc = (((live >> 10) & 3u) + 1u + k) & 3u;
    uint64_t pc = others[k & 1u];
    return (live & ~(uint64_t)0x0f00) | (pc << 8) | (rc << 10);
}

__asm__(
    ".text\n"

    /* void stackful_selftest_probe(struct st_probe *p)
     * An ordinary System V function to its C caller: it preserves the caller's
     * rbx rbp r12-r15, MXCSR and x87 CW itself (in its own frame, never relying on
     * stackful_switch), so its caller is sound even when the switch under test is not.
     * In between, it loads p->load into every callee-saved register and control word,
     * calls stackful_switch(p->value, p->save_sp, p->new_sp, p->landing,
     * p->landing_arg), and writes what those registers hold when the switch returns
     * (after the landing, if there is one: it ran on the way back into this context)
     * to p->out, and what it returned to p->ret. */
    ".globl stackful_selftest_probe\n"
    ".hidden stackful_selftest_probe\n"
    ".type stackful_selftest_probe, @function\n"
    ".p2align 4\n"
    "stackful_selftest_probe:\n"
    ".cfi_startproc\n"
    "    pushq %rbp\n"                 /* the caller's callee-saved registers: the probe */
    ".cfi_adjust_cfa_offset 8\n"      /* itself must obey the ABI it is testing */
    ".cfi_offset %rbp, -16\n"
    "    pushq %rbx\n"                 /* callee-saved (SysV 3.2.1) */
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
    "    subq $24, %rsp\n"             /* 8 (ret) + 48 + 24 = 80: rsp % 16 == 0 at the call
                                        * below, as System V requires before a call */
    ".cfi_adjust_cfa_offset 24\n"
    "    movq %rdi, (%rsp)\n"          /* p lives in our frame: every callee-saved register
                                        * is about to hold a test pattern */
    "    stmxcsr 8(%rsp)\n"            /* the caller's MXCSR, to give it back */
    "    fnstcw 12(%rsp)\n"            /* the caller's x87 control word, likewise */
    "    movq " ST_STR(ST_OFF_LOAD) "(%rdi), %rax\n"  /* rax: scratch, p->load */
    "    movq 0(%rax), %rbx\n"         /* pattern into each callee-saved register ... */
    "    movq 8(%rax), %rbp\n"         /* rbp: callee-saved, tested */
    "    movq 16(%rax), %r12\n"        /* r12: callee-saved, tested */
    "    movq 24(%rax), %r13\n"        /* r13: callee-saved, tested */
    "    movq 32(%rax), %r14\n"        /* r14: callee-saved, tested */
    "    movq 40(%rax), %r15\n"        /* r15: callee-saved, tested */
    "    ldmxcsr 48(%rax)\n"           /* ... and a non-default MXCSR (RC, FZ) */
    "    fldcw 56(%rax)\n"             /* ... and a non-default x87 CW (PC, RC) */
    "    movq %rsp, " ST_STR(ST_OFF_SP_BEFORE) "(%rdi)\n"  /* rsp is callee-saved too */
    "    movq " ST_STR(ST_OFF_SAVE_SP) "(%rdi), %rsi\n"    /* 2nd argument: save_sp */
    "    movq " ST_STR(ST_OFF_NEW_SP) "(%rdi), %rdx\n"     /* 3rd argument: new_sp */
    "    movq " ST_STR(ST_OFF_LANDING) "(%rdi), %rcx\n"    /* 4th argument: landing
                                        * (NULL: none), run when we are resumed */
    "    movq " ST_STR(ST_OFF_LANDING_ARG) "(%rdi), %r8\n" /* 5th argument: landing_arg */
    "    movq " ST_STR(ST_OFF_VALUE) "(%rdi), %rdi\n"      /* 1st argument: value (rdi,
                                        * p, last: the loads above go through it) */
    "    call stackful_switch\n"       /* the other context runs, loads its own patterns
                                        * and control words, and switches back; our
                                        * landing, if any, runs before this returns */
    "    movq (%rsp), %rdi\n"          /* p again (rdi is scratch across the call) */
    "    movq %rax, " ST_STR(ST_OFF_RET) "(%rdi)\n"        /* the switch's return value
                                        * (rax): our landing's result, or the value */
    "    movq %rsp, " ST_STR(ST_OFF_SP_AFTER) "(%rdi)\n"   /* must equal sp_before */
    "    movq " ST_STR(ST_OFF_OUT) "(%rdi), %rax\n"        /* rax: p->out */
    "    movq %rbx, 0(%rax)\n"         /* what the switch gave back, register by register */
    "    movq %rbp, 8(%rax)\n"         /* rbp as the switch returned it */
    "    movq %r12, 16(%rax)\n"        /* r12 likewise */
    "    movq %r13, 24(%rax)\n"        /* r13 likewise */
    "    movq %r14, 32(%rax)\n"        /* r14 likewise */
    "    movq %r15, 40(%rax)\n"        /* r15 likewise */
    "    stmxcsr 48(%rax)\n"           /* low 32 bits; C zeroed the slot */
    "    fnstcw 56(%rax)\n"            /* low 16 bits; C zeroed the slot */
    "    ldmxcsr 8(%rsp)\n"            /* give the caller back its control words ... */
    "    fldcw 12(%rsp)\n"             /* control words are callee-saved */
    "    addq $24, %rsp\n"             /* drop p and the saved control words */
    ".cfi_adjust_cfa_offset -24\n"
    "    popq %r15\n"                  /* ... and its callee-saved registers */
    ".cfi_adjust_cfa_offset -8\n"
    ".cfi_restore %r15\n"
    "    popq %r14\n"                  /* the caller's r14 */
    ".cfi_adjust_cfa_offset -8\n"
    ".cfi_restore %r14\n"
    "    popq %r13\n"                  /* the caller's r13 */
    ".cfi_adjust_cfa_offset -8\n"
    ".cfi_restore %r13\n"
    "    popq %r12\n"                  /* the caller's r12 */
    ".cfi_adjust_cfa_offset -8\n"
    ".cfi_restore %r12\n"
    "    popq %rbx\n"                  /* the caller's rbx */
    ".cfi_adjust_cfa_offset -8\n"
    ".cfi_restore %rbx\n"
    "    popq %rbp\n"                  /* the caller's rbp */
    ".cfi_adjust_cfa_offset -8\n"
    ".cfi_restore %rbp\n"
    "    ret\n"                        /* rsp back where the call left it */
    ".cfi_endproc\n"
    ".size stackful_selftest_probe, .-stackful_selftest_probe\n"

    /* void *stackful_selftest_entry(void *value, void *arg)  -- the entry function (first
     * landing) of the context under test, in assembly so that its first instruction
     * sees exactly the state stackful_init_context + stackful_switch produced. It
     * dereferences nothing (value and arg are under test): it hands value, arg and what
     * it saw to stackful_selftest_entry_c, which never returns. */
    ".globl stackful_selftest_entry\n"
    ".hidden stackful_selftest_entry\n"
    ".type stackful_selftest_entry, @function\n"
    ".p2align 4\n"
    "stackful_selftest_entry:\n"
    ".cfi_startproc\n"
    ".cfi_undefined rip\n"             /* rsp is realigned below without CFI: stop here */
    "    movq %rsp, %rdx\n"            /* 3rd argument: rsp at the first instruction
                                        * (entry alignment: (rsp + 8) % 16 == 0) */
    "    movq %rbp, %rcx\n"            /* 4th argument: rbp (0: end of the chain) */
    "    andq $-16, %rsp\n"            /* whatever rsp was, call C on an aligned stack so
                                        * a misalignment is reported, not crashed on */
    "    subq $16, %rsp\n"             /* room for the control words; keeps rsp % 16 == 0 */
    "    stmxcsr (%rsp)\n"             /* the control words a new context starts with: */
    "    fnstcw 8(%rsp)\n"             /* the creating thread's */
    "    movl (%rsp), %r8d\n"          /* 5th argument: MXCSR (zero-extended) */
    "    movzwl 8(%rsp), %r9d\n"       /* 6th argument: x87 control word */
    "    call stackful_selftest_entry_c\n"  /* rdi = value, rsi = arg as received */
    "    ud2\n"                        /* not reached: entry_c never returns */
    ".cfi_endproc\n"
    ".size stackful_selftest_entry, .-stackful_selftest_entry\n"
);
