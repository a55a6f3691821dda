/*
 * exec.h - what the files of the executor share: operand access and the
 * entry points of each instruction family (chapter 02-interpreter.md,
 * "Executing").
 *
 * x86_step() (step.c) fetches and decodes, sets EIP to the next instruction
 * and calls x86_execute() (exec.c), which runs the one-byte opcodes and hands
 * the rest to exec-0f.c, exec-string.c and exec-system.c.
 *
 * The rule every instruction keeps: do everything that can fault (memory
 * reads and writes, checks) before changing any register, so that a fault
 * leaves the vCPU as it was before the instruction. step.c then only has to
 * put back EIP (and ESP, which push and pop move as they go). Rep string
 * instructions are the one exception, on purpose: they commit ECX, ESI and
 * EDI after each iteration, so that they can resume after a page fault.
 */
#ifndef VMM_X86_EXEC_H
#define VMM_X86_EXEC_H

#include "vmm/x86/cpu.h"
#include "vmm/x86/decode.h"
#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"

/* What an instruction's execution ended in. */
enum x86_exec_result {
    X86_EXEC_OK = 0,                    /* retired */
    X86_EXEC_FAULT = -1,                /* exception recorded by x86_raise(): undo, deliver */
    X86_EXEC_HALT = 1,                  /* hlt retired */
    X86_EXEC_EVENT = 2,                 /* retired, and delivered an event (int n, iret) */
    X86_EXEC_TRIPLE = 3,                /* event delivery failed fatally */
};

/* Register r of size bytes. For bytes, 0-3 are AL CL DL BL and 4-7 are
 * AH CH DH BH: the second byte of the first four registers. */
static inline uint32_t x86_get_reg(const struct x86_cpu *cpu, unsigned r, unsigned size)
{
    if (size == 4)
        return cpu->gpr[r];
    if (size == 2)
        return cpu->gpr[r] & 0xFFFF;
    return r < 4 ? cpu->gpr[r] & 0xFF : (cpu->gpr[r - 4] >> 8) & 0xFF;
}

/* Write register r of size bytes; the bits above the size are kept. */
static inline void x86_set_reg(struct x86_cpu *cpu, unsigned r, unsigned size, uint32_t v)
{
    if (size == 4)
        cpu->gpr[r] = v;
    else if (size == 2)
        cpu->gpr[r] = (cpu->gpr[r] & 0xFFFF0000u) | (v & 0xFFFF);
    else if (r < 4)
        cpu->gpr[r] = (cpu->gpr[r] & 0xFFFFFF00u) | (v & 0xFF);
    else
        cpu->gpr[r - 4] = (cpu->gpr[r - 4] & 0xFFFF00FFu) | (v & 0xFF) << 8;
}

/* The offset of in's memory operand within its segment. */
static inline uint32_t x86_ea(const struct x86_cpu *cpu, const struct x86_insn *in)
{
    uint32_t ea = in->disp;
    if (in->base >= 0)
        ea += cpu->gpr[in->base];
    if (in->index >= 0)
        ea += cpu->gpr[in->index] << in->scale;
    return in->addrsize == 4 ? ea : ea & 0xFFFF;
}

/* Read or write size bytes at seg:offset as a little-endian number. */
static inline int x86_read_mem(struct x86_cpu *cpu, const struct x86_env *env, unsigned seg,
                               uint32_t offset, unsigned size, uint32_t *v)
{
    *v = 0;
    return x86_read_seg(cpu, env, (enum x86_sreg)seg, offset, v, size);
}
static inline int x86_write_mem(struct x86_cpu *cpu, const struct x86_env *env, unsigned seg,
                                uint32_t offset, unsigned size, uint32_t v)
{
    return x86_write_seg(cpu, env, (enum x86_sreg)seg, offset, &v, size);
}

/* The ModRM r/m operand of size bytes: a register or memory. */
static inline int x86_read_rm(struct x86_cpu *cpu, const struct x86_env *env,
                              const struct x86_insn *in, unsigned size, uint32_t *v)
{
    if (!in->mem) {
        *v = x86_get_reg(cpu, in->rm, size);
        return 0;
    }
    return x86_read_mem(cpu, env, in->seg, x86_ea(cpu, in), size, v);
}
static inline int x86_write_rm(struct x86_cpu *cpu, const struct x86_env *env,
                               const struct x86_insn *in, unsigned size, uint32_t v)
{
    if (!in->mem) {
        x86_set_reg(cpu, in->rm, size, v);
        return 0;
    }
    return x86_write_mem(cpu, env, in->seg, x86_ea(cpu, in), size, v);
}

/* Push or pop a value of the operand size (2 or 4 bytes). */
static inline int x86_push(struct x86_cpu *cpu, const struct x86_env *env, unsigned size,
                           uint32_t v)
{
    return size == 4 ? x86_push32(cpu, env, v) : x86_push16(cpu, env, (uint16_t)v);
}
static inline int x86_pop(struct x86_cpu *cpu, const struct x86_env *env, unsigned size,
                          uint32_t *v)
{
    if (size == 4)
        return x86_pop32(cpu, env, v);
    uint16_t w;
    int r = x86_pop16(cpu, env, &w);
    *v = w;
    return r;
}

/* Set EIP to a branch target, cut to 16 bits for a 16-bit operand size. */
static inline void x86_jump(struct x86_cpu *cpu, unsigned opsize, uint32_t target)
{
    cpu->eip = opsize == 4 ? target : target & 0xFFFF;
}

/* lds/les/lss/lfs/lgs: load the far pointer at in's memory operand into sreg:G. */
int x86_load_far_pointer(struct x86_cpu *cpu, const struct x86_env *env,
                         const struct x86_insn *in, enum x86_sreg sreg);

/* The instruction families. Each returns an enum x86_exec_result. */
int x86_execute(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in);
int x86_exec_0f(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in);
int x86_exec_string(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in);
int x86_exec_system(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_insn *in);

#endif
