/*
 * exec-string.c - the string instructions movs, cmps, stos, lods, scas,
 * ins, outs, with and without rep (chapter 02-interpreter.md, "Strings").
 *
 * A string instruction works on DS:ESI (segment may be overridden) and
 * ES:EDI (never overridden), steps them by the element size, up or down as
 * EFLAGS.DF says, and with a rep prefix repeats while ECX != 0 (cmps/scas:
 * also while ZF says equal for repe, not equal for repne). With a 0x67
 * prefix they use SI, DI and CX instead.
 *
 * ECX, ESI and EDI are committed after every element. If element k faults,
 * the fault is delivered with EIP still at the instruction and the
 * registers describing k elements done: after the page fault is handled,
 * the instruction simply resumes. That is also how a long rep gives way to
 * interrupts: after REP_BATCH elements we stop and leave EIP pointing at it.
 */
#include "vmm/x86/alu.h"
#include "vmm/x86/exec.h"

#define REP_BATCH 4096                  /* elements per x86_step */

int x86_exec_string(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize, asz = in->addrsize;
    uint32_t step = (cpu->eflags & X86_FLAG_DF) ? 0u - size : size;
    unsigned op = in->op & ~1u;         /* the byte form's opcode */
    bool rep = in->rep != 0;
    bool compare = op == 0xA6 || op == 0xAE;
    uint16_t port = (uint16_t)cpu->gpr[X86_EDX];

    if ((op == 0x6C || op == 0x6E) && !x86_io_allowed(cpu, env, port, size))
        return x86_raise(cpu, X86_GP, true, 0);

    for (unsigned n = 0;; n++) {
        if (rep && x86_get_reg(cpu, X86_ECX, asz) == 0)
            break;
        if (n == REP_BATCH) {
            cpu->eip -= in->len;        /* not finished: run it again */
            break;
        }
        uint32_t si = x86_get_reg(cpu, X86_ESI, asz);
        uint32_t di = x86_get_reg(cpu, X86_EDI, asz);
        uint32_t a, b, fl = cpu->eflags;
        switch (op) {
        case 0xA4:                      /* movs */
            if (x86_read_mem(cpu, env, in->seg, si, size, &a) ||
                x86_write_mem(cpu, env, X86_ES, di, size, a))
                return X86_EXEC_FAULT;
            x86_set_reg(cpu, X86_ESI, asz, si + step);
            x86_set_reg(cpu, X86_EDI, asz, di + step);
            break;
        case 0xA6:                      /* cmps: flags of [esi] - [edi] */
            if (x86_read_mem(cpu, env, in->seg, si, size, &a) ||
                x86_read_mem(cpu, env, X86_ES, di, size, &b))
                return X86_EXEC_FAULT;
            x86_alu(X86_CMP, size, a, b, &fl);
            cpu->eflags = fl;
            x86_set_reg(cpu, X86_ESI, asz, si + step);
            x86_set_reg(cpu, X86_EDI, asz, di + step);
            break;
        case 0xAA:                      /* stos */
            if (x86_write_mem(cpu, env, X86_ES, di, size, x86_get_reg(cpu, X86_EAX, size)))
                return X86_EXEC_FAULT;
            x86_set_reg(cpu, X86_EDI, asz, di + step);
            break;
        case 0xAC:                      /* lods */
            if (x86_read_mem(cpu, env, in->seg, si, size, &a))
                return X86_EXEC_FAULT;
            x86_set_reg(cpu, X86_EAX, size, a);
            x86_set_reg(cpu, X86_ESI, asz, si + step);
            break;
        case 0xAE:                      /* scas: flags of accumulator - [edi] */
            if (x86_read_mem(cpu, env, X86_ES, di, size, &b))
                return X86_EXEC_FAULT;
            x86_alu(X86_CMP, size, x86_get_reg(cpu, X86_EAX, size), b, &fl);
            cpu->eflags = fl;
            x86_set_reg(cpu, X86_EDI, asz, di + step);
            break;
        case 0x6C:                      /* ins: if the store faults, the input is lost */
            a = env->io_in(env->ctx, port, size);
            if (x86_write_mem(cpu, env, X86_ES, di, size, a))
                return X86_EXEC_FAULT;
            x86_set_reg(cpu, X86_EDI, asz, di + step);
            break;
        default:                        /* 0x6E: outs */
            if (x86_read_mem(cpu, env, in->seg, si, size, &a))
                return X86_EXEC_FAULT;
            env->io_out(env->ctx, port, size, a);
            x86_set_reg(cpu, X86_ESI, asz, si + step);
            break;
        }
        if (!rep)
            break;
        x86_set_reg(cpu, X86_ECX, asz, x86_get_reg(cpu, X86_ECX, asz) - 1);
        /* repe (F3) stops on "not equal", repne (F2) on "equal". */
        if (compare && ((cpu->eflags & X86_FLAG_ZF) != 0) != (in->rep == 0xF3))
            break;
    }
    return X86_EXEC_OK;
}
