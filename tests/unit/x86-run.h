/*
 * x86-run.h - a tiny machine for the executor's unit tests (chapter 2):
 * the flat RAM of x86-fake-env.h with a GDT, an IDT whose every vector
 * leads to its own handler address, a TSS, a stack, and port I/O and
 * rdtsc callbacks that log what the guest did. Tests put code at
 * RUN_CODE, set registers, call run_steps(), and look at the state.
 */
#ifndef TESTS_UNIT_X86_RUN_H
#define TESTS_UNIT_X86_RUN_H

#include <stdint.h>
#include <string.h>

#include "vmm/x86/system.h"
#include "vmm/x86/x86.h"
#include "x86-fake-env.h"

#define RUN_GDT     0x1000u
#define RUN_IDT     0x2000u
#define RUN_TSS     0x3000u
#define RUN_HANDLER 0x4000u             /* vector v is handled at RUN_HANDLER + 16*v */
#define RUN_CODE    0x10000u
#define RUN_DATA    0x20000u
#define RUN_STACK   0x80000u            /* ring-0 stack top */
#define RUN_USTACK  0x70000u            /* ring-3 stack top */

#define RUN_KCODE 0x08
#define RUN_KDATA 0x10
#define RUN_UCODE 0x1B
#define RUN_UDATA 0x23
#define RUN_TSSEL 0x28

static struct x86_cpu cpu;

/* Port I/O: reads give port + 0x11 * size; the last write is remembered. */
static struct {
    unsigned ins, outs;
    uint16_t last_port;
    unsigned last_size;
    uint32_t last_value;
} run_io;

static inline uint32_t run_io_in(void *ctx, uint16_t port, unsigned size)
{
    (void)ctx;
    run_io.ins++;
    run_io.last_port = port;
    run_io.last_size = size;
    return (uint32_t)(port + 0x11 * size) & (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static inline void run_io_out(void *ctx, uint16_t port, unsigned size, uint32_t value)
{
    (void)ctx;
    run_io.outs++;
    run_io.last_port = port;
    run_io.last_size = size;
    run_io.last_value = value;
}

static inline uint64_t run_rdtsc(void *ctx)
{
    (void)ctx;
    return 0x123456789ABCull;
}

static const struct x86_env run_env = {
    .translate = fake_translate,
    .mmio_read = fake_mmio_read,
    .mmio_write = fake_mmio_write,
    .io_in = run_io_in,
    .io_out = run_io_out,
    .flush_tlb = fake_flush_tlb,
    .invlpg = fake_invlpg,
    .rdtsc = run_rdtsc,
};

/* Ring 0, flat segments, tables in place, registers cleared, code at RUN_CODE. */
static inline void run_setup(void)
{
    fake_reset();
    memset(&run_io, 0, sizeof run_io);
    x86_reset_multiboot(&cpu, RUN_CODE, 0);
    fake_descriptor(RUN_GDT, 1, 0, 0xFFFFF, 0x9A, 0xC0);    /* ring-0 code */
    fake_descriptor(RUN_GDT, 2, 0, 0xFFFFF, 0x92, 0xC0);    /* ring-0 data */
    fake_descriptor(RUN_GDT, 3, 0, 0xFFFFF, 0xFA, 0xC0);    /* ring-3 code */
    fake_descriptor(RUN_GDT, 4, 0, 0xFFFFF, 0xF2, 0xC0);    /* ring-3 data */
    fake_descriptor(RUN_GDT, 5, RUN_TSS, 0x67, 0x89, 0x00); /* 32-bit TSS */
    x86_load_gdtr(&cpu, RUN_GDT, 6 * 8 - 1);
    for (unsigned v = 0; v < 256; v++)                      /* interrupt gates, DPL 3 */
        fake_gate(RUN_IDT, v, RUN_KCODE, RUN_HANDLER + 16 * v, 0xEE);
    x86_load_idtr(&cpu, RUN_IDT, 256 * 8 - 1);
    fake_write32(RUN_TSS + 4, RUN_STACK);                   /* ESP0 */
    fake_write32(RUN_TSS + 8, RUN_KDATA);                   /* SS0 */
    fake.ram[RUN_TSS + 0x66] = 0x68;                        /* no I/O bitmap */
    x86_load_tr(&cpu, &run_env, RUN_TSSEL);
    for (int r = 0; r < 8; r++)
        cpu.gpr[r] = 0;
    cpu.gpr[X86_ESP] = RUN_STACK;
}

/* Drop to ring 3 with flat user segments (IOPL 0, IF set). */
static inline void run_enter_user(void)
{
    struct x86_segment code = { RUN_UCODE, 0, 0xFFFFFFFF, 0xFB | X86_AR_DB | X86_AR_G };
    struct x86_segment data = { RUN_UDATA, 0, 0xFFFFFFFF, 0xF3 | X86_AR_DB | X86_AR_G };
    for (int s = 0; s < X86_SREG_COUNT; s++)
        cpu.seg[s] = data;
    cpu.seg[X86_CS] = code;
    cpu.cpl = 3;
    cpu.eflags = X86_FLAG_FIXED | X86_FLAG_IF;
    cpu.gpr[X86_ESP] = RUN_USTACK;
}

/* Put code bytes at addr and point EIP at them. */
static inline void run_code_at(uint32_t addr, const void *bytes, size_t n)
{
    memcpy(fake.ram + addr, bytes, n);
    cpu.eip = addr;
}
#define RUN_CODE_BYTES(...)                                                   \
    do {                                                                      \
        static const uint8_t code_[] = { __VA_ARGS__ };                       \
        run_code_at(RUN_CODE, code_, sizeof code_);                           \
    } while (0)

/* Run n instructions; returns the status of the last step. */
static inline enum x86_status run_steps(unsigned n)
{
    enum x86_status s = X86_STEP_OK;
    while (n-- > 0 && s == X86_STEP_OK)
        s = x86_step(&cpu, &run_env);
    return s;
}

/* The handler address of a vector, where EIP is after delivery. */
static inline uint32_t run_handler(unsigned vector)
{
    return RUN_HANDLER + 16 * vector;
}

#endif
