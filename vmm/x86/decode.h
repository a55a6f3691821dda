/*
 * decode.h - one decoded x86 instruction, and the opcode tables that say how
 * to decode each opcode (chapter 02-interpreter.md, "Decoding").
 *
 * The decoder turns raw bytes into a struct x86_insn without touching the
 * vCPU: prefixes, opcode, ModRM/SIB, displacement and immediates. The
 * executor (step.c and friends) and the disassembler (disasm.c) both start
 * from it, so they agree on every instruction's length.
 */
#ifndef VMM_X86_DECODE_H
#define VMM_X86_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#define X86_MAX_INSN_LEN 15             /* longer is #GP, even with legal prefixes */

/* Opcode flags (struct x86_opcode.flags). */
#define X86_OPF_MODRM  0x01             /* a ModRM byte follows the opcode */
#define X86_OPF_BYTE   0x02             /* operates on bytes whatever the prefixes */
#define X86_OPF_LOCK   0x04             /* lock allowed (with a memory destination) */
#define X86_OPF_GROUP  0x08             /* ModRM.reg picks the operation: see group */
#define X86_OPF_STRING 0x10             /* string instruction: rep prefixes apply */
#define X86_OPF_MEM    0x20             /* ModRM must name memory (lea, lds, lgdt...) */
#define X86_OPF_PREFIX 0x40             /* not an opcode: a prefix byte */

/* The immediate that follows the ModRM bytes (struct x86_opcode.imm). */
enum x86_imm_kind {
    X86_IMM_NONE,
    X86_IMM_B,                          /* 8 bits (sign-extended where the op says so) */
    X86_IMM_W,                          /* 16 bits (ret imm16, lret imm16) */
    X86_IMM_Z,                          /* 16 or 32 bits: the operand size */
    X86_IMM_ENTER,                      /* enter: imm16, then imm8 */
    X86_IMM_FAR,                        /* ptr16:16/32: offset (operand size), selector */
    X86_IMM_MOFFS,                      /* mov moffs: an address of address size */
};

/* Operand layouts, only for the disassembler (the executor knows by opcode).
 * E = ModRM r/m, G = ModRM reg, A = accumulator, I = immediate, Z = the
 * register in the low 3 opcode bits, J = relative jump target. */
enum x86_form {
    X86_FORM_NONE,
    X86_FORM_E,         X86_FORM_E_G,      X86_FORM_G_E,    X86_FORM_E_I,
    X86_FORM_A_I,       X86_FORM_Z,        X86_FORM_Z_I,    X86_FORM_A_Z,
    X86_FORM_J,         X86_FORM_I,        X86_FORM_SEG,    X86_FORM_A_M,
    X86_FORM_M_A,       X86_FORM_G_E_I,    X86_FORM_E_S,    X86_FORM_S_E,
    X86_FORM_E_G_I,     X86_FORM_E_G_CL,   X86_FORM_FAR,    X86_FORM_ENTER,
    X86_FORM_E_1,       X86_FORM_E_CL,     X86_FORM_G_EB,   X86_FORM_G_EW,
    X86_FORM_IN_I,      X86_FORM_IN_DX,    X86_FORM_OUT_I,  X86_FORM_OUT_DX,
    X86_FORM_R_CR,      X86_FORM_CR_R,     X86_FORM_STR_SD, X86_FORM_STR_D,
    X86_FORM_STR_S,     X86_FORM_STR_IN,   X86_FORM_STR_OUT, X86_FORM_STR_CMP,
    X86_FORM_STR_SCAS,  X86_FORM_XLAT,     X86_FORM_IND,    X86_FORM_EW,
};

/* Groups: opcodes whose ModRM.reg field selects the operation. */
enum x86_group {
    X86_GRP_NONE, X86_GRP_1, X86_GRP_1A, X86_GRP_2, X86_GRP_3, X86_GRP_4,
    X86_GRP_5, X86_GRP_6, X86_GRP_7, X86_GRP_8, X86_GRP_9, X86_GRP_11,
    X86_GRP_COUNT,
};

/* What the tables know about one opcode. */
struct x86_opcode {
    const char *name;                   /* AT&T mnemonic; NULL: undefined (#UD) */
    uint8_t     flags;                  /* X86_OPF_* */
    uint8_t     imm;                    /* enum x86_imm_kind */
    uint8_t     form;                   /* enum x86_form */
    uint8_t     group;                  /* enum x86_group, with X86_OPF_GROUP */
};

/* One group member: its name (NULL: #UD) and its operand layout. */
struct x86_group_op {
    const char *name;
    uint8_t     form;
    bool        lock;                   /* this member may take a lock prefix */
    bool        mem_only;               /* ModRM must name memory, else #UD */
};

extern const struct x86_opcode x86_opcodes[512];    /* [0x100 + b] is 0F b */
extern const struct x86_group_op x86_groups[X86_GRP_COUNT][8];

/* One decoded instruction. */
struct x86_insn {
    const struct x86_opcode *info;
    uint16_t op;                        /* 0x00-0xFF, or 0x100 + the byte after 0F */
    uint8_t  len;                       /* bytes, prefixes included */
    uint8_t  opsize;                    /* operand size in bytes: 1, 2 or 4 */
    uint8_t  addrsize;                  /* address size in bytes: 2 or 4 */
    uint8_t  seg;                       /* segment of a memory operand (enum x86_sreg) */
    uint8_t  rep;                       /* 0, 0xF3 (rep/repe) or 0xF2 (repne) */
    bool     lock;
    bool     seg_override;
    bool     undefined;                 /* the bytes decode, but the CPU raises #UD */
    bool     has_modrm;
    bool     mem;                       /* ModRM names memory (mod != 3) */
    uint8_t  mod, reg, rm;
    int8_t   base, index;               /* address registers, -1 when absent */
    uint8_t  scale;                     /* index is shifted left by this (0..3) */
    uint32_t disp;
    uint32_t imm;                       /* sign-extended for X86_IMM_B */
    uint32_t imm2;                      /* enter: nesting level; far: the selector */
};

/* Decode p[0..avail) as code of a segment whose default size is 32-bit
 * (d32) or 16-bit. Returns the length; 0 when more than avail bytes are
 * needed to tell; -1 when the instruction would exceed 15 bytes. */
int x86_decode(const uint8_t *p, unsigned avail, bool d32, struct x86_insn *in);

#endif
