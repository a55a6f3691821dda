/*
 * exec.c - the one-byte opcodes: data movement, arithmetic, the stack and
 * near control flow (chapter 02-interpreter.md, "Executing").
 *
 * One switch on the opcode; each case reads its operands, computes with the
 * ALU (alu.c), and writes its results, memory first and registers last (see
 * exec.h for why). Flags are computed into a local copy and stored only once
 * nothing can fault any more. Two-byte opcodes, string instructions and the
 * system instructions live in their own files.
 */
#include "vmm/x86/alu.h"
#include "vmm/x86/exec.h"

/* The arithmetic rows 00-3F: op E,G / op G,E / op A,imm (op = opcode bits 5:3). */
static int alu_row(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    enum x86_alu_op op = (enum x86_alu_op)(in->op >> 3);
    unsigned size = in->opsize;
    uint32_t fl = cpu->eflags, a, b, r;

    switch (in->op & 7) {
    case 0: case 1:                     /* E = E op G */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        r = x86_alu(op, size, a, x86_get_reg(cpu, in->reg, size), &fl);
        if (op != X86_CMP && x86_write_rm(cpu, env, in, size, r))
            return X86_EXEC_FAULT;
        break;
    case 2: case 3:                     /* G = G op E */
        if (x86_read_rm(cpu, env, in, size, &b))
            return X86_EXEC_FAULT;
        r = x86_alu(op, size, x86_get_reg(cpu, in->reg, size), b, &fl);
        if (op != X86_CMP)
            x86_set_reg(cpu, in->reg, size, r);
        break;
    default:                            /* AL/AX/EAX = A op imm */
        r = x86_alu(op, size, x86_get_reg(cpu, X86_EAX, size), in->imm, &fl);
        if (op != X86_CMP)
            x86_set_reg(cpu, X86_EAX, size, r);
        break;
    }
    cpu->eflags = fl;
    return X86_EXEC_OK;
}

/* Group 1 (80-83): op E,imm. Group 2 (C0 C1 D0-D3): shift/rotate E by imm, 1 or CL. */
static int group1_2(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint32_t fl = cpu->eflags, a, r;

    if (x86_read_rm(cpu, env, in, size, &a))
        return X86_EXEC_FAULT;
    if (in->op <= 0x83) {
        r = x86_alu((enum x86_alu_op)in->reg, size, a, in->imm, &fl);
        if (in->reg == X86_CMP) {
            cpu->eflags = fl;
            return X86_EXEC_OK;
        }
    } else {
        unsigned count = in->op <= 0xC1 ? in->imm : in->op <= 0xD1 ? 1 : cpu->gpr[X86_ECX];
        r = x86_shift((enum x86_shift_op)in->reg, size, a, count, &fl);
        /* A quirk of the host, matched for the difftest: rol/ror by an
         * immediate above 1 leaves OF alone (by CL they set it, see alu.c). */
        if (in->op <= 0xC1 && in->reg <= X86_ROR && (count & 31) > 1)
            fl = (fl & ~X86_FLAG_OF) | (cpu->eflags & X86_FLAG_OF);
    }
    if (x86_write_rm(cpu, env, in, size, r))
        return X86_EXEC_FAULT;
    cpu->eflags = fl;
    return X86_EXEC_OK;
}

/* Group 3 (F6 F7): test, not, neg, mul, imul, div, idiv on E. */
static int group3(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint32_t fl = cpu->eflags, a, r;
    uint32_t lo = cpu->gpr[X86_EAX], hi = cpu->gpr[X86_EDX];

    if (x86_read_rm(cpu, env, in, size, &a))
        return X86_EXEC_FAULT;
    switch (in->reg) {
    case 0: case 1:                     /* test E,imm */
        x86_logic_flags(size, a & in->imm, &fl);
        break;
    case 2:                             /* not: no flags */
        return x86_write_rm(cpu, env, in, size, ~a);
    case 3:
        r = x86_neg(size, a, &fl);
        if (x86_write_rm(cpu, env, in, size, r))
            return X86_EXEC_FAULT;
        break;
    case 4: case 5:
        x86_mul(in->reg == 5, size, a, &lo, &hi, &fl);
        cpu->gpr[X86_EAX] = lo;
        cpu->gpr[X86_EDX] = hi;
        break;
    default:
        if (!x86_div(in->reg == 7, size, a, &lo, &hi, &fl))
            return x86_raise(cpu, X86_DE, false, 0);
        cpu->gpr[X86_EAX] = lo;
        cpu->gpr[X86_EDX] = hi;
        break;
    }
    cpu->eflags = fl;
    return X86_EXEC_OK;
}

/* Read a far pointer (offset of the operand size, then a selector) at seg:off. */
static int read_far_pointer(struct x86_cpu *cpu, const struct x86_env *env,
                            const struct x86_insn *in, uint32_t *offset, uint32_t *selector)
{
    uint32_t ea = x86_ea(cpu, in);
    if (x86_read_mem(cpu, env, in->seg, ea, in->opsize, offset))
        return -1;
    return x86_read_mem(cpu, env, in->seg, (ea + in->opsize) & (in->addrsize == 4 ? ~0u : 0xFFFF),
                        2, selector);
}

/* Groups 4 and 5 (FE FF): inc, dec, near and far call/jmp through E, push E. */
static int group4_5(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    uint32_t fl = cpu->eflags, a, sel;

    switch (in->reg) {
    case 0: case 1:
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        a = x86_inc_dec(in->reg == 1, size, a, &fl);
        if (x86_write_rm(cpu, env, in, size, a))
            return X86_EXEC_FAULT;
        cpu->eflags = fl;
        return X86_EXEC_OK;
    case 2:                             /* call near indirect */
        if (x86_read_rm(cpu, env, in, size, &a) || x86_push(cpu, env, size, cpu->eip))
            return X86_EXEC_FAULT;
        x86_jump(cpu, size, a);
        return X86_EXEC_OK;
    case 4:                             /* jmp near indirect */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        x86_jump(cpu, size, a);
        return X86_EXEC_OK;
    case 3:                             /* lcall m16:32 */
        if (read_far_pointer(cpu, env, in, &a, &sel))
            return X86_EXEC_FAULT;
        return x86_far_call(cpu, env, (uint16_t)sel, a, size == 4, cpu->eip);
    case 5:                             /* ljmp m16:32 */
        if (read_far_pointer(cpu, env, in, &a, &sel))
            return X86_EXEC_FAULT;
        return x86_far_jump(cpu, env, (uint16_t)sel, a, size == 4);
    default:                            /* 6: push E */
        if (x86_read_rm(cpu, env, in, size, &a) || x86_push(cpu, env, size, a))
            return X86_EXEC_FAULT;
        return X86_EXEC_OK;
    }
}

int x86_load_far_pointer(struct x86_cpu *cpu, const struct x86_env *env,
                         const struct x86_insn *in, enum x86_sreg sreg)
{
    uint32_t offset, sel;
    if (read_far_pointer(cpu, env, in, &offset, &sel) ||
        x86_load_segment(cpu, env, sreg, (uint16_t)sel))
        return X86_EXEC_FAULT;
    x86_set_reg(cpu, in->reg, in->opsize, offset);
    if (sreg == X86_SS)
        cpu->interrupt_shadow = true;
    return X86_EXEC_OK;
}

/* enter alloc,level: build a stack frame, copying level-1 outer frame
 * pointers (the Pascal display). EBP is only written once all pushes worked. */
static int enter(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    unsigned level = in->imm2 & 31;
    uint32_t ebp = cpu->gpr[X86_EBP], v;

    if (x86_push(cpu, env, size, ebp))
        return X86_EXEC_FAULT;
    uint32_t frame = cpu->gpr[X86_ESP];
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            ebp -= size;
            if (x86_read_mem(cpu, env, X86_SS, ebp, size, &v) || x86_push(cpu, env, size, v))
                return X86_EXEC_FAULT;
        }
        if (x86_push(cpu, env, size, frame))
            return X86_EXEC_FAULT;
    }
    x86_set_reg(cpu, X86_EBP, size, frame);
    cpu->gpr[X86_ESP] -= in->imm;
    return X86_EXEC_OK;
}

int x86_execute(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in)
{
    unsigned size = in->opsize;
    unsigned op = in->op;
    uint32_t a, b;

    if (in->undefined)
        return x86_raise(cpu, X86_UD, false, 0);
    if (op >= 0x100)
        return x86_exec_0f(cpu, env, in);
    if (op < 0x40 && (op & 7) < 6)
        return alu_row(cpu, env, in);

    switch (op) {
    case 0x06: case 0x0E: case 0x16: case 0x1E:        /* push es/cs/ss/ds */
        return x86_push(cpu, env, size, cpu->seg[op >> 3].selector);
    case 0x07: case 0x17: case 0x1F:                   /* pop es/ss/ds */
        if (x86_pop(cpu, env, size, &a) ||
            x86_load_segment(cpu, env, (enum x86_sreg)(op >> 3), (uint16_t)a))
            return X86_EXEC_FAULT;
        if (op == 0x17)
            cpu->interrupt_shadow = true;   /* so that pop ss; pop esp is atomic */
        return X86_EXEC_OK;
    case 0x27: case 0x2F:
        x86_daa_das(op == 0x2F, &cpu->gpr[X86_EAX], &cpu->eflags);
        return X86_EXEC_OK;
    case 0x37: case 0x3F:
        x86_aaa_aas(op == 0x3F, &cpu->gpr[X86_EAX], &cpu->eflags);
        return X86_EXEC_OK;
    case 0x40 ... 0x4F:                                /* inc/dec r */
        a = x86_inc_dec(op >= 0x48, size, x86_get_reg(cpu, op & 7, size), &cpu->eflags);
        x86_set_reg(cpu, op & 7, size, a);
        return X86_EXEC_OK;
    case 0x50 ... 0x57:                                /* push r (push esp: the old esp) */
        return x86_push(cpu, env, size, x86_get_reg(cpu, op & 7, size));
    case 0x58 ... 0x5F:                                /* pop r */
        if (x86_pop(cpu, env, size, &a))
            return X86_EXEC_FAULT;
        x86_set_reg(cpu, op & 7, size, a);
        return X86_EXEC_OK;
    case 0x60: {                                       /* pusha */
        uint32_t esp = cpu->gpr[X86_ESP];
        for (unsigned r = X86_EAX; r <= X86_EDI; r++)
            if (x86_push(cpu, env, size, r == X86_ESP ? esp : cpu->gpr[r]))
                return X86_EXEC_FAULT;
        return X86_EXEC_OK;
    }
    case 0x61: {                                       /* popa: the saved esp is dropped */
        uint32_t v[8];
        for (int r = X86_EDI; r >= X86_EAX; r--)
            if (x86_pop(cpu, env, size, &v[r]))
                return X86_EXEC_FAULT;
        for (unsigned r = X86_EAX; r <= X86_EDI; r++)
            if (r != X86_ESP)
                x86_set_reg(cpu, r, size, v[r]);
        return X86_EXEC_OK;
    }
    case 0x68: case 0x6A:                              /* push imm */
        return x86_push(cpu, env, size, in->imm);
    case 0x69: case 0x6B:                              /* imul G,E,imm */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        x86_set_reg(cpu, in->reg, size, x86_imul_trunc(size, a, in->imm, &cpu->eflags));
        return X86_EXEC_OK;
    case 0x70 ... 0x7F:                                /* jcc rel8 */
        if (x86_condition(op, cpu->eflags))
            x86_jump(cpu, size, cpu->eip + in->imm);
        return X86_EXEC_OK;
    case 0x80 ... 0x83:
    case 0xC0: case 0xC1: case 0xD0 ... 0xD3:
        return group1_2(cpu, env, in);
    case 0x84: case 0x85:                              /* test E,G */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        x86_logic_flags(size, a & x86_get_reg(cpu, in->reg, size), &cpu->eflags);
        return X86_EXEC_OK;
    case 0x86: case 0x87:                              /* xchg E,G (locked by nature) */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        if (x86_write_rm(cpu, env, in, size, x86_get_reg(cpu, in->reg, size)))
            return X86_EXEC_FAULT;
        x86_set_reg(cpu, in->reg, size, a);
        return X86_EXEC_OK;
    case 0x88: case 0x89:                              /* mov E,G */
        return x86_write_rm(cpu, env, in, size, x86_get_reg(cpu, in->reg, size));
    case 0x8A: case 0x8B:                              /* mov G,E */
        if (x86_read_rm(cpu, env, in, size, &a))
            return X86_EXEC_FAULT;
        x86_set_reg(cpu, in->reg, size, a);
        return X86_EXEC_OK;
    case 0x8C:                                         /* mov E,sreg */
        if (in->reg >= X86_SREG_COUNT)
            return x86_raise(cpu, X86_UD, false, 0);
        /* To memory always 16 bits; to a 32-bit register zero-extended. */
        a = cpu->seg[in->reg].selector;
        return x86_write_rm(cpu, env, in, in->mem ? 2 : size, a);
    case 0x8D:                                         /* lea */
        x86_set_reg(cpu, in->reg, size, x86_ea(cpu, in));
        return X86_EXEC_OK;
    case 0x8E:                                         /* mov sreg,E (not cs) */
        if (in->reg >= X86_SREG_COUNT || in->reg == X86_CS)
            return x86_raise(cpu, X86_UD, false, 0);
        if (x86_read_rm(cpu, env, in, 2, &a) ||
            x86_load_segment(cpu, env, (enum x86_sreg)in->reg, (uint16_t)a))
            return X86_EXEC_FAULT;
        if (in->reg == X86_SS)
            cpu->interrupt_shadow = true;
        return X86_EXEC_OK;
    case 0x8F:                                         /* pop E: address after the pop */
        if (x86_pop(cpu, env, size, &a) || x86_write_rm(cpu, env, in, size, a))
            return X86_EXEC_FAULT;
        return X86_EXEC_OK;
    case 0x90:                                         /* nop, and pause (F3 90) */
        return X86_EXEC_OK;
    case 0x91 ... 0x97:                                /* xchg eAX,r */
        a = x86_get_reg(cpu, op & 7, size);
        x86_set_reg(cpu, op & 7, size, x86_get_reg(cpu, X86_EAX, size));
        x86_set_reg(cpu, X86_EAX, size, a);
        return X86_EXEC_OK;
    case 0x98:                                         /* cbw / cwde */
        a = cpu->gpr[X86_EAX];
        x86_set_reg(cpu, X86_EAX, size, size == 2 ? x86_sext(a, 1) : x86_sext(a, 2));
        return X86_EXEC_OK;
    case 0x99:                                         /* cwd / cdq */
        a = x86_get_reg(cpu, X86_EAX, size);
        x86_set_reg(cpu, X86_EDX, size, (a >> (size * 8 - 1)) & 1 ? 0xFFFFFFFFu : 0);
        return X86_EXEC_OK;
    case 0x9A:                                         /* lcall ptr16:32 */
        return x86_far_call(cpu, env, (uint16_t)in->imm2, in->imm, size == 4, cpu->eip);
    case 0x9B:                                         /* fwait: no FPU to wait for */
        if ((cpu->cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS))
            return x86_raise(cpu, X86_NM, false, 0);
        return X86_EXEC_OK;
    case 0x9E:                                         /* sahf */
        b = X86_FLAG_SF | X86_FLAG_ZF | X86_FLAG_AF | X86_FLAG_PF | X86_FLAG_CF;
        cpu->eflags = (cpu->eflags & ~b) | ((cpu->gpr[X86_EAX] >> 8) & b);
        return X86_EXEC_OK;
    case 0x9F:                                         /* lahf */
        x86_set_reg(cpu, 4 /* AH */, 1, (cpu->eflags & 0xD5) | X86_FLAG_FIXED);
        return X86_EXEC_OK;
    case 0xA0: case 0xA1:                              /* mov A,moffs */
        if (x86_read_mem(cpu, env, in->seg, x86_ea(cpu, in), size, &a))
            return X86_EXEC_FAULT;
        x86_set_reg(cpu, X86_EAX, size, a);
        return X86_EXEC_OK;
    case 0xA2: case 0xA3:                              /* mov moffs,A */
        return x86_write_mem(cpu, env, in->seg, x86_ea(cpu, in), size,
                             x86_get_reg(cpu, X86_EAX, size));
    case 0xA4 ... 0xA7: case 0xAA ... 0xAF:
    case 0x6C ... 0x6F:
        return x86_exec_string(cpu, env, in);
    case 0xA8: case 0xA9:                              /* test A,imm */
        x86_logic_flags(size, x86_get_reg(cpu, X86_EAX, size) & in->imm, &cpu->eflags);
        return X86_EXEC_OK;
    case 0xB0 ... 0xBF:                                /* mov r,imm */
        x86_set_reg(cpu, op & 7, size, in->imm);
        return X86_EXEC_OK;
    case 0xC2: case 0xC3:                              /* ret, ret imm16 */
        if (x86_pop(cpu, env, size, &a))
            return X86_EXEC_FAULT;
        cpu->gpr[X86_ESP] += op == 0xC2 ? in->imm : 0;
        x86_jump(cpu, size, a);
        return X86_EXEC_OK;
    case 0xC4: case 0xC5:                              /* les, lds */
        return x86_load_far_pointer(cpu, env, in, op == 0xC4 ? X86_ES : X86_DS);
    case 0xC6: case 0xC7:                              /* mov E,imm */
        return x86_write_rm(cpu, env, in, size, in->imm);
    case 0xC8:
        return enter(cpu, env, in);
    case 0xC9:                                         /* leave */
        b = cpu->gpr[X86_ESP];
        cpu->gpr[X86_ESP] = cpu->gpr[X86_EBP];
        if (x86_pop(cpu, env, size, &a)) {
            cpu->gpr[X86_ESP] = b;
            return X86_EXEC_FAULT;
        }
        x86_set_reg(cpu, X86_EBP, size, a);
        return X86_EXEC_OK;
    case 0xCA: case 0xCB:                              /* lret */
        return x86_far_return(cpu, env, size == 4, op == 0xCA ? (uint16_t)in->imm : 0);
    case 0xD4:                                         /* aam */
        if (!x86_aam((uint8_t)in->imm, &cpu->gpr[X86_EAX], &cpu->eflags))
            return x86_raise(cpu, X86_DE, false, 0);
        return X86_EXEC_OK;
    case 0xD5:                                         /* aad */
        x86_aad((uint8_t)in->imm, &cpu->gpr[X86_EAX], &cpu->eflags);
        return X86_EXEC_OK;
    case 0xD7:                                         /* xlat: AL = [ebx + al] */
        b = cpu->gpr[X86_EBX] + (cpu->gpr[X86_EAX] & 0xFF);
        if (x86_read_mem(cpu, env, in->seg, in->addrsize == 4 ? b : b & 0xFFFF, 1, &a))
            return X86_EXEC_FAULT;
        x86_set_reg(cpu, X86_EAX, 1, a);
        return X86_EXEC_OK;
    case 0xD8 ... 0xDF:                                /* x87: there is no FPU */
        if (cpu->cr0 & (X86_CR0_EM | X86_CR0_TS))
            return x86_raise(cpu, X86_NM, false, 0);
        return x86_raise(cpu, X86_UD, false, 0);
    case 0xE0 ... 0xE2: {                              /* loopne, loope, loop */
        uint32_t count = (x86_get_reg(cpu, X86_ECX, in->addrsize) - 1) &
                         x86_size_mask(in->addrsize);
        x86_set_reg(cpu, X86_ECX, in->addrsize, count);
        bool zf = cpu->eflags & X86_FLAG_ZF;
        if (count != 0 && (op == 0xE2 || zf == (op == 0xE1)))
            x86_jump(cpu, size, cpu->eip + in->imm);
        return X86_EXEC_OK;
    }
    case 0xE3:                                         /* jecxz / jcxz */
        if (x86_get_reg(cpu, X86_ECX, in->addrsize) == 0)
            x86_jump(cpu, size, cpu->eip + in->imm);
        return X86_EXEC_OK;
    case 0xE8:                                         /* call rel */
        if (x86_push(cpu, env, size, cpu->eip))
            return X86_EXEC_FAULT;
        x86_jump(cpu, size, cpu->eip + x86_sext(in->imm, size));
        return X86_EXEC_OK;
    case 0xE9: case 0xEB:                              /* jmp rel */
        x86_jump(cpu, size, cpu->eip + x86_sext(in->imm, size));
        return X86_EXEC_OK;
    case 0xEA:                                         /* ljmp ptr16:32 */
        return x86_far_jump(cpu, env, (uint16_t)in->imm2, in->imm, size == 4);
    case 0xF5:                                         /* cmc */
        cpu->eflags ^= X86_FLAG_CF;
        return X86_EXEC_OK;
    case 0xF6: case 0xF7:
        return group3(cpu, env, in);
    case 0xF8: case 0xF9:                              /* clc, stc */
        cpu->eflags = (cpu->eflags & ~X86_FLAG_CF) | (op & 1);
        return X86_EXEC_OK;
    case 0xFC: case 0xFD:                              /* cld, std */
        cpu->eflags = (cpu->eflags & ~X86_FLAG_DF) | ((op & 1) ? X86_FLAG_DF : 0);
        return X86_EXEC_OK;
    case 0xFE: case 0xFF:
        return group4_5(cpu, env, in);
    default:
        return x86_exec_system(cpu, env, in);
    }
}
