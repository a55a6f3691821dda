/*
 * far-transfer.c - jmp far, call far and ret far: the transfers that load
 * CS, with the privilege rules for conforming and non-conforming code and
 * for call gates (chapter 2, "Protection"; chapter 3 reuses it).
 *
 * The reference is the SDM's pseudocode for JMP, CALL and RET (vol. 2) and
 * vol. 3, 5.8. Supported: direct transfers, call gates to the same
 * privilege level, and returns to the same or an outer level. Refused with
 * #GP(selector), as documented where it happens: a call through a call
 * gate to a more privileged level (the stack switch with parameter copy),
 * and task switches (TSS or task gate as the target).
 */
#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/system-internal.h"

/* ---- pieces shared with iret (interrupts.c) ---------------------------- */

int x86_check_return_cs(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                        struct x86_desc *d)
{
    uint32_t attr;
    unsigned rpl = sel & 3u;

    if ((sel & ~3u) == 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if (x86_desc_read(cpu, env, sel, d, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(d);
    /* A return never goes to a more privileged level (5.8.6). */
    if (!x86_attr_code(attr) || rpl < cpu->cpl)
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (x86_attr_conforming(attr) ? x86_attr_dpl(attr) > rpl : x86_attr_dpl(attr) != rpl)
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_NP, true, sel & ~3u);
    return 0;
}

int x86_check_return_ss(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                        unsigned rpl, struct x86_desc *d)
{
    uint32_t attr;

    if ((sel & ~3u) == 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if ((sel & 3u) != rpl)
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (x86_desc_read(cpu, env, sel, d, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(d);
    if (!x86_attr_writable_data(attr) || x86_attr_dpl(attr) != rpl)
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_SS_FAULT, true, sel & ~3u);
    return 0;
}

int x86_commit_cs(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                  struct x86_desc *d, unsigned cpl)
{
    if (x86_desc_set_type_bits(cpu, env, sel, d, X86_TYPE_ACCESSED))
        return -1;
    /* CS.RPL is the CPL by definition (5.5). */
    x86_desc_to_segment(d, (sel & ~3u) | cpl, &cpu->seg[X86_CS]);
    cpu->cpl = cpl;
    return 0;
}

/* RET/IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL": a data register left holding
 * a segment the new, less privileged CPL could not load is nulled, so user
 * code cannot keep using a kernel segment. Conforming code is exempt. */
void x86_null_outer_segments(struct x86_cpu *cpu)
{
    static const enum x86_sreg data_regs[] = { X86_ES, X86_DS, X86_FS, X86_GS };

    for (unsigned i = 0; i < sizeof(data_regs) / sizeof(data_regs[0]); i++) {
        struct x86_segment *s = &cpu->seg[data_regs[i]];
        if (s->attr & X86_AR_UNUSABLE || x86_attr_conforming(s->attr))
            continue;
        if (x86_attr_dpl(s->attr) < cpu->cpl)
            *s = (struct x86_segment){ .selector = 0, .attr = X86_AR_UNUSABLE };
    }
}

/* ---- jmp far and call far ---------------------------------------------- */

/* Where a jmp/call far goes, once every check has passed. */
struct far_target {
    uint16_t cs;                        /* selector of the code segment */
    struct x86_desc cs_desc;
    uint32_t eip;
    unsigned push_size;                 /* call: size of the CS and EIP pushes */
};

/* Checks of a code segment reached directly or through a call gate, at the
 * same privilege: conforming code with DPL <= CPL, or non-conforming code
 * with DPL == CPL (5.8.2); present; eip inside its limit. */
static int check_target_code(struct x86_cpu *cpu, const struct x86_env *env,
                             struct far_target *t)
{
    struct x86_segment cs;
    uint32_t attr;

    if ((t->cs & ~3u) == 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if (x86_desc_read(cpu, env, t->cs, &t->cs_desc, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(&t->cs_desc);
    if (!x86_attr_code(attr))
        return x86_raise(cpu, X86_GP, true, t->cs & ~3u);
    /* A call gate to more privileged non-conforming code would switch
     * stacks through the TSS and copy parameters: not supported. */
    if (x86_attr_conforming(attr) ? x86_attr_dpl(attr) > cpu->cpl
                                  : x86_attr_dpl(attr) != cpu->cpl)
        return x86_raise(cpu, X86_GP, true, t->cs & ~3u);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_NP, true, t->cs & ~3u);
    x86_desc_to_segment(&t->cs_desc, t->cs, &cs);
    if (t->eip > cs.limit)
        return x86_raise(cpu, X86_GP, true, 0);
    return 0;
}

/* Resolve selector:offset of a jmp/call far: a code segment (RPL must not
 * exceed CPL for non-conforming code) or a call gate whose DPL admits both
 * CPL and RPL (5.8.4). Task gates and TSSs would switch tasks: #GP. */
static int far_target(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                      uint32_t offset, bool op32, struct far_target *t)
{
    struct x86_desc d;
    struct x86_gate g;
    uint32_t attr;

    if ((sel & ~3u) == 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if (x86_desc_read(cpu, env, sel, &d, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(&d);

    if (x86_attr_code(attr)) {
        if (!x86_attr_conforming(attr) && (sel & 3u) > cpu->cpl)
            return x86_raise(cpu, X86_GP, true, sel & ~3u);
        t->cs = sel;
        t->eip = op32 ? offset : offset & 0xFFFFu;
        t->push_size = op32 ? 4 : 2;
        return check_target_code(cpu, env, t);
    }
    if (x86_attr_codedata(attr) ||
        (x86_attr_type(attr) != X86_TYPE_CALL32 && x86_attr_type(attr) != X86_TYPE_CALL16))
        return x86_raise(cpu, X86_GP, true, sel & ~3u);   /* data, TSS, task gate, ... */

    x86_desc_to_gate(&d, &g);
    if (g.dpl < cpu->cpl || g.dpl < (sel & 3u))
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (!g.present)
        return x86_raise(cpu, X86_NP, true, sel & ~3u);
    /* The gate, not the instruction, decides the operand size (5.8.3). */
    t->cs = g.selector;
    t->push_size = g.type == X86_TYPE_CALL32 ? 4 : 2;
    t->eip = t->push_size == 4 ? g.offset : g.offset & 0xFFFFu;
    return check_target_code(cpu, env, t);
}

int x86_far_jump(struct x86_cpu *cpu, const struct x86_env *env,
                 uint16_t selector, uint32_t offset, bool op32)
{
    struct far_target t;

    if (far_target(cpu, env, selector, offset, op32, &t) ||
        x86_commit_cs(cpu, env, t.cs, &t.cs_desc, cpu->cpl))
        return -1;
    cpu->eip = t.eip;
    return 0;
}

/* call far pushes the return address CS:EIP; a fault on the pushes or in
 * the checks leaves ESP, CS and EIP unchanged. */
int x86_far_call(struct x86_cpu *cpu, const struct x86_env *env,
                 uint16_t selector, uint32_t offset, bool op32, uint32_t next_eip)
{
    struct far_target t;
    struct x86_stack st;

    if (far_target(cpu, env, selector, offset, op32, &t))
        return -1;
    x86_stack_current(cpu, &st);
    if (x86_stack_push(cpu, env, &st, cpu->seg[X86_CS].selector, t.push_size) ||
        x86_stack_push(cpu, env, &st, next_eip, t.push_size) ||
        x86_commit_cs(cpu, env, t.cs, &t.cs_desc, cpu->cpl))
        return -1;
    cpu->gpr[X86_ESP] = st.esp;
    cpu->eip = t.eip;
    return 0;
}

/* ret far [pop_bytes]: pop EIP and CS, release pop_bytes of parameters; to
 * an outer level also pop ESP and SS, and release pop_bytes on that stack
 * too (RET pseudocode, "RETURN-TO-OUTER-PRIVILEGE-LEVEL"). */
int x86_far_return(struct x86_cpu *cpu, const struct x86_env *env,
                   bool op32, uint16_t pop_bytes)
{
    unsigned size = op32 ? 4 : 2, rpl;
    uint32_t eip, cs_raw, esp = 0, ss_raw = 0;
    uint16_t cs, ss = 0;
    struct x86_desc cs_desc, ss_desc;
    struct x86_segment new_cs, new_ss;
    struct x86_stack st;

    x86_stack_current(cpu, &st);
    if (x86_stack_peek(cpu, env, &st, 0, size, &eip) ||
        x86_stack_peek(cpu, env, &st, size, size, &cs_raw))
        return -1;
    cs = cs_raw;
    if (x86_check_return_cs(cpu, env, cs, &cs_desc))
        return -1;
    rpl = cs & 3u;
    if (rpl > cpu->cpl) {
        if (x86_stack_peek(cpu, env, &st, 2 * size + pop_bytes, size, &esp) ||
            x86_stack_peek(cpu, env, &st, 3 * size + pop_bytes, size, &ss_raw))
            return -1;
        ss = ss_raw;
        if (x86_check_return_ss(cpu, env, ss, rpl, &ss_desc))
            return -1;
    }
    if (!op32)
        eip &= 0xFFFFu;
    x86_desc_to_segment(&cs_desc, cs, &new_cs);
    if (eip > new_cs.limit)
        return x86_raise(cpu, X86_GP, true, 0);

    /* Commit: accessed bits (which can fault) before any register. */
    if (rpl > cpu->cpl) {
        if (x86_desc_set_type_bits(cpu, env, ss, &ss_desc, X86_TYPE_ACCESSED))
            return -1;
        x86_desc_to_segment(&ss_desc, ss, &new_ss);
        if (x86_commit_cs(cpu, env, cs, &cs_desc, rpl))
            return -1;
        cpu->seg[X86_SS] = new_ss;
        cpu->gpr[X86_ESP] = esp + pop_bytes;
        x86_null_outer_segments(cpu);
    } else {
        if (x86_commit_cs(cpu, env, cs, &cs_desc, cpu->cpl))
            return -1;
        cpu->gpr[X86_ESP] += 2 * size + pop_bytes;
    }
    cpu->eip = eip;
    return 0;
}
