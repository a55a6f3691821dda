/*
 * decode.c - the x86 opcode tables and the decoder that reads them
 * (chapter 02-interpreter.md, "Decoding").
 *
 * An x86 instruction is: up to four kinds of prefix bytes, one opcode byte
 * (or 0F and a second byte), a ModRM byte if the opcode has operands in
 * registers or memory, a SIB byte and a displacement for some addresses,
 * and finally an immediate. The tables below say, for every opcode, which of
 * these parts follow; the decoder is a loop over prefixes and a walk through
 * those parts. Nothing here knows what an instruction does.
 */
#include <string.h>

#include "vmm/x86/cpu.h"
#include "vmm/x86/decode.h"

/* Short names keep the table one opcode per line. */
#define M  X86_OPF_MODRM
#define B  X86_OPF_BYTE
#define L  X86_OPF_LOCK
#define G  X86_OPF_GROUP
#define S  X86_OPF_STRING
#define MM X86_OPF_MEM

#define ib X86_IMM_B
#define iw X86_IMM_W
#define iz X86_IMM_Z

#define F(x) X86_FORM_##x

/* An arithmetic row: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz. */
#define ALU_ROW(base, name, lock)                                     \
    [base + 0] = { name, M | B | (lock), 0, F(E_G), 0 },              \
    [base + 1] = { name, M | (lock),     0, F(E_G), 0 },              \
    [base + 2] = { name, M | B,          0, F(G_E), 0 },              \
    [base + 3] = { name, M,              0, F(G_E), 0 },              \
    [base + 4] = { name, B,              ib, F(A_I), 0 },             \
    [base + 5] = { name, 0,              iz, F(A_I), 0 }

/* The one-byte opcode map (SDM vol. 2, table A-2), then the two-byte map
 * (table A-3) at 0x100. Entries without a name are #UD. */
const struct x86_opcode x86_opcodes[512] = {
    /* The prefixes: segment overrides, operand and address size, lock, rep. */
    [0x26] = { NULL, X86_OPF_PREFIX, 0, 0, 0 }, [0x2E] = { NULL, X86_OPF_PREFIX, 0, 0, 0 },
    [0x36] = { NULL, X86_OPF_PREFIX, 0, 0, 0 }, [0x3E] = { NULL, X86_OPF_PREFIX, 0, 0, 0 },
    [0x64] = { NULL, X86_OPF_PREFIX, 0, 0, 0 }, [0x65] = { NULL, X86_OPF_PREFIX, 0, 0, 0 },
    [0x66] = { NULL, X86_OPF_PREFIX, 0, 0, 0 }, [0x67] = { NULL, X86_OPF_PREFIX, 0, 0, 0 },
    [0xF0] = { NULL, X86_OPF_PREFIX, 0, 0, 0 }, [0xF2] = { NULL, X86_OPF_PREFIX, 0, 0, 0 },
    [0xF3] = { NULL, X86_OPF_PREFIX, 0, 0, 0 },
    ALU_ROW(0x00, "add", L),
    [0x06] = { "push", 0, 0, F(SEG), 0 },
    [0x07] = { "pop",  0, 0, F(SEG), 0 },
    ALU_ROW(0x08, "or", L),
    [0x0E] = { "push", 0, 0, F(SEG), 0 },
    ALU_ROW(0x10, "adc", L),
    [0x16] = { "push", 0, 0, F(SEG), 0 },
    [0x17] = { "pop",  0, 0, F(SEG), 0 },
    ALU_ROW(0x18, "sbb", L),
    [0x1E] = { "push", 0, 0, F(SEG), 0 },
    [0x1F] = { "pop",  0, 0, F(SEG), 0 },
    ALU_ROW(0x20, "and", L),
    [0x27] = { "daa", 0, 0, 0, 0 },
    ALU_ROW(0x28, "sub", L),
    [0x2F] = { "das", 0, 0, 0, 0 },
    ALU_ROW(0x30, "xor", L),
    [0x37] = { "aaa", 0, 0, 0, 0 },
    ALU_ROW(0x38, "cmp", 0),
    [0x3F] = { "aas", 0, 0, 0, 0 },
    [0x40] = { "inc", 0, 0, F(Z), 0 }, [0x41] = { "inc", 0, 0, F(Z), 0 },
    [0x42] = { "inc", 0, 0, F(Z), 0 }, [0x43] = { "inc", 0, 0, F(Z), 0 },
    [0x44] = { "inc", 0, 0, F(Z), 0 }, [0x45] = { "inc", 0, 0, F(Z), 0 },
    [0x46] = { "inc", 0, 0, F(Z), 0 }, [0x47] = { "inc", 0, 0, F(Z), 0 },
    [0x48] = { "dec", 0, 0, F(Z), 0 }, [0x49] = { "dec", 0, 0, F(Z), 0 },
    [0x4A] = { "dec", 0, 0, F(Z), 0 }, [0x4B] = { "dec", 0, 0, F(Z), 0 },
    [0x4C] = { "dec", 0, 0, F(Z), 0 }, [0x4D] = { "dec", 0, 0, F(Z), 0 },
    [0x4E] = { "dec", 0, 0, F(Z), 0 }, [0x4F] = { "dec", 0, 0, F(Z), 0 },
    [0x50] = { "push", 0, 0, F(Z), 0 }, [0x51] = { "push", 0, 0, F(Z), 0 },
    [0x52] = { "push", 0, 0, F(Z), 0 }, [0x53] = { "push", 0, 0, F(Z), 0 },
    [0x54] = { "push", 0, 0, F(Z), 0 }, [0x55] = { "push", 0, 0, F(Z), 0 },
    [0x56] = { "push", 0, 0, F(Z), 0 }, [0x57] = { "push", 0, 0, F(Z), 0 },
    [0x58] = { "pop", 0, 0, F(Z), 0 }, [0x59] = { "pop", 0, 0, F(Z), 0 },
    [0x5A] = { "pop", 0, 0, F(Z), 0 }, [0x5B] = { "pop", 0, 0, F(Z), 0 },
    [0x5C] = { "pop", 0, 0, F(Z), 0 }, [0x5D] = { "pop", 0, 0, F(Z), 0 },
    [0x5E] = { "pop", 0, 0, F(Z), 0 }, [0x5F] = { "pop", 0, 0, F(Z), 0 },
    [0x60] = { "pusha", 0, 0, 0, 0 },
    [0x61] = { "popa",  0, 0, 0, 0 },
    /* 62 bound and 63 arpl: not implemented, #UD (no compiled C uses them). */
    [0x68] = { "push", 0,     iz, F(I), 0 },
    [0x69] = { "imul", M,     iz, F(G_E_I), 0 },
    [0x6A] = { "push", 0,     ib, F(I), 0 },
    [0x6B] = { "imul", M,     ib, F(G_E_I), 0 },
    [0x6C] = { "ins",  B | S, 0, F(STR_IN), 0 },
    [0x6D] = { "ins",  S,     0, F(STR_IN), 0 },
    [0x6E] = { "outs", B | S, 0, F(STR_OUT), 0 },
    [0x6F] = { "outs", S,     0, F(STR_OUT), 0 },
    [0x70] = { "jo",  0, ib, F(J), 0 }, [0x71] = { "jno", 0, ib, F(J), 0 },
    [0x72] = { "jb",  0, ib, F(J), 0 }, [0x73] = { "jae", 0, ib, F(J), 0 },
    [0x74] = { "je",  0, ib, F(J), 0 }, [0x75] = { "jne", 0, ib, F(J), 0 },
    [0x76] = { "jbe", 0, ib, F(J), 0 }, [0x77] = { "ja",  0, ib, F(J), 0 },
    [0x78] = { "js",  0, ib, F(J), 0 }, [0x79] = { "jns", 0, ib, F(J), 0 },
    [0x7A] = { "jp",  0, ib, F(J), 0 }, [0x7B] = { "jnp", 0, ib, F(J), 0 },
    [0x7C] = { "jl",  0, ib, F(J), 0 }, [0x7D] = { "jge", 0, ib, F(J), 0 },
    [0x7E] = { "jle", 0, ib, F(J), 0 }, [0x7F] = { "jg",  0, ib, F(J), 0 },
    [0x80] = { "", M | B | G, ib, F(E_I), X86_GRP_1 },
    [0x81] = { "", M | G,     iz, F(E_I), X86_GRP_1 },
    [0x82] = { "", M | B | G, ib, F(E_I), X86_GRP_1 },
    [0x83] = { "", M | G,     ib, F(E_I), X86_GRP_1 },
    [0x84] = { "test", M | B,     0, F(E_G), 0 },
    [0x85] = { "test", M,         0, F(E_G), 0 },
    [0x86] = { "xchg", M | B | L, 0, F(E_G), 0 },
    [0x87] = { "xchg", M | L,     0, F(E_G), 0 },
    [0x88] = { "mov",  M | B,     0, F(E_G), 0 },
    [0x89] = { "mov",  M,         0, F(E_G), 0 },
    [0x8A] = { "mov",  M | B,     0, F(G_E), 0 },
    [0x8B] = { "mov",  M,         0, F(G_E), 0 },
    [0x8C] = { "mov",  M,         0, F(E_S), 0 },
    [0x8D] = { "lea",  M | MM,    0, F(G_E), 0 },
    [0x8E] = { "mov",  M,         0, F(S_E), 0 },
    [0x8F] = { "",     M | G,     0, F(E), X86_GRP_1A },
    [0x90] = { "nop",  0, 0, 0, 0 },
    [0x91] = { "xchg", 0, 0, F(A_Z), 0 }, [0x92] = { "xchg", 0, 0, F(A_Z), 0 },
    [0x93] = { "xchg", 0, 0, F(A_Z), 0 }, [0x94] = { "xchg", 0, 0, F(A_Z), 0 },
    [0x95] = { "xchg", 0, 0, F(A_Z), 0 }, [0x96] = { "xchg", 0, 0, F(A_Z), 0 },
    [0x97] = { "xchg", 0, 0, F(A_Z), 0 },
    [0x98] = { "cwtl",  0, 0, 0, 0 },            /* cbtw with 0x66 */
    [0x99] = { "cltd",  0, 0, 0, 0 },            /* cwtd with 0x66 */
    [0x9A] = { "lcall", 0, X86_IMM_FAR, F(FAR), 0 },
    [0x9B] = { "fwait", 0, 0, 0, 0 },
    [0x9C] = { "pushf", 0, 0, 0, 0 },
    [0x9D] = { "popf",  0, 0, 0, 0 },
    [0x9E] = { "sahf",  0, 0, 0, 0 },
    [0x9F] = { "lahf",  0, 0, 0, 0 },
    [0xA0] = { "mov",  B,     X86_IMM_MOFFS, F(A_M), 0 },
    [0xA1] = { "mov",  0,     X86_IMM_MOFFS, F(A_M), 0 },
    [0xA2] = { "mov",  B,     X86_IMM_MOFFS, F(M_A), 0 },
    [0xA3] = { "mov",  0,     X86_IMM_MOFFS, F(M_A), 0 },
    [0xA4] = { "movs", B | S, 0, F(STR_SD), 0 },
    [0xA5] = { "movs", S,     0, F(STR_SD), 0 },
    [0xA6] = { "cmps", B | S, 0, F(STR_CMP), 0 },
    [0xA7] = { "cmps", S,     0, F(STR_CMP), 0 },
    [0xA8] = { "test", B,     ib, F(A_I), 0 },
    [0xA9] = { "test", 0,     iz, F(A_I), 0 },
    [0xAA] = { "stos", B | S, 0, F(STR_D), 0 },
    [0xAB] = { "stos", S,     0, F(STR_D), 0 },
    [0xAC] = { "lods", B | S, 0, F(STR_S), 0 },
    [0xAD] = { "lods", S,     0, F(STR_S), 0 },
    [0xAE] = { "scas", B | S, 0, F(STR_SCAS), 0 },
    [0xAF] = { "scas", S,     0, F(STR_SCAS), 0 },
    [0xB0] = { "mov", B, ib, F(Z_I), 0 }, [0xB1] = { "mov", B, ib, F(Z_I), 0 },
    [0xB2] = { "mov", B, ib, F(Z_I), 0 }, [0xB3] = { "mov", B, ib, F(Z_I), 0 },
    [0xB4] = { "mov", B, ib, F(Z_I), 0 }, [0xB5] = { "mov", B, ib, F(Z_I), 0 },
    [0xB6] = { "mov", B, ib, F(Z_I), 0 }, [0xB7] = { "mov", B, ib, F(Z_I), 0 },
    [0xB8] = { "mov", 0, iz, F(Z_I), 0 }, [0xB9] = { "mov", 0, iz, F(Z_I), 0 },
    [0xBA] = { "mov", 0, iz, F(Z_I), 0 }, [0xBB] = { "mov", 0, iz, F(Z_I), 0 },
    [0xBC] = { "mov", 0, iz, F(Z_I), 0 }, [0xBD] = { "mov", 0, iz, F(Z_I), 0 },
    [0xBE] = { "mov", 0, iz, F(Z_I), 0 }, [0xBF] = { "mov", 0, iz, F(Z_I), 0 },
    [0xC0] = { "", M | B | G, ib, F(E_I), X86_GRP_2 },
    [0xC1] = { "", M | G,     ib, F(E_I), X86_GRP_2 },
    [0xC2] = { "ret",  0, iw, F(I), 0 },
    [0xC3] = { "ret",  0, 0, 0, 0 },
    [0xC4] = { "les",  M | MM, 0, F(G_E), 0 },
    [0xC5] = { "lds",  M | MM, 0, F(G_E), 0 },
    [0xC6] = { "", M | B | G, ib, F(E_I), X86_GRP_11 },
    [0xC7] = { "", M | G,     iz, F(E_I), X86_GRP_11 },
    [0xC8] = { "enter", 0, X86_IMM_ENTER, F(ENTER), 0 },
    [0xC9] = { "leave", 0, 0, 0, 0 },
    [0xCA] = { "lret",  0, iw, F(I), 0 },
    [0xCB] = { "lret",  0, 0, 0, 0 },
    [0xCC] = { "int3",  0, 0, 0, 0 },
    [0xCD] = { "int",   0, ib, F(I), 0 },
    [0xCE] = { "into",  0, 0, 0, 0 },
    [0xCF] = { "iret",  0, 0, 0, 0 },
    [0xD0] = { "", M | B | G, 0, F(E_1), X86_GRP_2 },
    [0xD1] = { "", M | G,     0, F(E_1), X86_GRP_2 },
    [0xD2] = { "", M | B | G, 0, F(E_CL), X86_GRP_2 },
    [0xD3] = { "", M | G,     0, F(E_CL), X86_GRP_2 },
    [0xD4] = { "aam",  0, ib, F(I), 0 },
    [0xD5] = { "aad",  0, ib, F(I), 0 },
    [0xD7] = { "xlat", 0, 0, F(XLAT), 0 },
    /* D8-DF: x87 escapes. Decoded for their length; executing one gives
     * #NM (CR0.EM or TS set) or #UD: this CPU has no FPU. */
    [0xD8] = { "(x87)", M, 0, 0, 0 }, [0xD9] = { "(x87)", M, 0, 0, 0 },
    [0xDA] = { "(x87)", M, 0, 0, 0 }, [0xDB] = { "(x87)", M, 0, 0, 0 },
    [0xDC] = { "(x87)", M, 0, 0, 0 }, [0xDD] = { "(x87)", M, 0, 0, 0 },
    [0xDE] = { "(x87)", M, 0, 0, 0 }, [0xDF] = { "(x87)", M, 0, 0, 0 },
    [0xE0] = { "loopne", 0, ib, F(J), 0 },
    [0xE1] = { "loope",  0, ib, F(J), 0 },
    [0xE2] = { "loop",   0, ib, F(J), 0 },
    [0xE3] = { "jecxz",  0, ib, F(J), 0 },       /* jcxz with 0x67 */
    [0xE4] = { "in",  B, ib, F(IN_I), 0 },
    [0xE5] = { "in",  0, ib, F(IN_I), 0 },
    [0xE6] = { "out", B, ib, F(OUT_I), 0 },
    [0xE7] = { "out", 0, ib, F(OUT_I), 0 },
    [0xE8] = { "call", 0, iz, F(J), 0 },
    [0xE9] = { "jmp",  0, iz, F(J), 0 },
    [0xEA] = { "ljmp", 0, X86_IMM_FAR, F(FAR), 0 },
    [0xEB] = { "jmp",  0, ib, F(J), 0 },
    [0xEC] = { "in",  B, 0, F(IN_DX), 0 },
    [0xED] = { "in",  0, 0, F(IN_DX), 0 },
    [0xEE] = { "out", B, 0, F(OUT_DX), 0 },
    [0xEF] = { "out", 0, 0, F(OUT_DX), 0 },
    /* F1 (int1/icebp): not implemented, #UD. */
    [0xF4] = { "hlt", 0, 0, 0, 0 },
    [0xF5] = { "cmc", 0, 0, 0, 0 },
    [0xF6] = { "", M | B | G, ib, 0, X86_GRP_3 },    /* imm only for test */
    [0xF7] = { "", M | G,     iz, 0, X86_GRP_3 },
    [0xF8] = { "clc", 0, 0, 0, 0 },
    [0xF9] = { "stc", 0, 0, 0, 0 },
    [0xFA] = { "cli", 0, 0, 0, 0 },
    [0xFB] = { "sti", 0, 0, 0, 0 },
    [0xFC] = { "cld", 0, 0, 0, 0 },
    [0xFD] = { "std", 0, 0, 0, 0 },
    [0xFE] = { "", M | B | G, 0, 0, X86_GRP_4 },
    [0xFF] = { "", M | G,     0, 0, X86_GRP_5 },

    /* ---- two-byte opcodes: 0F xx ---- */
    [0x100] = { "", M | G, 0, 0, X86_GRP_6 },
    [0x101] = { "", M | G, 0, 0, X86_GRP_7 },
    [0x106] = { "clts",   0, 0, 0, 0 },
    [0x108] = { "invd",   0, 0, 0, 0 },
    [0x109] = { "wbinvd", 0, 0, 0, 0 },
    [0x10B] = { "ud2",    0, 0, 0, 0 },
    /* 0F 18-1F: prefetch hints and the multi-byte nop gcc pads with. */
    [0x118] = { "prefetch", M, 0, F(E), 0 },
    [0x119] = { "nop", M, 0, F(E), 0 }, [0x11A] = { "nop", M, 0, F(E), 0 },
    [0x11B] = { "nop", M, 0, F(E), 0 }, [0x11C] = { "nop", M, 0, F(E), 0 },
    [0x11D] = { "nop", M, 0, F(E), 0 }, [0x11E] = { "nop", M, 0, F(E), 0 },
    [0x11F] = { "nop", M, 0, F(E), 0 },
    [0x120] = { "mov", M, 0, F(R_CR), 0 },       /* ModRM.mod is ignored */
    [0x122] = { "mov", M, 0, F(CR_R), 0 },
    [0x131] = { "rdtsc", 0, 0, 0, 0 },
    [0x140] = { "cmovo",  M, 0, F(G_E), 0 }, [0x141] = { "cmovno", M, 0, F(G_E), 0 },
    [0x142] = { "cmovb",  M, 0, F(G_E), 0 }, [0x143] = { "cmovae", M, 0, F(G_E), 0 },
    [0x144] = { "cmove",  M, 0, F(G_E), 0 }, [0x145] = { "cmovne", M, 0, F(G_E), 0 },
    [0x146] = { "cmovbe", M, 0, F(G_E), 0 }, [0x147] = { "cmova",  M, 0, F(G_E), 0 },
    [0x148] = { "cmovs",  M, 0, F(G_E), 0 }, [0x149] = { "cmovns", M, 0, F(G_E), 0 },
    [0x14A] = { "cmovp",  M, 0, F(G_E), 0 }, [0x14B] = { "cmovnp", M, 0, F(G_E), 0 },
    [0x14C] = { "cmovl",  M, 0, F(G_E), 0 }, [0x14D] = { "cmovge", M, 0, F(G_E), 0 },
    [0x14E] = { "cmovle", M, 0, F(G_E), 0 }, [0x14F] = { "cmovg",  M, 0, F(G_E), 0 },
    [0x180] = { "jo",  0, iz, F(J), 0 }, [0x181] = { "jno", 0, iz, F(J), 0 },
    [0x182] = { "jb",  0, iz, F(J), 0 }, [0x183] = { "jae", 0, iz, F(J), 0 },
    [0x184] = { "je",  0, iz, F(J), 0 }, [0x185] = { "jne", 0, iz, F(J), 0 },
    [0x186] = { "jbe", 0, iz, F(J), 0 }, [0x187] = { "ja",  0, iz, F(J), 0 },
    [0x188] = { "js",  0, iz, F(J), 0 }, [0x189] = { "jns", 0, iz, F(J), 0 },
    [0x18A] = { "jp",  0, iz, F(J), 0 }, [0x18B] = { "jnp", 0, iz, F(J), 0 },
    [0x18C] = { "jl",  0, iz, F(J), 0 }, [0x18D] = { "jge", 0, iz, F(J), 0 },
    [0x18E] = { "jle", 0, iz, F(J), 0 }, [0x18F] = { "jg",  0, iz, F(J), 0 },
    [0x190] = { "seto",  M | B, 0, F(E), 0 }, [0x191] = { "setno", M | B, 0, F(E), 0 },
    [0x192] = { "setb",  M | B, 0, F(E), 0 }, [0x193] = { "setae", M | B, 0, F(E), 0 },
    [0x194] = { "sete",  M | B, 0, F(E), 0 }, [0x195] = { "setne", M | B, 0, F(E), 0 },
    [0x196] = { "setbe", M | B, 0, F(E), 0 }, [0x197] = { "seta",  M | B, 0, F(E), 0 },
    [0x198] = { "sets",  M | B, 0, F(E), 0 }, [0x199] = { "setns", M | B, 0, F(E), 0 },
    [0x19A] = { "setp",  M | B, 0, F(E), 0 }, [0x19B] = { "setnp", M | B, 0, F(E), 0 },
    [0x19C] = { "setl",  M | B, 0, F(E), 0 }, [0x19D] = { "setge", M | B, 0, F(E), 0 },
    [0x19E] = { "setle", M | B, 0, F(E), 0 }, [0x19F] = { "setg",  M | B, 0, F(E), 0 },
    [0x1A0] = { "push",  0, 0, F(SEG), 0 },
    [0x1A1] = { "pop",   0, 0, F(SEG), 0 },
    [0x1A2] = { "cpuid", 0, 0, 0, 0 },
    [0x1A3] = { "bt",    M,     0,  F(E_G), 0 },
    [0x1A4] = { "shld",  M,     ib, F(E_G_I), 0 },
    [0x1A5] = { "shld",  M,     0,  F(E_G_CL), 0 },
    [0x1A8] = { "push",  0, 0, F(SEG), 0 },
    [0x1A9] = { "pop",   0, 0, F(SEG), 0 },
    [0x1AB] = { "bts",   M | L, 0,  F(E_G), 0 },
    [0x1AC] = { "shrd",  M,     ib, F(E_G_I), 0 },
    [0x1AD] = { "shrd",  M,     0,  F(E_G_CL), 0 },
    [0x1AF] = { "imul",  M,     0,  F(G_E), 0 },
    [0x1B0] = { "cmpxchg", M | B | L, 0, F(E_G), 0 },
    [0x1B1] = { "cmpxchg", M | L,     0, F(E_G), 0 },
    [0x1B2] = { "lss",   M | MM, 0, F(G_E), 0 },
    [0x1B3] = { "btr",   M | L,  0, F(E_G), 0 },
    [0x1B4] = { "lfs",   M | MM, 0, F(G_E), 0 },
    [0x1B5] = { "lgs",   M | MM, 0, F(G_E), 0 },
    [0x1B6] = { "movzb", M, 0, F(G_EB), 0 },
    [0x1B7] = { "movzw", M, 0, F(G_EW), 0 },
    [0x1BA] = { "", M | G, ib, F(E_I), X86_GRP_8 },
    [0x1BB] = { "btc",   M | L, 0, F(E_G), 0 },
    [0x1BC] = { "bsf",   M,     0, F(G_E), 0 },
    [0x1BD] = { "bsr",   M,     0, F(G_E), 0 },
    [0x1BE] = { "movsb", M, 0, F(G_EB), 0 },
    [0x1BF] = { "movsw", M, 0, F(G_EW), 0 },
    [0x1C0] = { "xadd",  M | B | L, 0, F(E_G), 0 },
    [0x1C1] = { "xadd",  M | L,     0, F(E_G), 0 },
    [0x1C7] = { "", M | G, 0, F(E), X86_GRP_9 },
    [0x1C8] = { "bswap", 0, 0, F(Z), 0 }, [0x1C9] = { "bswap", 0, 0, F(Z), 0 },
    [0x1CA] = { "bswap", 0, 0, F(Z), 0 }, [0x1CB] = { "bswap", 0, 0, F(Z), 0 },
    [0x1CC] = { "bswap", 0, 0, F(Z), 0 }, [0x1CD] = { "bswap", 0, 0, F(Z), 0 },
    [0x1CE] = { "bswap", 0, 0, F(Z), 0 }, [0x1CF] = { "bswap", 0, 0, F(Z), 0 },
};

/* The groups (SDM vol. 2, table A-6): { name, form, lock allowed, memory only }.
 * A form of 0 means "the opcode's form" (the shifts take theirs from D0-D3). */
const struct x86_group_op x86_groups[X86_GRP_COUNT][8] = {
    [X86_GRP_1] = {
        { "add", 0, true, false }, { "or",  0, true, false },
        { "adc", 0, true, false }, { "sbb", 0, true, false },
        { "and", 0, true, false }, { "sub", 0, true, false },
        { "xor", 0, true, false }, { "cmp", 0, false, false },
    },
    [X86_GRP_1A] = { { "pop", 0, false, false } },
    [X86_GRP_2] = {
        { "rol", 0, false, false }, { "ror", 0, false, false },
        { "rcl", 0, false, false }, { "rcr", 0, false, false },
        { "shl", 0, false, false }, { "shr", 0, false, false },
        { "shl", 0, false, false }, { "sar", 0, false, false },   /* /6 is sal = shl */
    },
    [X86_GRP_3] = {
        { "test", F(E_I), false, false }, { "test", F(E_I), false, false },
        { "not",  F(E),   true,  false }, { "neg",  F(E),   true,  false },
        { "mul",  F(E),   false, false }, { "imul", F(E),   false, false },
        { "div",  F(E),   false, false }, { "idiv", F(E),   false, false },
    },
    [X86_GRP_4] = { { "inc", F(E), true, false }, { "dec", F(E), true, false } },
    [X86_GRP_5] = {
        { "inc",   F(E),   true,  false }, { "dec",  F(E),   true,  false },
        { "call",  F(IND), false, false }, { "lcall", F(IND), false, true },
        { "jmp",   F(IND), false, false }, { "ljmp", F(IND), false, true },
        { "push",  F(E),   false, false },
    },
    [X86_GRP_6] = {
        { "sldt", F(EW), false, false }, { "str",  F(EW), false, false },
        { "lldt", F(EW), false, false }, { "ltr",  F(EW), false, false },
    },
    [X86_GRP_7] = {
        { "sgdt", F(E), false, true }, { "sidt", F(E), false, true },
        { "lgdt", F(E), false, true }, { "lidt", F(E), false, true },
        { "smsw", F(EW), false, false }, { NULL, 0, false, false },
        { "lmsw", F(EW), false, false }, { "invlpg", F(E), false, true },
    },
    [X86_GRP_8] = {
        [4] = { "bt",  0, false, false }, [5] = { "bts", 0, true, false },
        [6] = { "btr", 0, true, false },  [7] = { "btc", 0, true, false },
    },
    [X86_GRP_9] = { [1] = { "cmpxchg8b", 0, true, true } },
    [X86_GRP_11] = { { "mov", 0, false, false } },
};

/* The 16-bit addressing forms by ModRM.rm: base and index registers. */
static const int8_t addr16_base[8]  = { X86_EBX, X86_EBX, X86_EBP, X86_EBP, -1, -1, X86_EBP, X86_EBX };
static const int8_t addr16_index[8] = { X86_ESI, X86_EDI, X86_ESI, X86_EDI, X86_ESI, X86_EDI, -1, -1 };

/* Little-endian reads of the instruction stream. */
static uint32_t get16(const uint8_t *p) { return p[0] | (uint32_t)p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | get16(p + 2) << 16; }

/* Read an n-byte little-endian field at p (n = 1, 2 or 4), sign-extending bytes. */
static uint32_t get_field(const uint8_t *p, unsigned n)
{
    return n == 1 ? (uint32_t)(int32_t)(int8_t)p[0] : n == 2 ? get16(p) : get32(p);
}

/* Segment override prefixes, by byte. */
static int segment_prefix(uint8_t b)
{
    switch (b) {
    case 0x26: return X86_ES;
    case 0x2E: return X86_CS;
    case 0x36: return X86_SS;
    case 0x3E: return X86_DS;
    case 0x64: return X86_FS;
    case 0x65: return X86_GS;
    default:   return -1;
    }
}

/* Make sure bytes [pos, pos+n) may be read. On failure this returns from
 * the decoding function: 0 to ask for more bytes, -1 past the 15-byte limit. */
#define NEED(n)                                                       \
    do {                                                              \
        if (pos + (n) > X86_MAX_INSN_LEN) return -1;                  \
        if (pos + (n) > avail) return 0;                              \
    } while (0)

/* Decode the ModRM byte at p[pos] and the SIB and displacement after it.
 * Returns the position after them, or 0 / -1 as NEED does. */
static int decode_modrm(const uint8_t *p, unsigned avail, unsigned pos, struct x86_insn *in)
{
    /* Work in locals and store once: re-reading just-stored bytes of *in
     * as a wider word stalls the host's store forwarding. */
    unsigned disp_size = 0;
    int base = -1, index = -1;

    NEED(1);
    uint8_t m = p[pos++];
    unsigned mod = m >> 6, rm = m & 7;
    in->has_modrm = true;
    in->reg = (m >> 3) & 7;
    in->rm = rm;
    /* mov to/from CRn always names a register, whatever mod says. */
    if (in->op == 0x120 || in->op == 0x122)
        mod = 3;
    in->mod = mod;
    if (mod == 3)
        return pos;
    in->mem = true;
    if (in->addrsize == 4) {
        if (rm == 4) {
            NEED(1);
            uint8_t sib = p[pos++];
            in->scale = sib >> 6;
            index = ((sib >> 3) & 7) == 4 ? -1 : (sib >> 3) & 7;
            base = sib & 7;
            if (base == X86_EBP && mod == 0) {
                base = -1;
                disp_size = 4;
            }
        } else if (rm == 5 && mod == 0) {
            disp_size = 4;
        } else {
            base = rm;
        }
        if (mod == 1)
            disp_size = 1;
        else if (mod == 2)
            disp_size = 4;
    } else {
        if (rm == 6 && mod == 0) {
            disp_size = 2;
        } else {
            base = addr16_base[rm];
            index = addr16_index[rm];
        }
        if (mod == 1)
            disp_size = 1;
        else if (mod == 2)
            disp_size = 2;
    }
    in->base = base;
    in->index = index;
    /* Addresses built on ESP or EBP are stack addresses: SS by default. */
    if ((base == X86_ESP || base == X86_EBP) && !in->seg_override)
        in->seg = X86_SS;
    if (disp_size) {
        NEED(disp_size);
        in->disp = get_field(p + pos, disp_size);
        pos += disp_size;
    }
    return pos;
}

int x86_decode(const uint8_t *p, unsigned avail, bool d32, struct x86_insn *in)
{
    unsigned pos = 0;
    bool osize = false, asize = false;  /* 0x66 / 0x67 seen */

    memset(in, 0, sizeof *in);
    in->seg = X86_DS;
    in->base = in->index = -1;

    /* Prefixes, in any order and number (the 15-byte limit bounds them). */
    NEED(1);
    while (x86_opcodes[p[pos]].flags & X86_OPF_PREFIX) {
        uint8_t b = p[pos++];
        int seg = segment_prefix(b);
        if (seg >= 0) {
            in->seg = seg;
            in->seg_override = true;
        } else if (b == 0x66) {
            osize = true;
        } else if (b == 0x67) {
            asize = true;
        } else if (b == 0xF0) {
            in->lock = true;
        } else {
            in->rep = b;                /* F2 or F3: the last one wins, as on hardware */
        }
        NEED(1);
    }

    unsigned op = p[pos++];
    if (op == 0x0F) {
        NEED(1);
        op = 0x100 | p[pos++];
    }
    const struct x86_opcode *info = &x86_opcodes[op];
    unsigned opsize = (info->flags & X86_OPF_BYTE) ? 1 : (d32 != osize) ? 4 : 2;
    in->op = op;
    in->info = info;
    in->opsize = opsize;
    in->addrsize = (d32 != asize) ? 4 : 2;

    bool lockable = info->flags & X86_OPF_LOCK;
    bool undefined = !info->name;
    unsigned imm = info->imm;
    if (info->flags & X86_OPF_MODRM) {
        int r = decode_modrm(p, avail, pos, in);
        if (r <= 0)
            return r;
        pos = r;
        bool mem = in->mem;
        unsigned reg = in->reg;
        if (info->flags & X86_OPF_GROUP) {
            const struct x86_group_op *g = &x86_groups[info->group][reg];
            lockable = g->lock;
            undefined = !g->name || (g->mem_only && !mem);
            if ((op == 0xF6 || op == 0xF7) && reg >= 2)
                imm = X86_IMM_NONE;     /* only test (/0, /1) has an immediate */
        }
        if ((info->flags & X86_OPF_MEM) && !mem)
            undefined = true;
        lockable = lockable && mem;
    }
    /* lock is only for read-modify-write instructions on memory. */
    in->undefined = undefined || (in->lock && !lockable);

    unsigned z = opsize;                /* the size of an X86_IMM_Z (never a byte op) */
    switch (imm) {
    case X86_IMM_B:
        NEED(1);
        in->imm = get_field(p + pos, 1);
        pos += 1;
        break;
    case X86_IMM_W:
        NEED(2);
        in->imm = get16(p + pos);
        pos += 2;
        break;
    case X86_IMM_Z:
        NEED(z);
        in->imm = get_field(p + pos, z);
        pos += z;
        break;
    case X86_IMM_ENTER:
        NEED(3);
        in->imm = get16(p + pos);
        in->imm2 = p[pos + 2];
        pos += 3;
        break;
    case X86_IMM_FAR:
        NEED(z + 2);
        in->imm = get_field(p + pos, z);
        in->imm2 = get16(p + pos + z);
        pos += z + 2;
        break;
    case X86_IMM_MOFFS:
        /* The address is the whole memory operand: no ModRM, no registers. */
        NEED(in->addrsize);
        in->disp = get_field(p + pos, in->addrsize);
        in->mem = true;
        pos += in->addrsize;
        break;
    }
    in->len = pos;
    return pos;
}
