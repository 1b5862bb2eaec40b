/* selftest_aarch64.h -- the register probe of selftest.c for AArch64, AAPCS64.
 *
 * Included by selftest.c only, after the definitions of struct st_probe, the ST_OFF_*
 * offsets and ST_STR.
 *
 * The state under test (AAPCS64, "General-purpose registers" and "SIMD and
 * Floating-Point registers"): x19-x28, x29 (frame pointer), x30 (link
 * register), sp, the low 64 bits of v8-v15 (d8-d15), and FPCR (rounding mode RMode
 * 22-23, FZ 24, DN 25, AHP 26: control state a callee must give back). x30 is not a
 * slot: the probe's `bl stackful_switch` sets it, and the switch returning to the
 * instruction after that `bl` on the right stack is what shows it was restored.
 *
 * Probe slot layout (uint64_t each), shared by st_probe.load and st_probe.out:
 *   0-9 x19-x28  10 x29  11-18 d8-d15  19 FPCR
 */

#define ST_NDATA 19                    /* slots holding a full 64-bit register */
#define ST_NCTL 1                      /* slots holding a control word */
#define ST_NSLOTS (ST_NDATA + ST_NCTL)

static const char *const st_slot_name[ST_NSLOTS] = {
    "x19", "x20", "x21", "x22", "x23", "x24", "x25", "x26", "x27", "x28", "x29",
    "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "FPCR",
};

/* FPCR holds no status bits (those are in FPSR); compare all of it. */
static const uint64_t st_ctl_mask[ST_NCTL] = { ~(uint64_t)0 };

#define ST_SP_NAME "sp"
#define ST_FP_NAME "x29"
/* sp must be 16-byte aligned at every public interface (AAPCS64, "Universal stack
 * constraints"), and with SCTLR_EL1.SA0 set (Linux) an sp-based access through a
 * misaligned sp faults. */
#define ST_ENTRY_SP_MOD16 0u
#define ST_ENTRY_SP_RULE "AAPCS64 requires sp % 16 == 0"
/* Bytes at and above the entry's sp that belong to it: none (`blr` leaves the return
 * address in x30), so sp == top is valid. */
#define ST_ENTRY_SP_IN_USE 0u

static void
st_read_ctl(uint64_t ctl[ST_NCTL])
{
    uint64_t fpcr;
    __asm__ volatile ("mrs %0, fpcr" : "=r"(fpcr));
    ctl[0] = fpcr;
}

/* Variant k (0..3) of FPCR: differs from `live` and from every other variant: RMode =
 * live RMode + 1 + k (mod 4), DN (default NaN) flipped for odd k. Exception trap
 * enables (bits 8-15) are left as they are. */
static uint64_t
st_ctl_variant(int j, uint64_t live, unsigned k)
{
    (void)j;
    uint64_t rmode = (((live >> 22) & 3u) + 1u + k) & 3u;
    uint64_t dn = ((live >> 25) & 1u) ^ (k & 1u);
    return (live & ~(((uint64_t)3 << 22) | ((uint64_t)1 << 25))) | (rmode << 22) | (dn << 25);
}

__asm__(
    ".text\n"

    /* void stackful_selftest_probe(struct st_probe *p)
     * An ordinary AAPCS64 function to its C caller: it preserves the caller's x19-x30,
     * d8-d15 and FPCR itself (in its own frame, never relying on stackful_switch), so
     * its caller is sound even when the switch under test is not. In between, it loads
     * p->load into every callee-saved register and FPCR, calls
     * stackful_switch(p->value, p->save_sp, p->new_sp, p->landing, p->landing_arg), and
     * writes what those registers hold when the switch returns (after the landing, if
     * there is one: it ran on the way back into this context) to p->out, and what it
     * returned to p->ret.
     * Own frame, 176 bytes (a multiple of 16: sp stays 16-byte aligned):
     *   +0 x19..x28, +80 x29 x30, +96 d8..d15, +160 caller's FPCR, +168 p */
    ".globl stackful_selftest_probe\n"
    ".hidden stackful_selftest_probe\n"
    ".type stackful_selftest_probe, %function\n"
    ".p2align 4\n"
    "stackful_selftest_probe:\n"
    ".cfi_startproc\n"
    "    sub sp, sp, #176\n"           /* claim the frame first: sp never above live data */
    ".cfi_adjust_cfa_offset 176\n"
    "    stp x19, x20, [sp, #0]\n"     /* the caller's callee-saved registers: the probe */
    "    stp x21, x22, [sp, #16]\n"    /* itself must obey the ABI it is testing */
    "    stp x23, x24, [sp, #32]\n"    /* callee-saved */
    "    stp x25, x26, [sp, #48]\n"    /* callee-saved */
    "    stp x27, x28, [sp, #64]\n"    /* callee-saved */
    "    stp x29, x30, [sp, #80]\n"    /* x30: our return address; the bl below sets it */
    ".cfi_offset x29, -96\n"          /* for unwinders: the caller's x29 and our */
    ".cfi_offset x30, -88\n"          /* return address are in the frame from here */
    "    stp d8, d9, [sp, #96]\n"      /* low halves of v8-v15 are callee-saved */
    "    stp d10, d11, [sp, #112]\n"   /* callee-saved (low 64 bits) */
    "    stp d12, d13, [sp, #128]\n"   /* callee-saved (low 64 bits) */
    "    stp d14, d15, [sp, #144]\n"   /* callee-saved (low 64 bits) */
    "    mrs x9, fpcr\n"               /* x9-x15 are temporaries: free to use */
    "    stp x9, x0, [sp, #160]\n"     /* the caller's FPCR, and p: every callee-saved
                                        * register is about to hold a test pattern */
    "    ldr x9, [x0, #" ST_STR(ST_OFF_LOAD) "]\n"    /* x9: p->load */
    "    ldp x19, x20, [x9, #0]\n"     /* pattern into each callee-saved register ... */
    "    ldp x21, x22, [x9, #16]\n"    /* x21 (the x11-for-x21 bug), x22 */
    "    ldp x23, x24, [x9, #32]\n"    /* x23, x24 */
    "    ldp x25, x26, [x9, #48]\n"    /* x25, x26 */
    "    ldp x27, x28, [x9, #64]\n"    /* x27, x28 */
    "    ldr x29, [x9, #80]\n"         /* the frame pointer is callee-saved too */
    "    ldp d8, d9, [x9, #88]\n"      /* ... each callee-saved FP/SIMD register ... */
    "    ldp d10, d11, [x9, #104]\n"   /* d10, d11 */
    "    ldp d12, d13, [x9, #120]\n"   /* d12, d13 */
    "    ldp d14, d15, [x9, #136]\n"   /* d14, d15 */
    "    ldr x10, [x9, #152]\n"        /* the FPCR variant */
    "    msr fpcr, x10\n"              /* ... and a non-default FPCR (RMode, DN) */
    "    mov x10, sp\n"                /* sp cannot be stored directly */
    "    str x10, [x0, #" ST_STR(ST_OFF_SP_BEFORE) "]\n"  /* sp is callee-saved too */
    "    ldr x1, [x0, #" ST_STR(ST_OFF_SAVE_SP) "]\n"     /* 2nd argument: save_sp */
    "    ldr x2, [x0, #" ST_STR(ST_OFF_NEW_SP) "]\n"      /* 3rd argument: new_sp */
    "    ldr x3, [x0, #" ST_STR(ST_OFF_LANDING) "]\n"     /* 4th argument: landing
                                        * (NULL: none), run when we are resumed */
    "    ldr x4, [x0, #" ST_STR(ST_OFF_LANDING_ARG) "]\n" /* 5th argument: landing_arg */
    "    ldr x0, [x0, #" ST_STR(ST_OFF_VALUE) "]\n"       /* 1st argument: value (x0,
                                        * p, last: the loads above go through it) */
    "    bl stackful_switch\n"         /* the other context runs, loads its own patterns
                                        * and FPCR, and switches back; our landing, if
                                        * any, runs before this returns */
    "    ldr x1, [sp, #168]\n"         /* p again (x1 is scratch across the call) */
    "    str x0, [x1, #" ST_STR(ST_OFF_RET) "]\n"         /* the switch's return value
                                        * (x0): our landing's result, or the value */
    "    mov x10, sp\n"                /* sp cannot be stored directly */
    "    str x10, [x1, #" ST_STR(ST_OFF_SP_AFTER) "]\n"   /* must equal sp_before */
    "    ldr x9, [x1, #" ST_STR(ST_OFF_OUT) "]\n"         /* x9: p->out */
    "    stp x19, x20, [x9, #0]\n"     /* what the switch gave back, register by register */
    "    stp x21, x22, [x9, #16]\n"    /* x21, x22 as the switch returned them */
    "    stp x23, x24, [x9, #32]\n"    /* likewise */
    "    stp x25, x26, [x9, #48]\n"    /* likewise */
    "    stp x27, x28, [x9, #64]\n"    /* likewise */
    "    str x29, [x9, #80]\n"         /* the frame pointer likewise */
    "    stp d8, d9, [x9, #88]\n"      /* d8-d15 likewise */
    "    stp d10, d11, [x9, #104]\n"   /* likewise */
    "    stp d12, d13, [x9, #120]\n"   /* likewise */
    "    stp d14, d15, [x9, #136]\n"   /* likewise */
    "    mrs x10, fpcr\n"              /* FPCR: callee-saved control state */
    "    str x10, [x9, #152]\n"        /* FPCR as the switch returned it */
    "    ldr x9, [sp, #160]\n"         /* the caller's FPCR */
    "    msr fpcr, x9\n"               /* give the caller back its FPCR ... */
    "    ldp x19, x20, [sp, #0]\n"     /* ... and its callee-saved registers */
    "    ldp x21, x22, [sp, #16]\n"    /* the caller's x21, x22 */
    "    ldp x23, x24, [sp, #32]\n"    /* ... */
    "    ldp x25, x26, [sp, #48]\n"    /* ... */
    "    ldp x27, x28, [sp, #64]\n"    /* ... */
    "    ldp x29, x30, [sp, #80]\n"    /* its x29, and our return address */
    ".cfi_restore x29\n"
    ".cfi_restore x30\n"
    "    ldp d8, d9, [sp, #96]\n"      /* its d8-d15 */
    "    ldp d10, d11, [sp, #112]\n"   /* ... */
    "    ldp d12, d13, [sp, #128]\n"   /* ... */
    "    ldp d14, d15, [sp, #144]\n"   /* ... */
    "    add sp, sp, #176\n"           /* free the frame only after reading it */
    ".cfi_adjust_cfa_offset -176\n"
    "    ret\n"                        /* to x30 as the caller set it */
    ".cfi_endproc\n"
    ".size stackful_selftest_probe, .-stackful_selftest_probe\n"

    /* void *stackful_selftest_entry(void *value, void *arg)  -- the entry function (first
     * landing) of the context under test, in assembly so that its first instruction
     * sees exactly the state stackful_init_context + stackful_switch produced. It
     * dereferences nothing (value and arg are under test): it hands value, arg and what
     * it saw to stackful_selftest_entry_c, which never returns. */
    ".globl stackful_selftest_entry\n"
    ".hidden stackful_selftest_entry\n"
    ".type stackful_selftest_entry, %function\n"
    ".p2align 4\n"
    "stackful_selftest_entry:\n"
    ".cfi_startproc\n"
    ".cfi_undefined x30\n"             /* sp is realigned below without CFI: stop here */
    "    hint #34\n"                   /* bti c: the switch reaches a landing with `blr`;
                                        * on BTI-guarded pages an indirect call must land
                                        * here (a nop elsewhere); changes no state */
    "    mov x2, sp\n"                 /* 3rd argument: sp at the entry (reading a
                                        * misaligned sp does not fault); sp % 16 == 0 */
    "    mov x3, x29\n"                /* 4th argument: x29 (0: end of the record chain) */
    "    mrs x4, fpcr\n"               /* 5th argument: the FPCR a new context starts
                                        * with: the creating thread's */
    "    mov x5, #0\n"                 /* 6th argument: no second control word */
    "    and x9, x2, #0xfffffffffffffff0\n" /* round down to 16 (x9: scratch) */
    "    mov sp, x9\n"                 /* whatever sp was, call C on an aligned stack so
                                        * a misalignment is reported, not crashed on */
    "    bl stackful_selftest_entry_c\n"  /* x0 = value, x1 = arg as received */
    "    brk #0\n"                     /* not reached: entry_c never returns */
    ".cfi_endproc\n"
    ".size stackful_selftest_entry, .-stackful_selftest_entry\n"
);
