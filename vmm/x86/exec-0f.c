/*
 * exec-0f.c - the two-byte (0F xx) integer opcodes: conditional moves, sets
 * and jumps, bit tests and scans, double shifts, movzx/movsx, cmpxchg, xadd,
 * bswap (chapter 02-interpreter.md, "Executing").
 *
 * The 0F system instructions (lgdt, mov cr, cpuid, ...) are in
 * exec-system.c. The same rule as in exec.c holds: memory first, registers
 * and flags last.
 */
#include "vmm/x86/alu.h"
#include "vmm/x86/exec.h"

/* bt, bts, btr, btc with the bit offset in a register (0F A3/AB/B3/BB) or
 * an immediate (0F BA). A register offset on a memory operand is signed and
 * may reach outside the operand: the CPU addresses the word that holds the
 * bit, ea + (offset >> 5) * 4 for 32 bits. An immediate is taken modulo the
 * operand size, as is any offset on a register operand. */
static int bit_test(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize, bits = size * 8;
    bool imm = in->op == 0x1BA;
    enum x86_bt_op op = imm ? (enum x86_bt_op)in->reg : (enum x86_bt_op)(X86_BT + ((in->op >> 3) & 3));
    uint32_t offset = imm ? in->imm : x86_get_reg(cpu, in->reg, size);
    uint32_t fl = cpu->eflags, v, r;

    if (!in->mem) {
        v = x86_get_reg(cpu, in->rm, size);
        r = x86_bit_op(op, v, offset & (bits - 1), &fl);
        if (op != X86_BT)
            x86_set_reg(cpu, in->rm, size, r);
        cpu->eflags = fl;
        return X86_EXEC_OK;
    }
    uint32_t ea = x86_ea(cpu, in);
    if (!imm) {
        int32_t word = size == 4 ? (int32_t)offset >> 5 : (int16_t)offset >> 4;
        ea += (uint32_t)word * size;
        if (in->addrsize == 2)
            ea &= 0xFFFF;
    }
    if (x86_read_mem(cpu, env, in->seg, ea, size, &v))
        return X86_EXEC_FAULT;
    r = x86_bit_op(op, v, offset & (bits - 1), &fl);
    if (op != X86_BT && x86_write_mem(cpu, env, in->seg, ea, size, r))
        return X86_EXEC_FAULT;
    cpu->eflags = fl;
    return X86_EXEC_OK;
}

/* cmpxchg E,G: if accumulator == E then E = G (ZF=1) else accumulator = E.
 * Like the hardware, it writes E back either way (a locked bus cycle). */
static int cmpxchg(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint32_t fl = cpu->eflags, dst;

    if (x86_read_rm(cpu, env, in, size, &dst))
        return X86_EXEC_FAULT;
    x86_alu(X86_CMP, size, x86_get_reg(cpu, X86_EAX, size), dst, &fl);
    bool equal = fl & X86_FLAG_ZF;
    if (x86_write_rm(cpu, env, in, size, equal ? x86_get_reg(cpu, in->reg, size) : dst))
        return X86_EXEC_FAULT;
    if (!equal)
        x86_set_reg(cpu, X86_EAX, size, dst);
    cpu->eflags = fl;
    return X86_EXEC_OK;
}

/* cmpxchg8b m64: EDX:EAX against m64; equal: m64 = ECX:EBX. Only ZF changes. */
static int cmpxchg8b(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    uint32_t ea = x86_ea(cpu, in), m[2];
    if (x86_read_seg(cpu, env, (enum x86_sreg)in->seg, ea, m, 8))
        return X86_EXEC_FAULT;
    bool equal = m[0] == cpu->gpr[X86_EAX] && m[1] == cpu->gpr[X86_EDX];
    uint32_t w[2] = { cpu->gpr[X86_EBX], cpu->gpr[X86_ECX] };
    if (x86_write_seg(cpu, env, (enum x86_sreg)in->seg, ea, equal ? w : m, 8))
        return X86_EXEC_FAULT;
    if (!equal) {
        cpu->gpr[X86_EAX] = m[0];
        cpu->gpr[X86_EDX] = m[1];
    }
    cpu->eflags = (cpu->eflags & ~X86_FLAG_ZF) | (equal ? X86_FLAG_ZF : 0);
    return X86_EXEC_OK;
}

/* xadd E,G: G = E, E = E + G. With a register E, E is written last. */
static int xadd(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint32_t fl = cpu->eflags, dst;

    if (x86_read_rm(cpu, env, in, size, &dst))
        return X86_EXEC_FAULT;
    uint32_t sum = x86_alu(X86_ADD, size, dst, x86_get_reg(cpu, in->reg, size), &fl);
    if (in->mem && x86_write_rm(cpu, env, in, size, sum))
        return X86_EXEC_FAULT;
    x86_set_reg(cpu, in->reg, size, dst);
    if (!in->mem)
        x86_set_reg(cpu, in->rm, size, sum);
    cpu->eflags = fl;
    return X86_EXEC_OK;
}

int x86_exec_0f(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    unsigned op = in->op & 0xFF;
    uint32_t a, fl = cpu->eflags;

    switch (op) {
    case 0x0B:                                         /* ud2 */
        return x86_raise(cpu, X86_UD, false, 0);
    case 0x18 ... 0x1F:                                /* hint nops: no memory access */
        return X86_EXEC_OK;
    case 0x40 ... 0x4F:                                /* cmovcc: reads E even if false */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        if (x86_condition(op, cpu->eflags))
            x86_set_reg(cpu, in->reg, size, a);
        return X86_EXEC_OK;
    case 0x80 ... 0x8F:                                /* jcc rel16/32 */
        if (x86_condition(op, cpu->eflags))
            x86_jump(cpu, size, cpu->eip + x86_sext(in->imm, size));
        return X86_EXEC_OK;
    case 0x90 ... 0x9F:                                /* setcc */
        return x86_write_rm(cpu, env, in, 1, x86_condition(op, cpu->eflags));
    case 0xA0: case 0xA8:                              /* push fs/gs */
        return x86_push(cpu, env, size, cpu->seg[op == 0xA0 ? X86_FS : X86_GS].selector);
    case 0xA1: case 0xA9:                              /* pop fs/gs */
        if (x86_pop(cpu, env, size, &a) ||
            x86_load_segment(cpu, env, op == 0xA1 ? X86_FS : X86_GS, (uint16_t)a))
            return X86_EXEC_FAULT;
        return X86_EXEC_OK;
    case 0xA3: case 0xAB: case 0xB3: case 0xBB: case 0xBA:
        return bit_test(cpu, env, in);
    case 0xA4: case 0xA5: case 0xAC: case 0xAD: {      /* shld, shrd */
        unsigned count = (op & 1) ? cpu->gpr[X86_ECX] : in->imm;
        uint32_t src = x86_get_reg(cpu, in->reg, size);
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        a = op < 0xA8 ? x86_shld(size, a, src, count, &fl) : x86_shrd(size, a, src, count, &fl);
        if (x86_write_rm(cpu, env, in, size, a))
            return X86_EXEC_FAULT;
        cpu->eflags = fl;
        return X86_EXEC_OK;
    }
    case 0xAF:                                         /* imul G,E */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        a = x86_imul_trunc(size, x86_get_reg(cpu, in->reg, size), a, &cpu->eflags);
        x86_set_reg(cpu, in->reg, size, a);
        return X86_EXEC_OK;
    case 0xB0: case 0xB1:
        return cmpxchg(cpu, env, in);
    case 0xB2: case 0xB4: case 0xB5:                   /* lss, lfs, lgs */
        return x86_load_far_pointer(cpu, env, in,
                                    op == 0xB2 ? X86_SS : op == 0xB4 ? X86_FS : X86_GS);
    case 0xB6: case 0xB7: case 0xBE: case 0xBF: {      /* movzx, movsx */
        unsigned from = (op & 1) ? 2 : 1;
        if (x86_read_rm(cpu, env, in, from, &a))
            return X86_EXEC_FAULT;
        x86_set_reg(cpu, in->reg, size, op >= 0xBE ? x86_sext(a, from) : a);
        return X86_EXEC_OK;
    }
    case 0xBC: case 0xBD: {                            /* bsf, bsr */
        uint32_t dst = cpu->gpr[in->reg];
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        x86_bit_scan(op == 0xBD, size, a, &dst, &cpu->eflags);
        cpu->gpr[in->reg] = dst;
        return X86_EXEC_OK;
    }
    case 0xC0: case 0xC1:
        return xadd(cpu, env, in);
    case 0xC7:                                         /* group 9: only cmpxchg8b */
        return cmpxchg8b(cpu, env, in);
    case 0xC8 ... 0xCF:                                /* bswap; 16-bit form gives 0, as on Intel */
        a = cpu->gpr[op & 7];
        x86_set_reg(cpu, op & 7, size, size == 4 ? __builtin_bswap32(a) : 0);
        return X86_EXEC_OK;
    default:
        return x86_exec_system(cpu, env, in);
    }
}
