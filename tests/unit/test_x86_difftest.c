/*
 * test_x86_difftest.c - differential test of the interpreter against the
 * host CPU (chapter 02-interpreter.md, "Testing against silicon").
 *
 * For random instructions (ALU, shifts, rotates, bit tests and scans, mul,
 * div, shld/shrd, inc/dec/neg, adc/sbb, cmpxchg/xadd, setcc/cmovcc, ...)
 * in 8-, 16- and 32-bit operand sizes, with random operands biased to edge
 * cases and random status flags in, we run the same instruction bytes
 * twice: natively, copied into an executable page on this x86-64 host, and
 * through x86_step(). Register-only forms (ModRM mod=3) encode the same in
 * 32- and 64-bit mode, so the bytes mean the same to both; only inc/dec
 * r32 (40-4F, REX prefixes in 64-bit mode) is run natively as FF /0, /1.
 *
 * Registers and flags must match, except the flags the SDM calls undefined
 * for that instruction (undefined_flags() says which and why). Setting
 * X86_DIFFTEST_STRICT=1 compares those too: it shows where we also match
 * this host's undefined behaviour (see alu.c). X86_DIFFTEST_CASES (default
 * 100000) and X86_DIFFTEST_SEED choose the run; the seed and the first
 * mismatch are printed on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "vmm/x86/alu.h"
#include "x86-run.h"

#if !defined(__x86_64__)
#error "the difftest runs instructions natively: it needs an x86-64 host"
#endif

/* The register file both sides start from and end in (ESP is not used). */
struct dt_regs {
    uint32_t r[8];
    uint32_t eflags;
};

/*
 * dt_native(regs, code): load the seven usable registers and EFLAGS from
 * *regs, call code (the instruction followed by ret), store them back.
 * Written in assembly because it must own every register; r12-r15 hold
 * our pointers, and the tested instructions never name them (no REX).
 */
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
#define ALL X86_FLAGS_STATUS

/* What an instruction template's undefined flags depend on. */
enum dt_kind {
    K_PLAIN,                            /* everything defined */
    K_LOGIC,                            /* and/or/xor/test: AF undefined */
    K_SHIFT,                            /* group 2: depends on op and count */
    K_DSHIFT,                           /* shld/shrd: depends on count */
    K_MUL,                              /* SF ZF AF PF undefined */
    K_DIV,                              /* all undefined; skip cases that fault */
    K_BT,                               /* OF SF AF PF undefined */
    K_BSF,                              /* all but ZF undefined; dest too if src = 0 */
};

/* Where an instruction's immediate or count comes from. */
enum dt_imm { I_NONE, I_B, I_Z, I_COUNT };     /* I_COUNT: imm8 biased to 0..33 */

struct dt_template {
    const char *name;
    uint8_t op[2];                      /* opcode bytes (0F xx or one byte) */
    uint8_t oplen;
    int8_t digit;                       /* ModRM.reg for groups; -1 random; -2 no ModRM */
    uint8_t sizes;                      /* operand sizes: bit 1, 2, 4 */
    uint8_t imm;                        /* enum dt_imm */
    uint8_t kind;                       /* enum dt_kind */
};

#define S1 1
#define S2 2
#define S4 4
#define S24 (S2 | S4)

static const struct dt_template templates[] = {
    /* The arithmetic rows: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  eAX,Iz. */
#define ROW(base, name, kind)                                          \
    { name " E,G", { base + 0 }, 1, -1, S1, I_NONE, kind },            \
    { name " E,G", { base + 1 }, 1, -1, S24, I_NONE, kind },           \
    { name " G,E", { base + 2 }, 1, -1, S1, I_NONE, kind },            \
    { name " G,E", { base + 3 }, 1, -1, S24, I_NONE, kind },           \
    { name " A,I", { base + 4 }, 1, -2, S1, I_B, kind },               \
    { name " A,I", { base + 5 }, 1, -2, S24, I_Z, kind }
    ROW(0x00, "add", K_PLAIN), ROW(0x08, "or", K_LOGIC), ROW(0x10, "adc", K_PLAIN),
    ROW(0x18, "sbb", K_PLAIN), ROW(0x20, "and", K_LOGIC), ROW(0x28, "sub", K_PLAIN),
    ROW(0x30, "xor", K_LOGIC), ROW(0x38, "cmp", K_PLAIN),
#undef ROW
#define GRP1(d, name, kind)                                            \
    { name " E,Ib", { 0x80 }, 1, d, S1, I_B, kind },                   \
    { name " E,Iz", { 0x81 }, 1, d, S24, I_Z, kind },                  \
    { name " E,Ib", { 0x83 }, 1, d, S24, I_B, kind }
    GRP1(0, "add", K_PLAIN), GRP1(1, "or", K_LOGIC), GRP1(2, "adc", K_PLAIN),
    GRP1(3, "sbb", K_PLAIN), GRP1(4, "and", K_LOGIC), GRP1(5, "sub", K_PLAIN),
    GRP1(6, "xor", K_LOGIC), GRP1(7, "cmp", K_PLAIN),
#undef GRP1
    { "test E,G", { 0x84 }, 1, -1, S1, I_NONE, K_LOGIC },
    { "test E,G", { 0x85 }, 1, -1, S24, I_NONE, K_LOGIC },
    { "test A,I", { 0xA8 }, 1, -2, S1, I_B, K_LOGIC },
    { "test A,I", { 0xA9 }, 1, -2, S24, I_Z, K_LOGIC },
    { "test E,I", { 0xF6 }, 1, 0, S1, I_B, K_LOGIC },
    { "test E,I", { 0xF7 }, 1, 0, S24, I_Z, K_LOGIC },
    { "not", { 0xF6 }, 1, 2, S1, I_NONE, K_PLAIN },
    { "not", { 0xF7 }, 1, 2, S24, I_NONE, K_PLAIN },
    { "neg", { 0xF6 }, 1, 3, S1, I_NONE, K_PLAIN },
    { "neg", { 0xF7 }, 1, 3, S24, I_NONE, K_PLAIN },
    { "mul", { 0xF6 }, 1, 4, S1, I_NONE, K_MUL },
    { "mul", { 0xF7 }, 1, 4, S24, I_NONE, K_MUL },
    { "imul", { 0xF6 }, 1, 5, S1, I_NONE, K_MUL },
    { "imul", { 0xF7 }, 1, 5, S24, I_NONE, K_MUL },
    { "div", { 0xF6 }, 1, 6, S1, I_NONE, K_DIV },
    { "div", { 0xF7 }, 1, 6, S24, I_NONE, K_DIV },
    { "idiv", { 0xF6 }, 1, 7, S1, I_NONE, K_DIV },
    { "idiv", { 0xF7 }, 1, 7, S24, I_NONE, K_DIV },
    { "imul G,E", { 0x0F, 0xAF }, 2, -1, S24, I_NONE, K_MUL },
    { "imul G,E,Iz", { 0x69 }, 1, -1, S24, I_Z, K_MUL },
    { "imul G,E,Ib", { 0x6B }, 1, -1, S24, I_B, K_MUL },
    { "inc", { 0xFE }, 1, 0, S1, I_NONE, K_PLAIN },
    { "inc", { 0xFF }, 1, 0, S24, I_NONE, K_PLAIN },
    { "dec", { 0xFE }, 1, 1, S1, I_NONE, K_PLAIN },
    { "dec", { 0xFF }, 1, 1, S24, I_NONE, K_PLAIN },
    { "inc r", { 0x40 }, 1, -3, S24, I_NONE, K_PLAIN },     /* -3: register in opcode */
    { "dec r", { 0x48 }, 1, -3, S24, I_NONE, K_PLAIN },
#define SHIFTS(d, name)                                                \
    { name " E,Ib", { 0xC0 }, 1, d, S1, I_COUNT, K_SHIFT },            \
    { name " E,Ib", { 0xC1 }, 1, d, S24, I_COUNT, K_SHIFT },           \
    { name " E,1", { 0xD0 }, 1, d, S1, I_NONE, K_SHIFT },              \
    { name " E,1", { 0xD1 }, 1, d, S24, I_NONE, K_SHIFT },             \
    { name " E,CL", { 0xD2 }, 1, d, S1, I_NONE, K_SHIFT },             \
    { name " E,CL", { 0xD3 }, 1, d, S24, I_NONE, K_SHIFT }
    SHIFTS(0, "rol"), SHIFTS(1, "ror"), SHIFTS(2, "rcl"), SHIFTS(3, "rcr"),
    SHIFTS(4, "shl"), SHIFTS(5, "shr"), SHIFTS(6, "sal"), SHIFTS(7, "sar"),
#undef SHIFTS
    { "shld E,G,Ib", { 0x0F, 0xA4 }, 2, -1, S24, I_COUNT, K_DSHIFT },
    { "shld E,G,CL", { 0x0F, 0xA5 }, 2, -1, S24, I_NONE, K_DSHIFT },
    { "shrd E,G,Ib", { 0x0F, 0xAC }, 2, -1, S24, I_COUNT, K_DSHIFT },
    { "shrd E,G,CL", { 0x0F, 0xAD }, 2, -1, S24, I_NONE, K_DSHIFT },
    { "bt E,G", { 0x0F, 0xA3 }, 2, -1, S24, I_NONE, K_BT },
    { "bts E,G", { 0x0F, 0xAB }, 2, -1, S24, I_NONE, K_BT },
    { "btr E,G", { 0x0F, 0xB3 }, 2, -1, S24, I_NONE, K_BT },
    { "btc E,G", { 0x0F, 0xBB }, 2, -1, S24, I_NONE, K_BT },
    { "bt E,Ib", { 0x0F, 0xBA }, 2, 4, S24, I_COUNT, K_BT },
    { "bts E,Ib", { 0x0F, 0xBA }, 2, 5, S24, I_COUNT, K_BT },
    { "btr E,Ib", { 0x0F, 0xBA }, 2, 6, S24, I_COUNT, K_BT },
    { "btc E,Ib", { 0x0F, 0xBA }, 2, 7, S24, I_COUNT, K_BT },
    { "bsf", { 0x0F, 0xBC }, 2, -1, S24, I_NONE, K_BSF },
    { "bsr", { 0x0F, 0xBD }, 2, -1, S24, I_NONE, K_BSF },
    { "cmpxchg", { 0x0F, 0xB0 }, 2, -1, S1, I_NONE, K_PLAIN },
    { "cmpxchg", { 0x0F, 0xB1 }, 2, -1, S24, I_NONE, K_PLAIN },
    { "xadd", { 0x0F, 0xC0 }, 2, -1, S1, I_NONE, K_PLAIN },
    { "xadd", { 0x0F, 0xC1 }, 2, -1, S24, I_NONE, K_PLAIN },
    { "xchg E,G", { 0x86 }, 1, -1, S1, I_NONE, K_PLAIN },
    { "xchg E,G", { 0x87 }, 1, -1, S24, I_NONE, K_PLAIN },
    { "mov E,G", { 0x89 }, 1, -1, S24, I_NONE, K_PLAIN },
    { "mov G,E", { 0x8A }, 1, -1, S1, I_NONE, K_PLAIN },
    { "movzb", { 0x0F, 0xB6 }, 2, -1, S24, I_NONE, K_PLAIN },
    { "movzw", { 0x0F, 0xB7 }, 2, -1, S4, I_NONE, K_PLAIN },
    { "movsb", { 0x0F, 0xBE }, 2, -1, S24, I_NONE, K_PLAIN },
    { "movsw", { 0x0F, 0xBF }, 2, -1, S4, I_NONE, K_PLAIN },
    { "bswap", { 0x0F, 0xC8 }, 2, -3, S4, I_NONE, K_PLAIN },
    { "cmovcc", { 0x0F, 0x40 }, 2, -4, S24, I_NONE, K_PLAIN },  /* -4: random cc, ModRM */
    { "setcc", { 0x0F, 0x90 }, 2, -5, S1, I_NONE, K_PLAIN },    /* -5: random cc, /0 */
    { "cbw/cwde", { 0x98 }, 1, -2, S24, I_NONE, K_PLAIN },
    { "cwd/cdq", { 0x99 }, 1, -2, S24, I_NONE, K_PLAIN },
    { "sahf", { 0x9E }, 1, -2, S4, I_NONE, K_PLAIN },
    { "lahf", { 0x9F }, 1, -2, S4, I_NONE, K_PLAIN },
    { "cmc", { 0xF5 }, 1, -2, S4, I_NONE, K_PLAIN },
    { "clc", { 0xF8 }, 1, -2, S4, I_NONE, K_PLAIN },
    { "stc", { 0xF9 }, 1, -2, S4, I_NONE, K_PLAIN },
};
#define N_TEMPLATES (sizeof templates / sizeof templates[0])

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

/* ---- one case ----------------------------------------------------------- */

struct dt_case {
    const struct dt_template *t;
    unsigned size;
    uint8_t bytes[16];                  /* what the interpreter runs */
    uint8_t native[16];                 /* what the host runs (differs for 40-4F) */
    unsigned len, native_len;
    int modrm;                          /* index of the ModRM byte, or -1 */
    struct dt_regs in;
    unsigned count;                     /* shift count / bit number, for the masks */
    uint32_t src;                       /* the E operand, for the masks */
};

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

/* Build the bytes and inputs of a case from its template and random choices. */
static void make_case(struct dt_case *c, const struct dt_template *t)
{
    unsigned n = 0, sizes[3], nsizes = 0;
    for (unsigned s = 1; s <= 4; s <<= 1)
        if (t->sizes & s)
            sizes[nsizes++] = s;
    c->t = t;
    c->size = sizes[rng() % nsizes];
    c->modrm = -1;
    if (c->size == 2)
        c->bytes[n++] = 0x66;
    for (unsigned i = 0; i < t->oplen; i++)
        c->bytes[n++] = t->op[i];

    /* movzx/movsx and setcc read or write a smaller E than the operand size. */
    unsigned esize = c->size;
    if (t->op[0] == 0x0F && (t->op[1] == 0xB6 || t->op[1] == 0xBE || t->op[1] == 0x90))
        esize = 1;
    if (t->op[0] == 0x0F && (t->op[1] == 0xB7 || t->op[1] == 0xBF))
        esize = 2;
    unsigned reg = random_reg(c->size), rm = random_reg(esize);
    if (t->digit == -3) {               /* register in the opcode */
        c->bytes[n - 1] += rm;
    } else if (t->digit != -2) {
        if (t->digit == -4 || t->digit == -5)
            c->bytes[n - 1] += rng() % 16;          /* cmovcc, setcc: any condition */
        unsigned field = t->digit >= 0 ? (unsigned)t->digit : t->digit == -5 ? 0 : reg;
        c->modrm = n;
        c->bytes[n++] = 0xC0 | field << 3 | rm;
    } else {
        rm = X86_EAX;                   /* accumulator forms */
    }

    unsigned imm_len = t->imm == I_Z ? c->size : t->imm == I_NONE ? 0 : 1;
    uint32_t imm = t->imm == I_COUNT && rng() % 4 ? rng() % 34 : edge_value();
    for (unsigned i = 0; i < imm_len; i++)
        c->bytes[n++] = (uint8_t)(imm >> (8 * i));
    c->len = c->native_len = n;
    memcpy(c->native, c->bytes, n);
    if (t->digit == -3 && t->op[0] != 0x0F) {
        /* inc/dec r: FF /0 or /1 natively; the interpreter runs 4x and a nop. */
        c->native[n - 1] = 0xFF;
        c->native[n] = 0xC0 | (t->op[0] == 0x48) << 3 | rm;
        c->native_len = n + 1;
        c->bytes[n] = 0x90;
        c->len = n + 1;
    }

    for (int r = 0; r < 8; r++)
        c->in.r[r] = edge_value();
    c->in.r[X86_ESP] = 0;
    /* Divides: make the high half small often, so that most do not fault. */
    if (t->kind == K_DIV && rng() % 2)
        c->in.r[X86_EDX] = rng() % 3 == 0 ? 0 : (c->in.r[X86_EAX] >> 31 ? 0xFFFFFFFF : 0);
    c->in.eflags = (rng() & (CF | PF | AF | ZF | SF | OF)) | X86_FLAG_FIXED;

    /* Remember the count and the E operand, which the undefined-flag rules need. */
    uint32_t mask = esize == 4 ? 0xFFFFFFFFu : (1u << (8 * esize)) - 1;
    c->src = (esize != 1 || rm < 4 ? c->in.r[rm] : c->in.r[rm - 4] >> 8) & mask;
    if (t->imm == I_COUNT)
        c->count = imm & 0xFF;
    else if (t->op[0] == 0xD0 || t->op[0] == 0xD1)
        c->count = 1;
    else
        c->count = c->in.r[X86_ECX] & 0xFF;
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
 * source, shld/shrd's for a count above 16 bits. Returns a register number
 * or -1. */
static int undefined_register(const struct dt_case *c)
{
    if (c->modrm < 0)
        return -1;
    uint8_t m = c->bytes[c->modrm];
    if (c->t->kind == K_BSF && c->src == 0)
        return (m >> 3) & 7;
    if (c->t->kind == K_DSHIFT && (c->count & 31) > c->size * 8)
        return m & 7;
    return -1;
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

static void run_native(const struct dt_case *c, struct dt_regs *out)
{
    memcpy(jit_page, c->native, c->native_len);
    jit_page[c->native_len] = 0xC3;            /* ret */
    *out = c->in;
    dt_native(out, jit_page);
}

static void run_interp(const struct dt_case *c, struct dt_regs *out)
{
    memcpy(cpu.gpr, c->in.r, sizeof cpu.gpr);
    cpu.gpr[X86_ESP] = RUN_STACK;
    cpu.eflags = c->in.eflags;
    run_code_at(RUN_CODE, c->bytes, c->len);
    x86_step(&cpu, &run_env);
    if (c->t->digit == -3 && c->t->op[0] != 0x0F)
        x86_step(&cpu, &run_env);       /* the nop that pads 40-4F */
    memcpy(out->r, cpu.gpr, sizeof out->r);
    out->r[X86_ESP] = 0;
    out->eflags = cpu.eflags;
}

static unsigned env_number(const char *name, unsigned long fallback)
{
    const char *s = getenv(name);
    return s && *s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)fallback;
}

static void print_case(const struct dt_case *c, const struct dt_regs *native,
                       const struct dt_regs *interp, uint32_t flag_mask)
{
    static const char *names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    printf("  instruction: %s (size %u), bytes", c->t->name, c->size * 8);
    for (unsigned i = 0; i < c->len; i++)
        printf(" %02x", c->bytes[i]);
    printf("\n  %-6s %10s %10s %10s\n", "", "input", "native", "interp");
    for (int r = 0; r < 8; r++)
        if (r != X86_ESP)
            printf("  %-6s 0x%08x 0x%08x 0x%08x%s\n", names[r], c->in.r[r], native->r[r],
                   interp->r[r], native->r[r] != interp->r[r] ? "  <--" : "");
    printf("  %-6s 0x%08x 0x%08x 0x%08x  (compared: 0x%03x)\n", "eflags", c->in.eflags,
           native->eflags, interp->eflags, flag_mask);
}

static void test_difftest(void **state)
{
    (void)state;
    unsigned cases = env_number("X86_DIFFTEST_CASES", 100000);
    unsigned seed = env_number("X86_DIFFTEST_SEED", 20240601);
    bool strict = env_number("X86_DIFFTEST_STRICT", 0) != 0;
    unsigned run = 0, skipped = 0, strict_diffs = 0;

    jit_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(jit_page != MAP_FAILED);
    run_setup();
    rng_state = 0x9E3779B97F4A7C15ull ^ seed;

    for (unsigned i = 0; i < cases; i++) {
        struct dt_case c = { 0 };
        struct dt_regs native, interp;
        make_case(&c, &templates[rng() % N_TEMPLATES]);
        if (c.t->kind == K_DIV && divide_faults(&c)) {
            skipped++;
            continue;
        }
        run_native(&c, &native);
        run_interp(&c, &interp);
        run++;

        uint32_t compared = X86_FLAGS_STATUS & ~(strict ? 0 : undefined_flags(&c));
        int undef_reg = strict ? -1 : undefined_register(&c);
        bool same = ((native.eflags ^ interp.eflags) & compared) == 0;
        for (int r = 0; r < 8; r++)
            if (r != undef_reg && native.r[r] != interp.r[r])
                same = false;
        if (!same) {
            /* Strict mode: show the first difference of each template. */
            static bool shown[N_TEMPLATES];
            if (strict && (strict_diffs++, shown[c.t - templates]))
                continue;
            shown[c.t - templates] = true;
            printf("difftest: mismatch in case %u, seed %u (X86_DIFFTEST_SEED=%u)\n", i, seed,
                   seed);
            print_case(&c, &native, &interp, compared);
            if (!strict)
                fail_msg("the interpreter and the host CPU disagree");
        }
    }
    printf("difftest: %u cases run, %u faulting divides skipped, seed %u%s\n", run, skipped,
           seed, strict ? " (strict: undefined flags compared too)" : "");
    if (strict)
        printf("difftest: %u cases differ in undefined flags or registers\n", strict_diffs);
    munmap(jit_page, 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_difftest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
