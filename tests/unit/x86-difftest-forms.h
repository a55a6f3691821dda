/*
 * x86-difftest-forms.h - the instruction forms test_x86_difftest.c runs on
 * the host CPU and in the interpreter (chapter 02-interpreter.md, "Testing
 * against silicon"): one row per opcode, saying how to encode it, which
 * operand sizes it has, where its immediate comes from, which flags the
 * SDM leaves undefined, and in which families of cases it takes part.
 */
#ifndef TESTS_UNIT_X86_DIFFTEST_FORMS_H
#define TESTS_UNIT_X86_DIFFTEST_FORMS_H

#include <stdint.h>

/* What an instruction's undefined flags (and registers) depend on. */
enum dt_kind {
    K_PLAIN,                            /* everything defined */
    K_LOGIC,                            /* and/or/xor/test: AF undefined */
    K_SHIFT,                            /* group 2: depends on op and count */
    K_DSHIFT,                           /* shld/shrd: depends on count */
    K_MUL,                              /* SF ZF AF PF undefined */
    K_DIV,                              /* all undefined; skip cases that fault */
    K_BT,                               /* OF SF AF PF undefined */
    K_BSF,                              /* all but ZF undefined; dest too if src = 0 */
    K_POPF,                             /* EAX goes into EFLAGS: only user-safe bits */
};

/* Where an instruction's immediate or count comes from. */
enum dt_imm { I_NONE, I_B, I_Z, I_COUNT };     /* I_COUNT: imm8 biased to 0..33 */

/* The operand encoding, when it is not a ModRM group digit (0-7). */
enum dt_digit {
    D_REG = -1,                         /* ModRM, reg field a random register */
    D_NONE = -2,                        /* no ModRM: accumulator or implied operands */
    D_OPREG = -3,                       /* register in the opcode's low bits */
    D_CMOV = -4,                        /* cmovcc: random condition, ModRM */
    D_SET = -5,                         /* setcc: random condition, ModRM /0 */
    D_PAIR = -6,                        /* two one-byte instructions, each prefixed */
    D_XLAT = -7,                        /* xlat: reads [EBX + AL] */
    D_STRING = -8,                      /* movs/cmps/stos/lods/scas: byte form's opcode */
};

/* The families of cases a form takes part in (test_x86_difftest.c's
 * families[] draws each case's form from the rows with its bit). */
enum dt_where {
    W_REG = 1,                          /* register operands (ModRM mod = 3) */
    W_MEM = 2,                          /* E operand in memory (mod 0-2, any SIB) */
    W_STR = 4,                          /* string instructions, with and without rep */
    W_LEA = 8,                          /* lea: every addressing form, no access */
    W_SYS = 16,                         /* flags, sign extension, bswap, xlat */
};
#define W_RM (W_REG | W_MEM)

struct dt_template {
    const char *name;
    uint8_t op[2];                      /* opcode bytes (0F xx or one byte) */
    uint8_t oplen;
    int8_t digit;                       /* ModRM.reg for groups, or enum dt_digit */
    uint8_t sizes;                      /* operand sizes: bit 1, 2, 4 */
    uint8_t imm;                        /* enum dt_imm */
    uint8_t kind;                       /* enum dt_kind */
    uint8_t where;                      /* enum dt_where bits */
};

#define S1 1
#define S2 2
#define S4 4
#define S24 (S2 | S4)
#define S124 (S1 | S2 | S4)

static const struct dt_template templates[] = {
    /* The arithmetic rows: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  eAX,Iz. */
#define ROW(base, name, kind)                                             \
    { name " E,G", { base + 0 }, 1, D_REG, S1, I_NONE, kind, W_RM },      \
    { name " E,G", { base + 1 }, 1, D_REG, S24, I_NONE, kind, W_RM },     \
    { name " G,E", { base + 2 }, 1, D_REG, S1, I_NONE, kind, W_RM },      \
    { name " G,E", { base + 3 }, 1, D_REG, S24, I_NONE, kind, W_RM },     \
    { name " A,I", { base + 4 }, 1, D_NONE, S1, I_B, kind, W_REG },       \
    { name " A,I", { base + 5 }, 1, D_NONE, S24, I_Z, kind, W_REG }
    ROW(0x00, "add", K_PLAIN), ROW(0x08, "or", K_LOGIC), ROW(0x10, "adc", K_PLAIN),
    ROW(0x18, "sbb", K_PLAIN), ROW(0x20, "and", K_LOGIC), ROW(0x28, "sub", K_PLAIN),
    ROW(0x30, "xor", K_LOGIC), ROW(0x38, "cmp", K_PLAIN),
#undef ROW
#define GRP1(d, name, kind)                                               \
    { name " E,Ib", { 0x80 }, 1, d, S1, I_B, kind, W_RM },                \
    { name " E,Iz", { 0x81 }, 1, d, S24, I_Z, kind, W_RM },               \
    { name " E,Ib", { 0x83 }, 1, d, S24, I_B, kind, W_RM }
    GRP1(0, "add", K_PLAIN), GRP1(1, "or", K_LOGIC), GRP1(2, "adc", K_PLAIN),
    GRP1(3, "sbb", K_PLAIN), GRP1(4, "and", K_LOGIC), GRP1(5, "sub", K_PLAIN),
    GRP1(6, "xor", K_LOGIC), GRP1(7, "cmp", K_PLAIN),
#undef GRP1
    { "test E,G", { 0x84 }, 1, D_REG, S1, I_NONE, K_LOGIC, W_RM },
    { "test E,G", { 0x85 }, 1, D_REG, S24, I_NONE, K_LOGIC, W_RM },
    { "test A,I", { 0xA8 }, 1, D_NONE, S1, I_B, K_LOGIC, W_REG },
    { "test A,I", { 0xA9 }, 1, D_NONE, S24, I_Z, K_LOGIC, W_REG },
    { "test E,I", { 0xF6 }, 1, 0, S1, I_B, K_LOGIC, W_RM },
    { "test E,I", { 0xF7 }, 1, 0, S24, I_Z, K_LOGIC, W_RM },
    { "not", { 0xF6 }, 1, 2, S1, I_NONE, K_PLAIN, W_RM },
    { "not", { 0xF7 }, 1, 2, S24, I_NONE, K_PLAIN, W_RM },
    { "neg", { 0xF6 }, 1, 3, S1, I_NONE, K_PLAIN, W_RM },
    { "neg", { 0xF7 }, 1, 3, S24, I_NONE, K_PLAIN, W_RM },
    { "mul", { 0xF6 }, 1, 4, S1, I_NONE, K_MUL, W_RM },
    { "mul", { 0xF7 }, 1, 4, S24, I_NONE, K_MUL, W_RM },
    { "imul", { 0xF6 }, 1, 5, S1, I_NONE, K_MUL, W_RM },
    { "imul", { 0xF7 }, 1, 5, S24, I_NONE, K_MUL, W_RM },
    { "div", { 0xF6 }, 1, 6, S1, I_NONE, K_DIV, W_RM },
    { "div", { 0xF7 }, 1, 6, S24, I_NONE, K_DIV, W_RM },
    { "idiv", { 0xF6 }, 1, 7, S1, I_NONE, K_DIV, W_RM },
    { "idiv", { 0xF7 }, 1, 7, S24, I_NONE, K_DIV, W_RM },
    { "imul G,E", { 0x0F, 0xAF }, 2, D_REG, S24, I_NONE, K_MUL, W_RM },
    { "imul G,E,Iz", { 0x69 }, 1, D_REG, S24, I_Z, K_MUL, W_RM },
    { "imul G,E,Ib", { 0x6B }, 1, D_REG, S24, I_B, K_MUL, W_RM },
    { "inc", { 0xFE }, 1, 0, S1, I_NONE, K_PLAIN, W_RM },
    { "inc", { 0xFF }, 1, 0, S24, I_NONE, K_PLAIN, W_RM },
    { "dec", { 0xFE }, 1, 1, S1, I_NONE, K_PLAIN, W_RM },
    { "dec", { 0xFF }, 1, 1, S24, I_NONE, K_PLAIN, W_RM },
    /* 40-4F are REX prefixes in 64-bit mode: the host runs FF /0, /1. */
    { "inc r", { 0x40 }, 1, D_OPREG, S24, I_NONE, K_PLAIN, W_REG },
    { "dec r", { 0x48 }, 1, D_OPREG, S24, I_NONE, K_PLAIN, W_REG },
#define SHIFTS(d, name)                                                   \
    { name " E,Ib", { 0xC0 }, 1, d, S1, I_COUNT, K_SHIFT, W_RM },         \
    { name " E,Ib", { 0xC1 }, 1, d, S24, I_COUNT, K_SHIFT, W_RM },        \
    { name " E,1", { 0xD0 }, 1, d, S1, I_NONE, K_SHIFT, W_RM },           \
    { name " E,1", { 0xD1 }, 1, d, S24, I_NONE, K_SHIFT, W_RM },          \
    { name " E,CL", { 0xD2 }, 1, d, S1, I_NONE, K_SHIFT, W_RM },          \
    { name " E,CL", { 0xD3 }, 1, d, S24, I_NONE, K_SHIFT, W_RM }
    SHIFTS(0, "rol"), SHIFTS(1, "ror"), SHIFTS(2, "rcl"), SHIFTS(3, "rcr"),
    SHIFTS(4, "shl"), SHIFTS(5, "shr"), SHIFTS(6, "sal"), SHIFTS(7, "sar"),
#undef SHIFTS
    { "shld E,G,Ib", { 0x0F, 0xA4 }, 2, D_REG, S24, I_COUNT, K_DSHIFT, W_RM },
    { "shld E,G,CL", { 0x0F, 0xA5 }, 2, D_REG, S24, I_NONE, K_DSHIFT, W_RM },
    { "shrd E,G,Ib", { 0x0F, 0xAC }, 2, D_REG, S24, I_COUNT, K_DSHIFT, W_RM },
    { "shrd E,G,CL", { 0x0F, 0xAD }, 2, D_REG, S24, I_NONE, K_DSHIFT, W_RM },
    /* bt* E,G on memory: G is a signed bit offset that moves the address. */
    { "bt E,G", { 0x0F, 0xA3 }, 2, D_REG, S24, I_NONE, K_BT, W_RM },
    { "bts E,G", { 0x0F, 0xAB }, 2, D_REG, S24, I_NONE, K_BT, W_RM },
    { "btr E,G", { 0x0F, 0xB3 }, 2, D_REG, S24, I_NONE, K_BT, W_RM },
    { "btc E,G", { 0x0F, 0xBB }, 2, D_REG, S24, I_NONE, K_BT, W_RM },
    { "bt E,Ib", { 0x0F, 0xBA }, 2, 4, S24, I_COUNT, K_BT, W_RM },
    { "bts E,Ib", { 0x0F, 0xBA }, 2, 5, S24, I_COUNT, K_BT, W_RM },
    { "btr E,Ib", { 0x0F, 0xBA }, 2, 6, S24, I_COUNT, K_BT, W_RM },
    { "btc E,Ib", { 0x0F, 0xBA }, 2, 7, S24, I_COUNT, K_BT, W_RM },
    { "bsf", { 0x0F, 0xBC }, 2, D_REG, S24, I_NONE, K_BSF, W_RM },
    { "bsr", { 0x0F, 0xBD }, 2, D_REG, S24, I_NONE, K_BSF, W_RM },
    { "cmpxchg", { 0x0F, 0xB0 }, 2, D_REG, S1, I_NONE, K_PLAIN, W_RM },
    { "cmpxchg", { 0x0F, 0xB1 }, 2, D_REG, S24, I_NONE, K_PLAIN, W_RM },
    { "xadd", { 0x0F, 0xC0 }, 2, D_REG, S1, I_NONE, K_PLAIN, W_RM },
    { "xadd", { 0x0F, 0xC1 }, 2, D_REG, S24, I_NONE, K_PLAIN, W_RM },
    { "xchg E,G", { 0x86 }, 1, D_REG, S1, I_NONE, K_PLAIN, W_RM },
    { "xchg E,G", { 0x87 }, 1, D_REG, S24, I_NONE, K_PLAIN, W_RM },
    { "xchg A,r", { 0x90 }, 1, D_OPREG, S24, I_NONE, K_PLAIN, W_REG },
    { "mov E,G", { 0x88 }, 1, D_REG, S1, I_NONE, K_PLAIN, W_RM },
    { "mov E,G", { 0x89 }, 1, D_REG, S24, I_NONE, K_PLAIN, W_RM },
    { "mov G,E", { 0x8A }, 1, D_REG, S1, I_NONE, K_PLAIN, W_RM },
    { "mov G,E", { 0x8B }, 1, D_REG, S24, I_NONE, K_PLAIN, W_RM },
    { "mov E,I", { 0xC6 }, 1, 0, S1, I_B, K_PLAIN, W_RM },
    { "mov E,I", { 0xC7 }, 1, 0, S24, I_Z, K_PLAIN, W_RM },
    { "movzb", { 0x0F, 0xB6 }, 2, D_REG, S24, I_NONE, K_PLAIN, W_RM },
    { "movzw", { 0x0F, 0xB7 }, 2, D_REG, S4, I_NONE, K_PLAIN, W_RM },
    { "movsb", { 0x0F, 0xBE }, 2, D_REG, S24, I_NONE, K_PLAIN, W_RM },
    { "movsw", { 0x0F, 0xBF }, 2, D_REG, S4, I_NONE, K_PLAIN, W_RM },
    { "cmovcc", { 0x0F, 0x40 }, 2, D_CMOV, S24, I_NONE, K_PLAIN, W_RM },
    { "setcc", { 0x0F, 0x90 }, 2, D_SET, S1, I_NONE, K_PLAIN, W_RM },
    { "lea", { 0x8D }, 1, D_REG, S24, I_NONE, K_PLAIN, W_LEA },

    /* Strings: the interpreter uses the 32-bit forms, the host the same
     * bytes behind a 0x67 prefix (ESI, EDI, ECX instead of RSI, RDI, RCX). */
    { "movs", { 0xA4 }, 1, D_STRING, S124, I_NONE, K_PLAIN, W_STR },
    { "cmps", { 0xA6 }, 1, D_STRING, S124, I_NONE, K_PLAIN, W_STR },
    { "stos", { 0xAA }, 1, D_STRING, S124, I_NONE, K_PLAIN, W_STR },
    { "lods", { 0xAC }, 1, D_STRING, S124, I_NONE, K_PLAIN, W_STR },
    { "scas", { 0xAE }, 1, D_STRING, S124, I_NONE, K_PLAIN, W_STR },

    /* What a user program can run of the flag and system instructions. */
    { "bswap", { 0x0F, 0xC8 }, 2, D_OPREG, S4, I_NONE, K_PLAIN, W_SYS },
    { "cbw/cwde", { 0x98 }, 1, D_NONE, S24, I_NONE, K_PLAIN, W_SYS },
    { "cwd/cdq", { 0x99 }, 1, D_NONE, S24, I_NONE, K_PLAIN, W_SYS },
    { "sahf", { 0x9E }, 1, D_NONE, S4, I_NONE, K_PLAIN, W_SYS },
    { "lahf", { 0x9F }, 1, D_NONE, S4, I_NONE, K_PLAIN, W_SYS },
    { "cmc", { 0xF5 }, 1, D_NONE, S4, I_NONE, K_PLAIN, W_SYS },
    { "clc", { 0xF8 }, 1, D_NONE, S4, I_NONE, K_PLAIN, W_SYS },
    { "stc", { 0xF9 }, 1, D_NONE, S4, I_NONE, K_PLAIN, W_SYS },
    { "cld", { 0xFC }, 1, D_NONE, S4, I_NONE, K_PLAIN, W_SYS },
    { "std", { 0xFD }, 1, D_NONE, S4, I_NONE, K_PLAIN, W_SYS },
    /* 9C 58 is pushfq; pop rax on the host: same EAX, a wider stack slot. */
    { "pushf; pop A", { 0x9C, 0x58 }, 2, D_PAIR, S24, I_NONE, K_PLAIN, W_SYS },
    { "push A; popf", { 0x50, 0x9D }, 2, D_PAIR, S24, I_NONE, K_POPF, W_SYS },
    { "xlat", { 0xD7 }, 1, D_XLAT, S1, I_NONE, K_PLAIN, W_SYS },
};
#define N_TEMPLATES (sizeof templates / sizeof templates[0])

#endif
