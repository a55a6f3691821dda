/*
 * exec-system.c - the instructions an operating system needs and a user
 * program may not use freely: flags that control the CPU (pushf/popf,
 * cli/sti), hlt, int/iret, port I/O, the descriptor-table and control
 * registers, cpuid and rdtsc (chapter 02-interpreter.md, "Privilege").
 *
 * Most of the work is checking: is CPL 0, or CPL <= IOPL? The machinery
 * behind the checks (segment and gate descriptors, the TSS, CR writes that
 * flush the TLB) is system.c's; this file decodes operands and calls it.
 * These are exactly the instructions chapter 3's trap engine has to
 * emulate, and the ones (popf, pushf, sgdt, smsw) that break its rules.
 */
#include "vmm/x86/alu.h"
#include "vmm/x86/exec.h"

/* The CPUID answers: a P5-class CPU ("TeachVMMCPU ", family 5, model 2) with
 * a time-stamp counter (EDX bit 4), 4 MiB pages (bit 3) and cmpxchg8b (bit 8),
 * and no FPU. Leaves above 1, and all extended leaves, read as zeros. */
#define CPUID_VENDOR_EBX 0x63616554u    /* "Teac" */
#define CPUID_VENDOR_EDX 0x4D4D5668u    /* "hVMM" */
#define CPUID_VENDOR_ECX 0x20555043u    /* "CPU " */
#define CPUID_SIGNATURE  0x00000520u    /* family 5, model 2, stepping 0 */
#define CPUID_FEATURES   ((1u << 3) | (1u << 4) | (1u << 8))

#define CR4_TSD 0x00000004u             /* rdtsc only at CPL 0 */

/* Flags popf may change at any privilege; IF and IOPL need more (below). */
#define POPF_MASK (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | \
                   X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_OF | X86_FLAG_NT | X86_FLAG_AC | \
                   X86_FLAG_ID)

static unsigned iopl(const struct x86_cpu *cpu)
{
    return (cpu->eflags & X86_FLAG_IOPL) >> 12;
}

/* #GP(0) unless the CPU runs at privilege level 0. */
static int need_cpl0(struct x86_cpu *cpu)
{
    return cpu->cpl == 0 ? 0 : x86_raise(cpu, X86_GP, true, 0);
}

/* popf: at CPL 0 everything but VM/RF; IOPL only at CPL 0; IF only when
 * CPL <= IOPL. These silent refusals (no fault!) are why popf cannot be
 * trapped by a de-privileged guest kernel: chapter 3's central example. */
static int popf(struct x86_cpu *cpu, const struct x86_env *env, unsigned size)
{
    uint32_t v, mask = POPF_MASK;

    if (x86_pop(cpu, env, size, &v))
        return X86_EXEC_FAULT;
    if (cpu->cpl == 0)
        mask |= X86_FLAG_IOPL;
    if (cpu->cpl <= iopl(cpu))
        mask |= X86_FLAG_IF;
    if (size == 2)
        mask &= 0xFFFF;
    cpu->eflags = ((cpu->eflags & ~mask) | (v & mask) | X86_FLAG_FIXED) & ~X86_FLAG_RF;
    return X86_EXEC_OK;
}

/* int n, int3, into: through the IDT as a software interrupt, returning to
 * the next instruction. system.c wants EIP at the int instruction itself:
 * if the gate refuses (DPL < CPL), it delivers #GP as a fault of the int. */
static int soft_int(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in,
                    uint8_t vector)
{
    uint32_t next = cpu->eip;
    cpu->eip = next - in->len;
    if (x86_deliver_event(cpu, env, vector, X86_EVENT_SOFTWARE, false, 0, next) ==
        X86_STEP_TRIPLE_FAULT)
        return X86_EXEC_TRIPLE;
    return X86_EXEC_EVENT;
}

/* in/out with the port from an immediate or DX. */
static int port_io(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint16_t port = in->op >= 0xEC ? (uint16_t)cpu->gpr[X86_EDX] : (uint16_t)(in->imm & 0xFF);
    bool out = in->op & 2;

    if (!x86_io_allowed(cpu, env, port, size))
        return x86_raise(cpu, X86_GP, true, 0);
    if (out)
        env->io_out(env->ctx, port, size, x86_get_reg(cpu, X86_EAX, size));
    else
        x86_set_reg(cpu, X86_EAX, size, env->io_in(env->ctx, port, size));
    return X86_EXEC_OK;
}

/* Group 6 (0F 00): sldt, str, lldt, ltr. */
static int group6(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    uint32_t sel;
    /* A store to a register is zero-extended to the operand size; to memory it is 16 bits. */
    unsigned store = in->mem ? 2 : in->opsize;

    switch (in->reg) {
    case 0:
        return x86_write_rm(cpu, env, in, store, cpu->ldtr.selector);
    case 1:
        return x86_write_rm(cpu, env, in, store, cpu->tr.selector);
    default:                            /* 2: lldt, 3: ltr */
        if (need_cpl0(cpu) || x86_read_rm(cpu, env, in, 2, &sel))
            return X86_EXEC_FAULT;
        if (in->reg == 2)
            return x86_load_ldtr(cpu, env, (uint16_t)sel);
        return x86_load_tr(cpu, env, (uint16_t)sel);
    }
}

/* Group 7 (0F 01): sgdt, sidt, lgdt, lidt, smsw, lmsw, invlpg. The table
 * registers are 6 bytes in memory: a 16-bit limit, then a 32-bit base (24
 * bits with a 16-bit operand size). */
static int group7(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    uint32_t ea = x86_ea(cpu, in), next = (ea + 2) & (in->addrsize == 4 ? ~0u : 0xFFFF);
    uint32_t base_mask = in->opsize == 4 ? ~0u : 0x00FFFFFF;
    uint32_t limit, base, v;

    switch (in->reg) {
    case 0: case 1: {                   /* sgdt, sidt: not privileged (an x86 hole) */
        const struct x86_dtable *t = in->reg == 0 ? &cpu->gdtr : &cpu->idtr;
        if (x86_write_mem(cpu, env, in->seg, ea, 2, t->limit) ||
            x86_write_mem(cpu, env, in->seg, next, 4, t->base & base_mask))
            return X86_EXEC_FAULT;
        return X86_EXEC_OK;
    }
    case 2: case 3:                     /* lgdt, lidt */
        if (need_cpl0(cpu) ||
            x86_read_mem(cpu, env, in->seg, ea, 2, &limit) ||
            x86_read_mem(cpu, env, in->seg, next, 4, &base))
            return X86_EXEC_FAULT;
        if (in->reg == 2)
            x86_load_gdtr(cpu, base & base_mask, (uint16_t)limit);
        else
            x86_load_idtr(cpu, base & base_mask, (uint16_t)limit);
        return X86_EXEC_OK;
    case 4:                             /* smsw: also not privileged */
        return x86_write_rm(cpu, env, in, in->mem ? 2 : in->opsize, cpu->cr0);
    case 6:                             /* lmsw: sets PE, MP, EM, TS; cannot clear PE */
        if (need_cpl0(cpu) || x86_read_rm(cpu, env, in, 2, &v))
            return X86_EXEC_FAULT;
        v = (cpu->cr0 & ~0xEu) | (v & 0xF) | (cpu->cr0 & X86_CR0_PE);
        return x86_write_cr(cpu, env, 0, v);
    default:                            /* 7: invlpg (a linear address, never translated) */
        if (need_cpl0(cpu))
            return X86_EXEC_FAULT;
        env->invlpg(env->ctx, cpu->seg[in->seg].base + ea);
        return X86_EXEC_OK;
    }
}

static void cpuid(struct x86_cpu *cpu)
{
    uint32_t *r = cpu->gpr;
    switch (r[X86_EAX]) {
    case 0:
        r[X86_EAX] = 1;                 /* the highest leaf */
        r[X86_EBX] = CPUID_VENDOR_EBX;
        r[X86_EDX] = CPUID_VENDOR_EDX;
        r[X86_ECX] = CPUID_VENDOR_ECX;
        break;
    case 1:
        r[X86_EAX] = CPUID_SIGNATURE;
        r[X86_EBX] = r[X86_ECX] = 0;
        r[X86_EDX] = CPUID_FEATURES;
        break;
    default:
        r[X86_EAX] = r[X86_EBX] = r[X86_ECX] = r[X86_EDX] = 0;
        break;
    }
}

int x86_exec_system(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint32_t v;

    switch (in->op) {
    case 0x9C:                          /* pushf: VM and RF read as 0 */
        return x86_push(cpu, env, size, cpu->eflags & ~(X86_FLAG_VM | X86_FLAG_RF));
    case 0x9D:
        return popf(cpu, env, size);
    case 0xCC:
        return soft_int(cpu, env, in, X86_BP);
    case 0xCD:
        return soft_int(cpu, env, in, (uint8_t)in->imm);
    case 0xCE:                          /* into */
        return (cpu->eflags & X86_FLAG_OF) ? soft_int(cpu, env, in, X86_OF) : X86_EXEC_OK;
    case 0xCF:
        return x86_iret(cpu, env, size == 4);
    case 0xE4 ... 0xE7: case 0xEC ... 0xEF:
        return port_io(cpu, env, in);
    case 0xF4:                          /* hlt */
        return need_cpl0(cpu) ? X86_EXEC_FAULT : X86_EXEC_HALT;
    case 0xFA:                          /* cli */
        if (cpu->cpl > iopl(cpu))
            return x86_raise(cpu, X86_GP, true, 0);
        cpu->eflags &= ~X86_FLAG_IF;
        return X86_EXEC_OK;
    case 0xFB:                          /* sti: interrupts wait one more instruction */
        if (cpu->cpl > iopl(cpu))
            return x86_raise(cpu, X86_GP, true, 0);
        if (!(cpu->eflags & X86_FLAG_IF))
            cpu->interrupt_shadow = true;
        cpu->eflags |= X86_FLAG_IF;
        return X86_EXEC_OK;
    case 0x100:
        return group6(cpu, env, in);
    case 0x101:
        return group7(cpu, env, in);
    case 0x106:                         /* clts */
        if (need_cpl0(cpu))
            return X86_EXEC_FAULT;
        return x86_write_cr(cpu, env, 0, cpu->cr0 & ~X86_CR0_TS);
    case 0x108: case 0x109:             /* invd, wbinvd: no caches to flush */
        return need_cpl0(cpu) ? X86_EXEC_FAULT : X86_EXEC_OK;
    case 0x120:                         /* mov r32,crN */
        if (need_cpl0(cpu) || x86_read_cr(cpu, in->reg, &v))
            return X86_EXEC_FAULT;
        cpu->gpr[in->rm] = v;
        return X86_EXEC_OK;
    case 0x122:                         /* mov crN,r32 */
        if (need_cpl0(cpu))
            return X86_EXEC_FAULT;
        return x86_write_cr(cpu, env, in->reg, cpu->gpr[in->rm]);
    case 0x131: {                       /* rdtsc */
        if ((cpu->cr4 & CR4_TSD) && cpu->cpl != 0)
            return x86_raise(cpu, X86_GP, true, 0);
        uint64_t t = env->rdtsc(env->ctx);
        cpu->gpr[X86_EAX] = (uint32_t)t;
        cpu->gpr[X86_EDX] = (uint32_t)(t >> 32);
        return X86_EXEC_OK;
    }
    case 0x1A2:
        cpuid(cpu);
        return X86_EXEC_OK;
    default:
        /* An opcode the tables name but no file implements: our bug, but
         * the guest sees what a CPU without the instruction shows. */
        return x86_raise(cpu, X86_UD, false, 0);
    }
}
