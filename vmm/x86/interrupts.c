/*
 * interrupts.c - exceptions and interrupts: raising an exception, delivering
 * an event through the IDT (with the stack switch through the TSS when the
 * handler is more privileged), double and triple faults, and iret (chapter
 * 2, "Interrupts and exceptions"; chapter 3 injects guest faults with it).
 *
 * The SDM's pseudocode for INT n and IRET (vol. 2) is the reference; the
 * section numbers below are vol. 3's. Not supported, each ending in #GP as
 * documented where it is refused: task gates, the nested-task return of
 * iret (NT=1), and virtual-8086 mode.
 */
#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/system-internal.h"

int x86_raise(struct x86_cpu *cpu, uint8_t vector, bool has_error, uint32_t error)
{
    cpu->exception = (struct x86_event){
        .pending = true, .vector = vector, .has_error = has_error, .error = error,
    };
    return -1;
}

/* Offsets of the ring-n stack pointer and segment in a 32-bit TSS (7.2.1). */
#define TSS_ESP(n) (4u + 8u * (n))
#define TSS_SS(n)  (8u + 8u * (n))

/* The stack for privilege level dpl, from the 32-bit TSS that TR names:
 * SSn:ESPn, with the checks of INT n's INTER-PRIVILEGE-LEVEL-INTERRUPT. */
static int tss_stack(struct x86_cpu *cpu, const struct x86_env *env, unsigned dpl,
                     uint32_t ext, struct x86_stack *st, struct x86_desc *ss_desc)
{
    uint32_t esp = 0;
    uint16_t sel = 0;
    uint32_t attr;

    if ((cpu->tr.attr & X86_AR_UNUSABLE) || TSS_ESP(dpl) + 7 > cpu->tr.limit)
        return x86_raise(cpu, X86_TS, true, (cpu->tr.selector & ~3u) | ext);
    if (x86_read_linear(cpu, env, cpu->tr.base + TSS_ESP(dpl), &esp, 4, X86_ACC_READ, true) ||
        x86_read_linear(cpu, env, cpu->tr.base + TSS_SS(dpl), &sel, 2, X86_ACC_READ, true))
        return -1;

    if ((sel & ~3u) == 0)
        return x86_raise(cpu, X86_TS, true, ext);
    if ((sel & 3u) != dpl)
        return x86_raise(cpu, X86_TS, true, (sel & ~3u) | ext);
    if (x86_desc_read(cpu, env, sel, ss_desc, X86_TS, ext))
        return -1;
    attr = x86_desc_attr(ss_desc);
    if (x86_attr_dpl(attr) != dpl || !x86_attr_writable_data(attr))
        return x86_raise(cpu, X86_TS, true, (sel & ~3u) | ext);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_SS_FAULT, true, (sel & ~3u) | ext);

    x86_desc_to_segment(ss_desc, sel, &st->ss);
    st->esp = esp;
    st->supervisor = dpl < 3;
    st->fault_error = (sel & ~3u) | ext;
    return 0;
}

/* One attempt at delivering an event (6.12.1). Every check and every push
 * happens before any register changes, so a fault leaves the CPU as it was
 * and the caller can turn it into the next event (or a double fault). */
static int deliver_once(struct x86_cpu *cpu, const struct x86_env *env, uint8_t vector,
                        enum x86_event_kind kind, bool has_error, uint32_t error,
                        uint32_t return_eip)
{
    /* EXT: the error code blames an event from outside the program (6.13). */
    uint32_t ext = kind == X86_EVENT_SOFTWARE ? 0 : X86_ERR_EXT;
    uint32_t gate_err = vector * 8u + X86_ERR_IDT + ext;
    struct x86_desc d, cs_desc, ss_desc;
    struct x86_gate g;
    struct x86_stack st;
    uint32_t attr, eflags = cpu->eflags;
    unsigned size, new_cpl;
    bool switch_stack;

    /* The gate: inside the IDT, an interrupt or trap gate, reachable by
     * software only if its DPL allows the CPL (6.12.1.1), present. */
    if (vector * 8u + 7 > cpu->idtr.limit)
        return x86_raise(cpu, X86_GP, true, gate_err);
    if (x86_read_linear(cpu, env, cpu->idtr.base + vector * 8u, &d, 8, X86_ACC_READ, true))
        return -1;
    x86_desc_to_gate(&d, &g);
    if ((x86_desc_attr(&d) & X86_AR_S) ||
        (g.type != X86_TYPE_INT32 && g.type != X86_TYPE_TRAP32 &&
         g.type != X86_TYPE_INT16 && g.type != X86_TYPE_TRAP16))
        return x86_raise(cpu, X86_GP, true, gate_err);  /* task gates included: unsupported */
    if (kind == X86_EVENT_SOFTWARE && g.dpl < cpu->cpl)
        return x86_raise(cpu, X86_GP, true, gate_err);
    if (!g.present)
        return x86_raise(cpu, X86_NP, true, gate_err);
    size = (g.type & 0x8u) ? 4 : 2;     /* 32- or 16-bit gate: size of each push */

    /* The handler's code segment: present code, no less privileged than us. */
    if ((g.selector & ~3u) == 0)
        return x86_raise(cpu, X86_GP, true, ext);
    if (x86_desc_read(cpu, env, g.selector, &cs_desc, X86_GP, ext))
        return -1;
    attr = x86_desc_attr(&cs_desc);
    if (!x86_attr_code(attr) || x86_attr_dpl(attr) > cpu->cpl)
        return x86_raise(cpu, X86_GP, true, (g.selector & ~3u) | ext);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_NP, true, (g.selector & ~3u) | ext);

    /* A more privileged non-conforming handler runs on its own stack from
     * the TSS (6.12.1, Figure 6-4); otherwise the current stack is used. */
    switch_stack = !x86_attr_conforming(attr) && x86_attr_dpl(attr) < cpu->cpl;
    new_cpl = switch_stack ? x86_attr_dpl(attr) : cpu->cpl;
    if (switch_stack) {
        if (tss_stack(cpu, env, new_cpl, ext, &st, &ss_desc))
            return -1;
    } else {
        x86_stack_current(cpu, &st);
        st.fault_error = ext;
    }
    if (size == 2)
        g.offset &= 0xFFFFu;
    {
        struct x86_segment cs;
        x86_desc_to_segment(&cs_desc, g.selector, &cs);
        if (g.offset > cs.limit)
            return x86_raise(cpu, X86_GP, true, ext);
    }

    /* The frame, pushed on the new stack before anything is committed. */
    if (switch_stack &&
        (x86_stack_push(cpu, env, &st, cpu->seg[X86_SS].selector, size) ||
         x86_stack_push(cpu, env, &st, cpu->gpr[X86_ESP], size)))
        return -1;
    if (x86_stack_push(cpu, env, &st, eflags, size) ||
        x86_stack_push(cpu, env, &st, cpu->seg[X86_CS].selector, size) ||
        x86_stack_push(cpu, env, &st, return_eip, size) ||
        (has_error && x86_stack_push(cpu, env, &st, error, size)))
        return -1;

    /* Commit: accessed bits first (they can fault), then the registers. */
    if (switch_stack &&
        x86_desc_set_type_bits(cpu, env, st.ss.selector, &ss_desc, X86_TYPE_ACCESSED))
        return -1;
    if (x86_commit_cs(cpu, env, g.selector, &cs_desc, new_cpl))
        return -1;
    cpu->seg[X86_SS] = st.ss;
    cpu->gpr[X86_ESP] = st.esp;
    cpu->eip = g.offset;
    /* 6.12.1.3: TF, NT, RF (and VM) always cleared; IF only by an
     * interrupt gate, which is what makes it different from a trap gate. */
    cpu->eflags &= ~(X86_FLAG_TF | X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_VM);
    if (g.type == X86_TYPE_INT32 || g.type == X86_TYPE_INT16)
        cpu->eflags &= ~X86_FLAG_IF;
    return 0;
}

/* Classes of Table 6-4 (6.15, interrupt 8): which pairs make a #DF. */
enum fault_class { BENIGN, CONTRIBUTORY, PAGE_FAULT };

static enum fault_class classify(uint8_t vector, enum x86_event_kind kind)
{
    if (kind != X86_EVENT_EXCEPTION)    /* interrupts and int n are benign */
        return BENIGN;
    switch (vector) {
    case X86_DE: case X86_TS: case X86_NP: case X86_SS_FAULT: case X86_GP:
        return CONTRIBUTORY;
    case X86_PF:
        return PAGE_FAULT;
    default:
        return BENIGN;
    }
}

/* Table 6-5: a contributory fault while delivering a contributory one, or a
 * contributory or page fault while delivering a page fault, is a #DF;
 * anything else is simply handled serially (the second event replaces the first). */
static bool makes_double_fault(enum fault_class first, enum fault_class second)
{
    if (first == CONTRIBUTORY)
        return second == CONTRIBUTORY;
    if (first == PAGE_FAULT)
        return second != BENIGN;
    return false;
}

/* The loop turns a fault during delivery into the next event to deliver:
 * the same fault, a #DF, or (a fault while delivering #DF) shutdown. A
 * fault during delivery is reported against the instruction that caused
 * the first event, so for software interrupts cpu->eip must still point at
 * the int instruction (return_eip is the one after it). */
enum x86_status x86_deliver_event(struct x86_cpu *cpu, const struct x86_env *env,
                                  uint8_t vector, enum x86_event_kind kind,
                                  bool has_error, uint32_t error, uint32_t return_eip)
{
    cpu->exception.pending = false;
    for (;;) {
        if (deliver_once(cpu, env, vector, kind, has_error, error, return_eip) == 0) {
            cpu->halted = false;
            cpu->interrupt_shadow = false;
            return X86_STEP_OK;
        }
        struct x86_event second = cpu->exception;
        cpu->exception.pending = false;
        if (kind == X86_EVENT_EXCEPTION && vector == X86_DF)
            return X86_STEP_TRIPLE_FAULT;   /* 6.15: the CPU shuts down */
        if (kind == X86_EVENT_SOFTWARE)
            return_eip = cpu->eip;
        if (makes_double_fault(classify(vector, kind),
                               classify(second.vector, X86_EVENT_EXCEPTION))) {
            vector = X86_DF;
            has_error = true;
            error = 0;
        } else {
            vector = second.vector;
            has_error = second.has_error;
            error = second.error;
        }
        kind = X86_EVENT_EXCEPTION;
    }
}

/* EFLAGS bits that iret restores at any privilege (IRET pseudocode); IOPL
 * and IF are added below by privilege, VM is never set (no v8086 mode). */
#define IRET_FLAGS (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | \
                    X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_OF | X86_FLAG_NT | X86_FLAG_RF | \
                    X86_FLAG_AC | X86_FLAG_ID)

/* iret in protected mode (IRET pseudocode, "PROTECTED-MODE"): pop EIP, CS,
 * EFLAGS, and for a return to an outer level ESP and SS too. Everything is
 * read and checked before any register changes. */
int x86_iret(struct x86_cpu *cpu, const struct x86_env *env, bool op32)
{
    unsigned size = op32 ? 4 : 2, rpl;
    uint32_t eip, cs_raw, flags, esp = 0, ss_raw = 0, mask;
    uint16_t cs, ss = 0;
    struct x86_desc cs_desc, ss_desc;
    struct x86_stack st;
    struct x86_segment new_ss;

    if (cpu->eflags & X86_FLAG_NT)      /* return from a nested task: no task switching here */
        return x86_raise(cpu, X86_GP, true, 0);

    x86_stack_current(cpu, &st);
    if (x86_stack_peek(cpu, env, &st, 0, size, &eip) ||
        x86_stack_peek(cpu, env, &st, size, size, &cs_raw) ||
        x86_stack_peek(cpu, env, &st, 2 * size, size, &flags))
        return -1;
    cs = cs_raw;                        /* a 32-bit pop: the upper half is padding */
    if (op32 && (flags & X86_FLAG_VM) && cpu->cpl == 0)
        return x86_raise(cpu, X86_GP, true, 0);     /* return to v8086 mode: unsupported */
    if (x86_check_return_cs(cpu, env, cs, &cs_desc))
        return -1;
    rpl = cs & 3u;

    if (rpl > cpu->cpl) {               /* outer level: the stack it left too */
        if (x86_stack_peek(cpu, env, &st, 3 * size, size, &esp) ||
            x86_stack_peek(cpu, env, &st, 4 * size, size, &ss_raw))
            return -1;
        ss = ss_raw;
        if (x86_check_return_ss(cpu, env, ss, rpl, &ss_desc))
            return -1;
    }
    {
        struct x86_segment new_cs;
        x86_desc_to_segment(&cs_desc, cs, &new_cs);
        if (!op32)
            eip &= 0xFFFFu;
        if (eip > new_cs.limit)
            return x86_raise(cpu, X86_GP, true, 0);
    }

    /* IOPL changes only at CPL 0, IF only when CPL <= IOPL; otherwise they
     * keep their values silently (the popf hole chapter 3 is about). */
    mask = IRET_FLAGS;
    if (cpu->cpl == 0)
        mask |= X86_FLAG_IOPL;
    if (cpu->cpl <= (cpu->eflags & X86_FLAG_IOPL) >> 12)
        mask |= X86_FLAG_IF;
    if (!op32)
        mask &= 0xFFFFu;

    /* Commit. */
    if (rpl > cpu->cpl) {
        if (x86_desc_set_type_bits(cpu, env, ss, &ss_desc, X86_TYPE_ACCESSED))
            return -1;
        x86_desc_to_segment(&ss_desc, ss, &new_ss);
    }
    unsigned old_cpl = cpu->cpl;
    if (x86_commit_cs(cpu, env, cs, &cs_desc, rpl))
        return -1;
    cpu->eip = eip;
    cpu->eflags = (cpu->eflags & ~mask) | (flags & mask) | X86_FLAG_FIXED;
    if (rpl > old_cpl) {
        cpu->seg[X86_SS] = new_ss;
        cpu->gpr[X86_ESP] = op32 ? esp : (cpu->gpr[X86_ESP] & 0xFFFF0000u) | (esp & 0xFFFFu);
        x86_null_outer_segments(cpu);
    } else {
        cpu->gpr[X86_ESP] += 3 * size;
    }
    return 0;
}
