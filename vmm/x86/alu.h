/*
 * alu.h - the arithmetic and logic unit of the interpreter: every integer
 * operation with the exact EFLAGS result (chapter 02-interpreter.md, "Flags").
 *
 * These functions are pure: operands in, result out, and the status flags
 * (CF, PF, AF, ZF, SF, OF) updated in *eflags. Sizes are in bytes (1, 2, 4);
 * operands may carry junk above the size, results never do. The executor
 * does the operand fetching and storing; the difftest compares these against
 * the host CPU.
 */
#ifndef VMM_X86_ALU_H
#define VMM_X86_ALU_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/x86/cpu.h"

#define X86_FLAGS_STATUS (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | \
                          X86_FLAG_ZF | X86_FLAG_SF | X86_FLAG_OF)

/* The eight classic operations, numbered as opcodes 00-3F and group 1 do. */
enum x86_alu_op { X86_ADD, X86_OR, X86_ADC, X86_SBB, X86_AND, X86_SUB, X86_XOR, X86_CMP };

/* The shifts and rotates, numbered as group 2 does (/6 is sal, the same as shl). */
enum x86_shift_op { X86_ROL, X86_ROR, X86_RCL, X86_RCR, X86_SHL, X86_SHR, X86_SAL, X86_SAR };

/* The bit tests, numbered as group 8 does (/4../7). */
enum x86_bt_op { X86_BT = 4, X86_BTS, X86_BTR, X86_BTC };

/* All-ones in the low size bytes. */
static inline uint32_t x86_size_mask(unsigned size)
{
    return size == 4 ? 0xFFFFFFFFu : (1u << (size * 8)) - 1;
}

/* Sign-extend the low size bytes of v. */
static inline uint32_t x86_sext(uint32_t v, unsigned size)
{
    return size == 1 ? (uint32_t)(int8_t)v : size == 2 ? (uint32_t)(int16_t)v : v;
}

/* a OP b; the result (a for cmp, whose result is only flags). */
uint32_t x86_alu(enum x86_alu_op op, unsigned size, uint32_t a, uint32_t b, uint32_t *eflags);

/* inc/dec (CF is kept) and neg (CF = operand != 0). */
uint32_t x86_inc_dec(bool dec, unsigned size, uint32_t a, uint32_t *eflags);
uint32_t x86_neg(unsigned size, uint32_t a, uint32_t *eflags);

/* Flags of the result of and/test (SF, ZF, PF; CF = OF = AF = 0). */
void x86_logic_flags(unsigned size, uint32_t r, uint32_t *eflags);

/* Shift or rotate a by count (masked to 5 bits, as the CPU does). */
uint32_t x86_shift(enum x86_shift_op op, unsigned size, uint32_t a, unsigned count,
                   uint32_t *eflags);

/* shld/shrd: shift dst by count, filling from src. */
uint32_t x86_shld(unsigned size, uint32_t dst, uint32_t src, unsigned count, uint32_t *eflags);
uint32_t x86_shrd(unsigned size, uint32_t dst, uint32_t src, unsigned count, uint32_t *eflags);

/* mul/imul with a double-size result: *hi:*lo = *lo * src. For size 1 the
 * result is 16 bits, all in *lo (AX); *hi is left alone. */
void x86_mul(bool is_signed, unsigned size, uint32_t src, uint32_t *lo, uint32_t *hi,
             uint32_t *eflags);

/* Two- and three-operand imul: the truncated product a*b. */
uint32_t x86_imul_trunc(unsigned size, uint32_t a, uint32_t b, uint32_t *eflags);

/* div/idiv: *hi:*lo / src, quotient to *lo, remainder to *hi (for size 1:
 * AX / src, AL = quotient, AH = remainder, all in *lo). Returns false when
 * the CPU raises #DE (division by zero or a quotient that does not fit);
 * then nothing is changed. */
bool x86_div(bool is_signed, unsigned size, uint32_t src, uint32_t *lo, uint32_t *hi,
             uint32_t *eflags);

/* bt/bts/btr/btc on bit (bit < size*8) of v: CF = the bit; returns the new v. */
uint32_t x86_bit_op(enum x86_bt_op op, uint32_t v, unsigned bit, uint32_t *eflags);

/* bsf/bsr: index of the lowest/highest set bit of src into *dst, ZF = 0;
 * src == 0 leaves *dst alone and sets ZF. */
void x86_bit_scan(bool reverse, unsigned size, uint32_t src, uint32_t *dst, uint32_t *eflags);

/* The decimal adjusts (daa das aaa aas, aam aad) on AL/AX. aam returns
 * false for base 0 (#DE). */
void x86_daa_das(bool das, uint32_t *eax, uint32_t *eflags);
void x86_aaa_aas(bool aas, uint32_t *eax, uint32_t *eflags);
bool x86_aam(uint8_t base, uint32_t *eax, uint32_t *eflags);
void x86_aad(uint8_t base, uint32_t *eax, uint32_t *eflags);

/* Condition code cc (the low 4 bits of jcc/setcc/cmovcc) against eflags. */
bool x86_condition(unsigned cc, uint32_t eflags);

#endif
