/*
 * test_x86_difftest.c - differential test of the interpreter against the
 * host CPU (chapter 02-interpreter.md, "Testing against silicon").
 *
 * Random instructions from x86-difftest-forms.h (ALU, shifts, rotates, bit
 * tests and scans, mul, div, shld/shrd, cmpxchg/xadd, setcc/cmovcc, string
 * instructions, lea, flag instructions, ...) in 8-, 16- and 32-bit operand
 * sizes, with random operands biased to edge cases and random flags in, run
 * twice: natively, copied into an executable page on this x86-64 host, and
 * through x86_step(). The cases come in families (families[] below):
 *
 *   register  ModRM mod=3 forms: they encode the same in 32- and 64-bit
 *             mode, so the same bytes run on both sides; only inc/dec r32
 *             (40-4F, REX prefixes in 64-bit mode) runs natively as FF /0, /1.
 *   memory    the E operand in memory, with a random addressing form (any
 *             mod, SIB, scale, displacement; registers solved so that the
 *             address lands in a buffer, wrapping round 2^32 as it may).
 *   string    movs/cmps/stos/lods/scas with and without rep/repe/repne,
 *             DF 0 and 1, counts 0..64, data with equal runs.
 *   lea       every 32-bit addressing form, ESP as base included.
 *   system    flag instructions, pushf/popf, cbw/cwd, bswap, xlat.
 *
 * Memory: the host runs memory forms behind a 0x67 prefix, so it computes
 * 32-bit addresses as the guest does, into a buffer mapped below 4 GiB;
 * the interpreter's translate callback maps the same addresses onto its own
 * copy of that buffer. Both copies must match afterwards, byte for byte.
 *
 * Registers, EIP after the instruction and flags (all but IF, TF, IOPL,
 * NT, AC and other system flags, which the host's ring 3 does not let us
 * set) must match, except what the SDM calls undefined (undefined_flags()
 * says which and why). X86_DIFFTEST_STRICT=1 compares those too: it shows
 * where we also match this host's undefined behaviour (see alu.c).
 * X86_DIFFTEST_CASES (default 100000) and X86_DIFFTEST_SEED choose the run;
 * the seed and the first mismatch are printed on failure.
 *
 * Not here: 16-bit addressing (0x67 in 32-bit code means 32-bit addresses
 * in 64-bit mode), and daa/das/aaa/aas/aam/aad, into, bound, push/pop of
 * segment registers, pusha/popa: invalid in 64-bit mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vmm/x86/alu.h"
#include "x86-difftest-forms.h"
#include "x86-run.h"

#if !defined(__x86_64__)
#error "the difftest runs instructions natively: it needs an x86-64 host"
#endif

/* The register file both sides start from and end in (ESP is not used). */
struct dt_regs {
    uint32_t r[8];
    uint32_t eflags;
    uint32_t eip;                       /* where execution ended, from the first byte */
};

/*
 * dt_native(regs, code): load the seven usable registers and EFLAGS from
 * *regs, call code (the instruction followed by ret), store them back.
 * Written in assembly because it must own every register; r12-r15 hold
 * our pointers, and the tested instructions never name them (no REX).
 * dt_native_esp gets the low half of RSP as the instruction sees it, for
 * lea [esp + ...].
 */
uint32_t dt_native_esp;
void dt_native(struct dt_regs *regs, const void *code);
__asm__(
    ".text\n"
    ".globl dt_native\n"
    ".type dt_native, @function\n"
    "dt_native:\n"
    "    push %rbx\n"
    "    push %rbp\n"
    "    push %r12\n"
    "    push %r13\n"
    "    push %r14\n"
    "    push %r15\n"
    "    mov %rdi, %r15\n"
    "    mov %rsi, %r14\n"
    "    lea -8(%rsp), %r12\n"          /* RSP inside the call */
    "    mov %r12d, dt_native_esp(%rip)\n"
    "    mov 32(%r15), %eax\n"
    "    push %rax\n"
    "    popfq\n"
    "    mov 0(%r15), %eax\n"
    "    mov 4(%r15), %ecx\n"
    "    mov 8(%r15), %edx\n"
    "    mov 12(%r15), %ebx\n"
    "    mov 20(%r15), %ebp\n"
    "    mov 24(%r15), %esi\n"
    "    mov 28(%r15), %edi\n"
    "    call *%r14\n"
    "    pushfq\n"
    "    pop %r13\n"
    "    cld\n"
    "    mov %eax, 0(%r15)\n"
    "    mov %ecx, 4(%r15)\n"
    "    mov %edx, 8(%r15)\n"
    "    mov %ebx, 12(%r15)\n"
    "    mov %ebp, 20(%r15)\n"
    "    mov %esi, 24(%r15)\n"
    "    mov %edi, 28(%r15)\n"
    "    mov %r13d, 32(%r15)\n"
    "    pop %r15\n"
    "    pop %r14\n"
    "    pop %r13\n"
    "    pop %r12\n"
    "    pop %rbp\n"
    "    pop %rbx\n"
    "    ret\n"
    ".size dt_native, .-dt_native\n");

#define CF X86_FLAG_CF
#define PF X86_FLAG_PF
#define AF X86_FLAG_AF
#define ZF X86_FLAG_ZF
#define SF X86_FLAG_SF
#define OF X86_FLAG_OF
#define DF X86_FLAG_DF
#define ALL X86_FLAGS_STATUS

/* The flags compared: all but those ring 3 cannot set on the host (VIF,
 * VIP: bits 19, 20); reserved bits must read the same too. */
#define COMPARED_FLAGS ~(X86_FLAG_TF | X86_FLAG_IF | X86_FLAG_IOPL | X86_FLAG_NT | \
                         X86_FLAG_RF | X86_FLAG_VM | X86_FLAG_AC | 0x00180000u)

/* What push A; popf may load: status flags, DF, ID, and reserved bits that
 * must stay as they are. Not TF, AC, NT (they would change how the host
 * runs us), nor IF and IOPL (ring 3 cannot). */
#define POPF_SAFE (X86_FLAGS_STATUS | DF | X86_FLAG_ID | 0xFFC0802Au)

/* ---- random numbers: xorshift64*, reproducible from the seed ------------ */

static uint64_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* A register value, biased to the values where flags change. */
static uint32_t edge_value(void)
{
    static const uint32_t edges[] = {
        0, 1, 2, 0x7F, 0x80, 0x81, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001, 0xFFFF,
        0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFF, 0xFFFFFFFE,
        0x0F, 0x10, 0x99, 0x55555555, 0xAAAAAAAA,
    };
    switch (rng() % 8) {
    case 0: case 1:
        return edges[rng() % (sizeof edges / sizeof edges[0])];
    case 2:
        return rng() % 34;                      /* shift counts and bit numbers */
    case 3:
        return edges[rng() % (sizeof edges / sizeof edges[0])] + (rng() % 5) - 2;
    case 4:                                     /* byte and word edges in the low part */
        return (rng() & 0xFFFF0000u) | edges[rng() % (sizeof edges / sizeof edges[0])];
    default:
        return rng();
    }
}

/* ---- the memory both sides work on ------------------------------------- */

/*
 * The host's buffer lies below 4 GiB (its address fits a 32-bit register);
 * the interpreter sees the same linear addresses through dt_translate(), on
 * its own copy. Memory operands sit in a 64-byte window in the middle, bt*
 * with a register bit offset reach up to 4 KiB either side of it, string
 * instructions start within 1 KiB of it and run up to 256 bytes.
 */
#define BUF_SIZE   0x4000u
#define BUF_MID    0x2000u              /* a page boundary: operands straddle it */
#define WINDOW     64u

static uint8_t *host_buf;               /* the host's copy, at a 32-bit address */
static uint32_t buf_lin;                /* its address, the guest's too */
static uint8_t interp_buf[BUF_SIZE] __attribute__((aligned(4096)));
static uint8_t before_buf[BUF_SIZE];    /* the contents both started from */

static uint8_t *dt_translate(void *ctx, uint32_t lin, unsigned acc, struct x86_xlate_fault *f)
{
    if (lin - buf_lin < BUF_SIZE)
        return interp_buf + (lin - buf_lin);
    return fake_translate(ctx, lin, acc, f);
}

/* run_env of x86-run.h, with the buffer mapped in. */
static const struct x86_env dt_env = {
    .translate = dt_translate,
    .mmio_read = fake_mmio_read,
    .mmio_write = fake_mmio_write,
    .io_in = run_io_in,
    .io_out = run_io_out,
    .flush_tlb = fake_flush_tlb,
    .invlpg = fake_invlpg,
    .rdtsc = run_rdtsc,
};

/* Map the host buffer where a 32-bit register can point at it, above the
 * fake RAM the interpreter's code and stack live in. */
static void map_buffer(void)
{
    void *p = mmap((void *)0x40000000ul, BUF_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED)
        p = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                 -1, 0);
    assert_true(p != MAP_FAILED);
    assert_true((uintptr_t)p >= FAKE_RAM_SIZE && (uintptr_t)p + BUF_SIZE <= 0xFFFFFFFFu);
    host_buf = p;
    buf_lin = (uint32_t)(uintptr_t)p;
    for (unsigned i = 0; i < BUF_SIZE; i++)
        host_buf[i] = (uint8_t)rng();
}

static uint32_t buf_get(uint32_t off, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, host_buf + off, size);
    return v;
}

static void buf_put(uint32_t off, unsigned size, uint32_t v)
{
    memcpy(host_buf + off, &v, size);
}

/* ---- one case ----------------------------------------------------------- */

/* A memory operand's address: the registers it names and its displacement. */
struct dt_addr {
    int base, index;                    /* register numbers, -1 for none */
    unsigned scale;                     /* 1, 2, 4 or 8 */
    unsigned disp_at, disp_len;         /* where the displacement bytes go */
};

struct dt_case {
    const struct dt_template *t;
    unsigned family;                    /* index into families[] */
    unsigned size;                      /* operand size in bytes */
    unsigned esize;                     /* the E operand's (movzx, setcc: smaller) */
    uint8_t bytes[24];                  /* what the interpreter runs */
    uint8_t native[24];                 /* what the host runs (0x67, 40-4F) */
    unsigned len, native_len;
    int modrm;                          /* index of the ModRM byte, or -1 */
    struct dt_addr addr;                /* when the E operand is in memory */
    bool mem;                           /* touches the buffer: compare it */
    bool host_esp;                      /* the interpreter's ESP is the host's */
    uint32_t target;                    /* buffer offset of the memory operand */
    struct dt_regs in;
    unsigned count;                     /* shift count / bit number, for the masks */
    uint32_t src;                       /* the E operand, for the masks */
};

/* Segment overrides that mean nothing to either side: flat data segments
 * here, ignored in 64-bit mode. They exercise the decoder's prefix
 * handling. Not CS: the guest may not write through a code segment. */
static const uint8_t flat_overrides[] = { 0x26, 0x36, 0x3E };

/* A random register number for an operand of size bytes: not ESP, unless
 * it is a byte register (number 4 is then AH). */
static unsigned random_reg(unsigned size)
{
    unsigned r;
    do
        r = rng() % 8;
    while (size != 1 && r == X86_ESP);
    return r;
}

/* One of the operand sizes in a template's mask. */
static unsigned random_size(unsigned sizes)
{
    unsigned s;
    do
        s = 1u << (rng() % 3);
    while (!(sizes & s));
    return s;
}

/*
 * Append a memory ModRM (mod 0-2) with reg field `field`, a SIB byte half
 * of the time, and room for the displacement, which aim_address() fills in
 * once the registers are known. Registers used for the address avoid
 * `avoid` (-1: none) and ESP unless esp_ok (only lea may use the host's
 * stack pointer).
 */
static void emit_address(struct dt_case *c, unsigned *n, unsigned field, int avoid, bool esp_ok)
{
    struct dt_addr *a = &c->addr;
    unsigned mod = rng() % 3, rm = 4, base;
    if (rng() % 2)
        do
            rm = rng() % 8;
        while (rm == 4 || (int)rm == avoid);
    c->bytes[(*n)++] = (uint8_t)(mod << 6 | field << 3 | rm);
    a->index = -1;
    a->scale = 1;
    base = rm;
    if (rm == 4) {
        unsigned ss = rng() % 4, index;
        do
            base = rng() % 8;
        while ((int)base == avoid || (base == 4 && !esp_ok));
        do
            index = rng() % 8;
        while ((int)index == avoid);
        c->bytes[(*n)++] = (uint8_t)(ss << 6 | index << 3 | base);
        a->index = index == 4 ? -1 : (int)index;    /* index 4: none */
        a->scale = 1u << ss;
    }
    a->base = mod == 0 && base == 5 ? -1 : (int)base;  /* mod 0, EBP: disp32 alone */
    a->disp_at = *n;
    a->disp_len = mod == 1 ? 1 : mod == 2 || a->base < 0 ? 4 : 0;
    *n += a->disp_len;
}

/* The inverse of an odd m modulo 2^32 (Newton's iteration). */
static uint32_t inverse_odd(uint32_t m)
{
    uint32_t x = m;
    for (int i = 0; i < 5; i++)
        x *= 2 - m * x;
    return x;
}

/*
 * Choose a random displacement and, if aim, set the base register so that
 * the address is buf_lin + c->target, modulo 2^32 as in the guest (the
 * index keeps its random value). Base = index ([eax+eax*2]) means solving
 * base * (scale + 1) = target - disp; for scale 1 that needs an even right
 * side, which moving the target down a byte gives.
 */
static void aim_address(struct dt_case *c, bool aim)
{
    struct dt_addr *a = &c->addr;
    uint32_t disp = a->disp_len == 4 ? edge_value() : a->disp_len ? (uint32_t)(int8_t)rng() : 0;
    uint32_t index = a->index >= 0 ? c->in.r[a->index] * a->scale : 0;
    if (aim && a->base < 0) {
        disp = buf_lin + c->target - index;
    } else if (aim && a->base == a->index) {
        uint32_t m = a->scale + 1, rhs = buf_lin + c->target - disp;
        if (m == 2 && (rhs & 1)) {
            c->target--;
            rhs--;
        }
        c->in.r[a->base] = m == 2 ? rhs / 2 + (rng() << 31) : rhs * inverse_odd(m);
    } else if (aim) {
        c->in.r[a->base] = buf_lin + c->target - index - disp;
    }
    for (unsigned i = 0; i < a->disp_len; i++)
        c->bytes[a->disp_at + i] = (uint8_t)(disp >> (8 * i));
}

/* A bit offset for bt* E,G on memory that keeps the address within 4 KiB
 * of the operand: any 16-bit value (it is signed); for 32 bits, small
 * values either side of zero or anything in +-32K. */
static uint32_t bit_offset(unsigned size)
{
    if (size == 2)
        return edge_value();
    switch (rng() % 3) {
    case 0:
        return (uint32_t)((int32_t)(rng() % 96) - 48);
    case 1:
        return (uint32_t)((int32_t)(rng() % 65536) - 32768);
    default:
        return rng() % 34;
    }
}

/* Fresh random data in the memory operand's window, edge values often at
 * the operand itself. */
static void fill_window(const struct dt_case *c)
{
    for (uint32_t off = BUF_MID - WINDOW / 2; off < BUF_MID + WINDOW / 2; off += 4)
        buf_put(off, 4, rng());
    if (rng() % 2)
        buf_put(c->target, c->esize, edge_value());
}

/* The host's bytes: the interpreter's, behind a 0x67 prefix if they have
 * an address (memory forms, strings, xlat, lea), with a disp32-only
 * address (RIP-relative in 64-bit mode) turned into SIB form; inc/dec r32
 * as FF /0, /1. */
static void make_native(struct dt_case *c)
{
    unsigned n = 0;
    if (c->mem || c->t->where == W_LEA)
        c->native[n++] = 0x67;
    for (unsigned i = 0; i < c->len; i++) {
        uint8_t b = c->bytes[i];
        if ((int)i == c->modrm && (b & 0xC7) == 0x05) {   /* mod 0, rm 5 */
            c->native[n++] = (b & 0xF8) | 4;
            c->native[n++] = 0x25;      /* SIB: no index, no base */
            continue;
        }
        c->native[n++] = b;
    }
    if (c->t->digit == D_OPREG && (c->t->op[0] & 0xF0) == 0x40) {
        /* inc/dec r: FF /0 or /1 natively; the interpreter runs 4x and a nop. */
        uint8_t r = c->bytes[c->len - 1] & 7;
        c->native[n - 1] = 0xFF;
        c->native[n++] = 0xC0 | (c->t->op[0] == 0x48) << 3 | r;
        c->bytes[c->len++] = 0x90;
    }
    c->native_len = n;
}

/*
 * Build a case of the register, memory, lea or system family (where) from
 * its template: the bytes, random registers and flags, and for memory
 * operands an address aimed into the buffer's window.
 */
static void make_case(struct dt_case *c, const struct dt_template *t, unsigned where)
{
    bool memop = where == W_MEM || where == W_LEA;     /* ModRM names memory */
    unsigned n = 0;
    c->t = t;
    c->size = random_size(t->sizes);
    c->mem = where == W_MEM || t->digit == D_XLAT;
    c->host_esp = where == W_LEA;
    c->modrm = -1;
    if (c->mem && rng() % 8 == 0)
        c->bytes[n++] = flat_overrides[rng() % 3];
    for (unsigned i = 0; i < t->oplen; i++) {
        if (c->size == 2 && (i == 0 || t->digit == D_PAIR))
            c->bytes[n++] = 0x66;       /* a pair prefixes both instructions */
        c->bytes[n++] = t->op[i];
    }

    /* movzx/movsx and setcc read or write a smaller E than the operand size. */
    c->esize = c->size;
    if (t->op[0] == 0x0F && (t->op[1] == 0xB6 || t->op[1] == 0xBE || t->op[1] == 0x90))
        c->esize = 1;
    if (t->op[0] == 0x0F && (t->op[1] == 0xB7 || t->op[1] == 0xBF))
        c->esize = 2;
    /* bt* E,G in memory: G moves the address, so keep it out of the address. */
    bool bit_reg = where == W_MEM && t->kind == K_BT && t->imm == I_NONE;
    unsigned reg = random_reg(c->size), rm = random_reg(c->esize);
    if (t->digit == D_OPREG) {
        c->bytes[n - 1] += rm;
    } else if (t->digit >= 0 || t->digit == D_REG || t->digit == D_CMOV || t->digit == D_SET) {
        if (t->digit == D_CMOV || t->digit == D_SET)
            c->bytes[n - 1] += rng() % 16;          /* any condition */
        unsigned field = t->digit >= 0 ? (unsigned)t->digit : t->digit == D_SET ? 0 : reg;
        c->modrm = n;
        if (memop)
            emit_address(c, &n, field, bit_reg ? (int)reg : -1, where == W_LEA);
        else
            c->bytes[n++] = 0xC0 | field << 3 | rm;
    } else {
        rm = X86_EAX;                   /* accumulator and implied operands */
    }

    unsigned imm_len = t->imm == I_Z ? c->size : t->imm == I_NONE ? 0 : 1;
    uint32_t imm = t->imm == I_COUNT && rng() % 4 ? rng() % 34 : edge_value();
    for (unsigned i = 0; i < imm_len; i++)
        c->bytes[n++] = (uint8_t)(imm >> (8 * i));
    c->len = n;

    for (int r = 0; r < 8; r++)
        c->in.r[r] = edge_value();
    c->in.r[X86_ESP] = 0;
    /* Divides: make the high half small often, so that most do not fault. */
    if (t->kind == K_DIV && rng() % 2)
        c->in.r[X86_EDX] = rng() % 3 == 0 ? 0 : (c->in.r[X86_EAX] >> 31 ? 0xFFFFFFFF : 0);
    if (t->kind == K_POPF)
        c->in.r[X86_EAX] = rng() & POPF_SAFE;
    if (bit_reg)
        c->in.r[reg] = bit_offset(c->size);
    c->in.eflags = (rng() & ALL) | X86_FLAG_IF | X86_FLAG_FIXED;

    if (c->mem) {
        c->target = BUF_MID - WINDOW / 2 + rng() % (WINDOW - c->esize + 1);
        if (t->digit == D_XLAT)
            c->in.r[X86_EBX] = buf_lin + c->target - (c->in.r[X86_EAX] & 0xFF);
        else
            aim_address(c, true);
        fill_window(c);
    } else if (where == W_LEA) {
        aim_address(c, false);
    }
    make_native(c);

    /* Remember the count and the E operand, which the undefined-flag rules need. */
    uint32_t mask = x86_size_mask(c->esize);
    if (c->mem)
        c->src = buf_get(c->target, c->esize);
    else
        c->src = (c->esize != 1 || rm < 4 ? c->in.r[rm] : c->in.r[rm - 4] >> 8) & mask;
    if (t->imm == I_COUNT)
        c->count = imm & 0xFF;
    else if (t->op[0] == 0xD0 || t->op[0] == 0xD1)
        c->count = 1;
    else
        c->count = c->in.r[X86_ECX] & 0xFF;
}

/*
 * Data for the count elements a string instruction may touch from si and
 * di (buffer offsets). For cmps and scas, one of: random data; equal runs
 * with a few differences (repe stops there); random data with a few
 * matches planted (repne stops there); elements of only two values.
 */
static void fill_string(const struct dt_case *c, uint32_t si, uint32_t di, unsigned count)
{
    unsigned size = c->size, op = c->t->op[0];
    uint32_t step = (c->in.eflags & DF) ? 0u - size : size;
    uint32_t acc = c->in.r[X86_EAX] & x86_size_mask(size);
    bool scas = op == 0xAE;
    unsigned mode = op == 0xA6 || scas ? rng() % 4 : 0;
    for (unsigned i = 0; i < count; i++) {
        uint32_t s = rng(), d = rng();
        if (mode == 1)
            d = scas ? acc : s;
        if (mode == 3) {
            s = rng() % 2;
            d = scas ? acc ^ (rng() % 2) : rng() % 2;
        }
        buf_put(si + i * step, size, s);
        buf_put(di + i * step, size, d);
    }
    if (count && (mode == 1 || mode == 2))
        for (unsigned k = rng() % 3; k > 0; k--) {
            uint32_t i = rng() % count;
            uint32_t v = mode == 1 ? rng() : scas ? acc : buf_get(si + i * step, size);
            buf_put(di + i * step, size, v);
        }
}

/*
 * A string instruction case: element size, rep (F3), repne (F2) or none,
 * DF, a count of 0..64 for rep, and start addresses within 1 KiB of the
 * buffer's middle, near each other a quarter of the time (movs overlaps).
 */
static void make_string_case(struct dt_case *c, const struct dt_template *t, unsigned where)
{
    static const uint8_t reps[] = { 0, 0xF3, 0xF2 };
    unsigned n = 0;
    uint8_t rep = reps[rng() % 3];
    (void)where;
    c->t = t;
    c->size = c->esize = random_size(t->sizes);
    c->modrm = -1;
    c->mem = true;
    if (rng() % 8 == 0)
        c->bytes[n++] = flat_overrides[rng() % 3];
    if (c->size == 2)
        c->bytes[n++] = 0x66;
    if (rep)
        c->bytes[n++] = rep;
    c->bytes[n++] = t->op[0] + (c->size > 1);
    c->len = n;
    make_native(c);

    for (int r = 0; r < 8; r++)
        c->in.r[r] = edge_value();
    c->in.r[X86_ESP] = 0;
    c->in.eflags = (rng() & ALL) | (rng() % 2 ? DF : 0) | X86_FLAG_IF | X86_FLAG_FIXED;
    unsigned count = rng() % 4 ? rng() % 65 : rng() % 4;
    if (rep)
        c->in.r[X86_ECX] = count;
    else
        count = 1;
    uint32_t si = BUF_MID - 1024 + rng() % 2048;
    uint32_t di = rng() % 4 ? BUF_MID - 1024 + rng() % 2048 : si + rng() % 17 - 8;
    c->in.r[X86_ESI] = buf_lin + si;
    c->in.r[X86_EDI] = buf_lin + di;
    c->target = si;
    fill_string(c, si, di, count);
}

/* The flags the SDM leaves undefined after this case's instruction. */
static uint32_t undefined_flags(const struct dt_case *c)
{
    unsigned bits = c->size * 8, count = c->count & 31;
    switch (c->t->kind) {
    case K_LOGIC:
        return AF;
    case K_MUL:
        return SF | ZF | AF | PF;
    case K_DIV:
        return ALL;
    case K_BT:
        return OF | SF | AF | PF;
    case K_BSF:
        return CF | OF | SF | AF | PF;
    case K_SHIFT: {
        unsigned d = c->bytes[c->modrm] >> 3 & 7;
        if (count == 0)
            return 0;
        if (d < 4)                      /* rotates: OF only for 1-bit rotates */
            return count == 1 ? 0 : OF;
        uint32_t u = AF | (count == 1 ? 0 : OF);
        if (d != 7 && count > bits)     /* shl/shr past the width: CF undefined */
            u |= CF;
        return u;
    }
    case K_DSHIFT:
        if (count == 0)
            return 0;
        if (count > bits)
            return ALL;
        return AF | (count == 1 ? 0 : OF);
    default:
        return 0;
    }
}

/* Registers the SDM leaves undefined: bsf/bsr's destination for a zero
 * source, shld/shrd's for a count above 16 bits (unless it is memory:
 * undefined_memory()). Returns a register number or -1. */
static int undefined_register(const struct dt_case *c)
{
    if (c->modrm < 0)
        return -1;
    uint8_t m = c->bytes[c->modrm];
    if (c->t->kind == K_BSF && c->src == 0)
        return (m >> 3) & 7;
    if (c->t->kind == K_DSHIFT && (c->count & 31) > c->size * 8 && !c->mem)
        return m & 7;
    return -1;
}

/* shld/shrd on memory with a count above 16 bits: the operand is undefined. */
static bool undefined_memory(const struct dt_case *c)
{
    return c->mem && c->t->kind == K_DSHIFT && (c->count & 31) > c->size * 8;
}

/* Would this divide raise #DE? Then the host would kill us: skip it. */
static bool divide_faults(const struct dt_case *c)
{
    unsigned digit = c->bytes[c->modrm] >> 3 & 7;
    bool is_signed = digit == 7;
    unsigned bits = c->size * 8;
    uint32_t eax = c->in.r[X86_EAX], edx = c->in.r[X86_EDX];
    uint64_t mask = ((uint64_t)1 << bits) - 1;
    uint64_t d = c->src;
    if (d == 0)
        return true;
    unsigned __int128 n = bits == 8 ? (eax & 0xFFFF)
                        : ((uint64_t)(edx & mask) << bits) | (eax & mask);
    if (!is_signed)
        return n / d > mask;
    __int128 sn = bits == 8 ? (int16_t)n : bits == 16 ? (int32_t)n : (int64_t)n;
    __int128 sd = bits == 8 ? (int8_t)d : bits == 16 ? (int16_t)d : (int32_t)d;
    __int128 q = sn / sd;
    __int128 lim = (__int128)1 << (bits - 1);
    return q >= lim || q < -lim;
}

static uint8_t *jit_page;

/* Run the host's bytes, then ret, on the host's copy of the buffer. */
static void run_native(const struct dt_case *c, struct dt_regs *out)
{
    memcpy(jit_page, c->native, c->native_len);
    jit_page[c->native_len] = 0xC3;            /* ret */
    *out = c->in;
    dt_native(out, jit_page);
    out->eip = c->len;                  /* it ran to the end, or we would not be here */
}

/* Run the interpreter's bytes from the same registers until EIP leaves
 * them: one instruction, or two (pairs, the nop after 40-4F). EIP ends
 * elsewhere if the interpreter raised an exception. */
static void run_interp(const struct dt_case *c, struct dt_regs *out)
{
    memcpy(cpu.gpr, c->in.r, sizeof cpu.gpr);
    cpu.gpr[X86_ESP] = c->host_esp ? dt_native_esp : RUN_STACK;
    cpu.eflags = c->in.eflags;
    run_code_at(RUN_CODE, c->bytes, c->len);
    for (int i = 0; i < 4 && cpu.eip - RUN_CODE < c->len; i++)
        x86_step(&cpu, &dt_env);
    memcpy(out->r, cpu.gpr, sizeof out->r);
    out->r[X86_ESP] = 0;
    out->eflags = cpu.eflags;
    out->eip = cpu.eip - RUN_CODE;
}

static unsigned env_number(const char *name, unsigned long fallback)
{
    const char *s = getenv(name);
    return s && *s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)fallback;
}

/* ---- the families ------------------------------------------------------- */

/* Each case draws a family by weight, then one of its forms (the rows of
 * templates[] with its bit) at random. */
static const struct dt_family {
    const char *name;
    unsigned where;                     /* enum dt_where: the rows it draws from */
    unsigned weight;                    /* its share of the cases, of 100 */
    void (*make)(struct dt_case *c, const struct dt_template *t, unsigned where);
} families[] = {
    { "register", W_REG, 30, make_case },
    { "memory", W_MEM, 35, make_case },
    { "string", W_STR, 15, make_string_case },
    { "lea", W_LEA, 10, make_case },
    { "system", W_SYS, 10, make_case },
};
#define N_FAMILIES (sizeof families / sizeof families[0])

static void print_case(const struct dt_case *c, const struct dt_regs *native,
                       const struct dt_regs *interp, uint32_t flag_mask)
{
    static const char *names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    printf("  family %s, instruction: %s (size %u), bytes", families[c->family].name,
           c->t->name, c->size * 8);
    for (unsigned i = 0; i < c->len; i++)
        printf(" %02x", c->bytes[i]);
    printf(", host runs");
    for (unsigned i = 0; i < c->native_len; i++)
        printf(" %02x", c->native[i]);
    printf("\n  %-6s %10s %10s %10s\n", "", "input", "native", "interp");
    for (int r = 0; r < 8; r++)
        if (r != X86_ESP)
            printf("  %-6s 0x%08x 0x%08x 0x%08x%s\n", names[r], c->in.r[r], native->r[r],
                   interp->r[r], native->r[r] != interp->r[r] ? "  <--" : "");
    if (c->host_esp)
        printf("  %-6s 0x%08x (the host's)\n", "esp", dt_native_esp);
    printf("  %-6s 0x%08x 0x%08x 0x%08x  (compared: 0x%08x)\n", "eflags", c->in.eflags,
           native->eflags, interp->eflags, flag_mask);
    printf("  %-6s %10s 0x%08x 0x%08x%s\n", "end", "", native->eip, interp->eip,
           native->eip != interp->eip ? "  <-- (the interpreter raised an exception?)" : "");
    if (!c->mem)
        return;
    printf("  buffer at 0x%08x, operand at +0x%x:", buf_lin, c->target);
    for (unsigned i = 0; i < c->esize; i++)
        printf(" %02x", before_buf[c->target + i]);
    printf("\n");
    unsigned shown = 0;
    for (unsigned i = 0; i < BUF_SIZE && shown < 16; i++)
        if (host_buf[i] != interp_buf[i]) {
            printf("  byte +0x%04x: input %02x native %02x interp %02x  <--\n", i,
                   before_buf[i], host_buf[i], interp_buf[i]);
            shown++;
        }
}

static void test_difftest(void **state)
{
    (void)state;
    unsigned cases = env_number("X86_DIFFTEST_CASES", 100000);
    unsigned seed = env_number("X86_DIFFTEST_SEED", 20240601);
    bool strict = env_number("X86_DIFFTEST_STRICT", 0) != 0;
    unsigned run[N_FAMILIES] = { 0 }, skipped = 0, strict_diffs = 0, total_weight = 0;
    static unsigned forms[N_FAMILIES][N_TEMPLATES], nforms[N_FAMILIES];

    for (unsigned f = 0; f < N_FAMILIES; f++) {
        total_weight += families[f].weight;
        for (unsigned i = 0; i < N_TEMPLATES; i++)
            if (templates[i].where & families[f].where)
                forms[f][nforms[f]++] = i;
        assert_true(nforms[f] > 0);
    }
    jit_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(jit_page != MAP_FAILED);
    rng_state = 0x9E3779B97F4A7C15ull ^ seed;
    map_buffer();
    run_setup();

    for (unsigned i = 0; i < cases; i++) {
        struct dt_case c = { 0 };
        struct dt_regs native, interp;
        unsigned pick = rng() % total_weight, f = 0;
        while (pick >= families[f].weight)
            pick -= families[f++].weight;
        c.family = f;
        families[f].make(&c, &templates[forms[f][rng() % nforms[f]]], families[f].where);
        if (c.t->kind == K_DIV && divide_faults(&c)) {
            skipped++;
            continue;
        }
        if (c.mem) {                    /* both copies start alike */
            memcpy(before_buf, host_buf, BUF_SIZE);
            memcpy(interp_buf, host_buf, BUF_SIZE);
        }
        fake.mmio_count = 0;
        run_native(&c, &native);
        run_interp(&c, &interp);
        run[f]++;

        uint32_t compared = COMPARED_FLAGS & ~(strict ? 0 : undefined_flags(&c));
        int undef_reg = strict ? -1 : undefined_register(&c);
        bool same = ((native.eflags ^ interp.eflags) & compared) == 0 &&
                    native.eip == interp.eip && fake.mmio_count == 0;
        for (int r = 0; r < 8; r++)
            if (r != undef_reg && native.r[r] != interp.r[r])
                same = false;
        if (c.mem) {
            if (!strict && undefined_memory(&c))
                memcpy(interp_buf + c.target, host_buf + c.target, c.esize);
            if (memcmp(host_buf, interp_buf, BUF_SIZE) != 0)
                same = false;
        }
        if (!same) {
            /* Strict mode: show the first difference of each template. */
            static bool shown[N_TEMPLATES];
            if (strict && (strict_diffs++, shown[c.t - templates]))
                continue;
            shown[c.t - templates] = true;
            printf("difftest: mismatch in case %u, seed %u (X86_DIFFTEST_SEED=%u)\n", i, seed,
                   seed);
            print_case(&c, &native, &interp, compared);
            if (fake.mmio_count)
                printf("  the interpreter accessed 0x%08x, outside RAM and the buffer\n",
                       fake.mmio[0].gpa);
            if (!strict)
                fail_msg("the interpreter and the host CPU disagree");
        }
    }
    unsigned total = 0;
    for (unsigned f = 0; f < N_FAMILIES; f++) {
        printf("difftest: %-8s %9u cases, %3u forms\n", families[f].name, run[f], nforms[f]);
        total += run[f];
    }
    printf("difftest: %u cases run, %u faulting divides skipped, seed %u%s\n", total, skipped,
           seed, strict ? " (strict: undefined flags compared too)" : "");
    if (strict)
        printf("difftest: %u cases differ in undefined flags, registers or memory\n",
               strict_diffs);
    munmap(jit_page, 4096);
    munmap(host_buf, BUF_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_difftest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
