/*
 * alu.c - integer arithmetic with exact EFLAGS (chapter 02-interpreter.md,
 * "Flags").
 *
 * Flags are computed eagerly, right after each operation: a teaching
 * interpreter should show the flags in the register at every step, and the
 * bit tricks below cost a few host instructions each. The carry out of an
 * n-bit operation is bit n of the sum done in 64 bits; signed overflow is
 * "both operands had one sign and the result has the other"; the auxiliary
 * carry (AF, for BCD) is bit 4 of a ^ b ^ result.
 *
 * Where the SDM calls a flag "undefined" we produce what the Intel host this
 * was written on produces, as the difftest (tests/unit/test_x86_difftest.c)
 * checks; each such choice says so where it is made.
 */
#include "vmm/x86/alu.h"

#include "vmm/lab.h"

#define CF X86_FLAG_CF
#define PF X86_FLAG_PF
#define AF X86_FLAG_AF
#define ZF X86_FLAG_ZF
#define SF X86_FLAG_SF
#define OF X86_FLAG_OF

/* SF, ZF and PF of a result r of size bytes (r has no bits above the size).
 * PF is even parity of the low byte only, a relic of the 8080. */
static inline uint32_t szp(uint32_t r, unsigned size)
{
    uint32_t f = (r >> (size * 8 - 8)) & SF;
    if (r == 0)
        f |= ZF;
    if (!__builtin_parity(r & 0xFF))
        f |= PF;
    return f;
}

/* Replace the flags in mask by those in f. */
static inline void set_flags(uint32_t *eflags, uint32_t mask, uint32_t f)
{
    *eflags = (*eflags & ~mask) | f;
}

/* Bit (size*8 - 1) of v, as 0 or 1. */
static inline uint32_t msb(uint32_t v, unsigned size)
{
    return (v >> (size * 8 - 1)) & 1;
}

/* OF from the sign bits of an addition a + b = r, or a subtraction a - b = r. */
static inline uint32_t of_add(uint32_t a, uint32_t b, uint32_t r, unsigned size)
{
    return msb((a ^ r) & (b ^ r), size) ? OF : 0;
}
static inline uint32_t of_sub(uint32_t a, uint32_t b, uint32_t r, unsigned size)
{
    return msb((a ^ b) & (a ^ r), size) ? OF : 0;
}

uint32_t x86_alu(enum x86_alu_op op, unsigned size, uint32_t a, uint32_t b, uint32_t *eflags)
{
    uint32_t mask = x86_size_mask(size);
    uint32_t carry = *eflags & CF;
    uint32_t r, f;
    uint64_t wide;

    a &= mask;
    b &= mask;
    switch (op) {
    case X86_ADD:
    case X86_ADC:
        wide = (uint64_t)a + b + (op == X86_ADC ? carry : 0);
        r = (uint32_t)wide & mask;
        f = (uint32_t)(wide >> (size * 8)) & CF;
        f |= of_add(a, b, r, size) | ((a ^ b ^ r) & AF);
        break;
    case X86_SUB:
    case X86_SBB:
    case X86_CMP:
        /* A borrow makes the 64-bit difference wrap: bit size*8 is then 1. */
        wide = (uint64_t)a - b - (op == X86_SBB ? carry : 0);
        r = (uint32_t)wide & mask;
        f = (uint32_t)(wide >> (size * 8)) & CF;
        f |= of_sub(a, b, r, size) | ((a ^ b ^ r) & AF);
        break;
    case X86_AND:
        r = a & b;
        f = 0;                          /* AF undefined: the host clears it */
        break;
    case X86_OR:
        r = a | b;
        f = 0;
        break;
    default: /* X86_XOR */
        r = a ^ b;
        f = 0;
        break;
    }
    set_flags(eflags, X86_FLAGS_STATUS, f | szp(r, size));
    return op == X86_CMP ? a : r;
}

uint32_t x86_inc_dec(bool dec, unsigned size, uint32_t a, uint32_t *eflags)
{
    uint32_t mask = x86_size_mask(size);
    a &= mask;
    uint32_t r = (dec ? a - 1 : a + 1) & mask;
    uint32_t f = dec ? of_sub(a, 1, r, size) : of_add(a, 1, r, size);
    f |= ((a ^ 1 ^ r) & AF) | szp(r, size);
    set_flags(eflags, X86_FLAGS_STATUS & ~CF, f);
    return r;
}

uint32_t x86_neg(unsigned size, uint32_t a, uint32_t *eflags)
{
    uint32_t mask = x86_size_mask(size);
    a &= mask;
    uint32_t r = (0 - a) & mask;
    uint32_t f = (a != 0 ? CF : 0) | of_sub(0, a, r, size) | ((a ^ r) & AF) | szp(r, size);
    set_flags(eflags, X86_FLAGS_STATUS, f);
    return r;
}

void x86_logic_flags(unsigned size, uint32_t r, uint32_t *eflags)
{
    set_flags(eflags, X86_FLAGS_STATUS, szp(r & x86_size_mask(size), size));
}

/*
 * Shifts and rotates. The count is masked to 5 bits first; a masked count of
 * 0 changes nothing, not even flags. Rotates touch only CF and OF.
 *
 * OF is defined by the SDM for 1-bit shifts only. For larger counts the
 * host (an Intel Xeon; checked by the difftest in strict mode) gives the
 * 1-bit formula applied to the *original* operand, and so do we; of1()
 * computes it. An rcl/rcr whose count is a multiple of 9 (bytes) or 17
 * (words) rotates nothing and leaves both flags alone.
 */
/* BEGIN SOLUTION(lab=1) */
static uint32_t of1(enum x86_shift_op op, unsigned size, uint32_t a, uint32_t cf_in)
{
    uint32_t top = msb(a, size), next = msb(a << 1, size);
    switch (op) {
    case X86_ROR: return (a & 1) ^ top;
    case X86_RCR: return top ^ cf_in;
    case X86_SHR: return top;
    case X86_SAR: return 0;
    default:      return top ^ next;    /* rol, rcl, shl: the sign changed */
    }
}
/* END SOLUTION */

uint32_t x86_shift(enum x86_shift_op op, unsigned size, uint32_t a, unsigned count,
                   uint32_t *eflags)
{
    /* BEGIN SOLUTION(lab=1) */
    unsigned bits = size * 8;
    uint32_t mask = x86_size_mask(size);
    uint32_t r, cf;

    a &= mask;
    count &= 31;
    if (count == 0)
        return a;
    uint32_t of = of1(op, size, a, *eflags & CF) ? OF : 0;
    switch (op) {
    case X86_ROL: {
        unsigned n = count % bits;
        r = n ? ((a << n) | (a >> (bits - n))) & mask : a;
        set_flags(eflags, CF | OF, (r & 1) | of);
        return r;
    }
    case X86_ROR: {
        unsigned n = count % bits;
        r = n ? ((a >> n) | (a << (bits - n))) & mask : a;
        set_flags(eflags, CF | OF, msb(r, size) | of);
        return r;
    }
    case X86_RCL:
    case X86_RCR: {
        /* Rotate the (bits+1)-bit value CF:a. */
        unsigned width = bits + 1;
        unsigned n = count % width;
        if (n == 0)
            return a;
        uint64_t wmask = ((uint64_t)1 << width) - 1;
        uint64_t v = ((uint64_t)(*eflags & CF) << bits) | a;
        if (op == X86_RCL)
            v = ((v << n) | (v >> (width - n))) & wmask;
        else
            v = ((v >> n) | (v << (width - n))) & wmask;
        r = (uint32_t)v & mask;
        set_flags(eflags, CF | OF, ((uint32_t)(v >> bits) & 1) | of);
        return r;
    }
    case X86_SHL:
    case X86_SAL: {
        uint64_t wide = (uint64_t)a << count;
        r = (uint32_t)wide & mask;
        cf = (uint32_t)(wide >> bits) & 1;
        break;
    }
    case X86_SHR:
        r = a >> count;
        cf = (a >> (count - 1)) & 1;
        break;
    default: { /* X86_SAR */
        int32_t sa = (int32_t)x86_sext(a, size);
        r = (uint32_t)(sa >> count) & mask;
        cf = (uint32_t)(sa >> (count - 1)) & 1;
        break;
    }
    }
    /* AF is undefined for shifts; the host clears it. */
    set_flags(eflags, X86_FLAGS_STATUS, cf | of | szp(r, size));
    return r;
    /* STUB: (void)op; (void)size; (void)a; (void)count; (void)eflags; return (uint32_t)lab_todo("LAB 1 task 1: x86_shift (shifts and rotates)"); */
    /* END SOLUTION */
}

/*
 * shld/shrd. For 32 bits, shift the 64-bit pair and keep one half. A 16-bit
 * shift by more than 16 is undefined; the host (like every P6 and later)
 * shifts the 48-bit value dst:src:dst, so we do too. OF for counts above 1
 * is undefined too; the host gives the 1-bit formula on the original
 * operands (as for the shifts above), and AF = 0.
 */
uint32_t x86_shld(unsigned size, uint32_t dst, uint32_t src, unsigned count, uint32_t *eflags)
{
    uint32_t mask = x86_size_mask(size);
    uint64_t v;
    unsigned width;

    count &= 31;
    dst &= mask;
    if (count == 0)
        return dst;
    if (size == 4) {
        v = (uint64_t)dst << 32 | src;
        width = 64;
    } else {
        v = (uint64_t)dst << 32 | (uint64_t)(src & 0xFFFF) << 16 | dst;
        width = 48;
    }
    /* The result sits in bits 32.. of the shifted value for both sizes. */
    uint32_t r = (uint32_t)((v << count) >> 32) & mask;
    uint32_t cf = (uint32_t)(v >> (width - count)) & 1;
    uint32_t of = msb(dst, size) ^ msb(dst << 1, size);
    set_flags(eflags, X86_FLAGS_STATUS, cf | (of ? OF : 0) | szp(r, size));
    return r;
}

uint32_t x86_shrd(unsigned size, uint32_t dst, uint32_t src, unsigned count, uint32_t *eflags)
{
    uint32_t mask = x86_size_mask(size);
    uint64_t v;

    count &= 31;
    dst &= mask;
    if (count == 0)
        return dst;
    if (size == 4)
        v = (uint64_t)src << 32 | dst;
    else
        v = (uint64_t)dst << 32 | (uint64_t)(src & 0xFFFF) << 16 | dst;
    uint32_t r = (uint32_t)(v >> count) & mask;
    uint32_t cf = (uint32_t)(v >> (count - 1)) & 1;
    uint32_t of = msb(dst, size) ^ (src & 1);
    set_flags(eflags, X86_FLAGS_STATUS, cf | (of ? OF : 0) | szp(r, size));
    return r;
}

/*
 * Multiplication: CF = OF = "the upper half is significant". SF, ZF, AF and
 * PF are undefined; the host sets SF and PF from the low half of the
 * product, clears ZF and AF, and so do we (mul_flags).
 */
static uint32_t mul_flags(bool big, uint32_t low, unsigned size)
{
    return (big ? CF | OF : 0) | (szp(low & x86_size_mask(size), size) & (SF | PF));
}

void x86_mul(bool is_signed, unsigned size, uint32_t src, uint32_t *lo, uint32_t *hi,
             uint32_t *eflags)
{
    uint32_t mask = x86_size_mask(size);
    uint64_t product;
    bool big;

    if (is_signed) {
        int64_t p = (int64_t)(int32_t)x86_sext(*lo, size) * (int32_t)x86_sext(src, size);
        product = (uint64_t)p;
        big = p != (int64_t)(int32_t)x86_sext((uint32_t)p, size);
    } else {
        product = (uint64_t)(*lo & mask) * (src & mask);
        big = (product >> (size * 8)) != 0;
    }
    if (size == 1) {
        *lo = (*lo & ~0xFFFFu) | ((uint32_t)product & 0xFFFF);
    } else {
        *lo = (*lo & ~mask) | ((uint32_t)product & mask);
        *hi = (*hi & ~mask) | ((uint32_t)(product >> (size * 8)) & mask);
    }
    set_flags(eflags, X86_FLAGS_STATUS, mul_flags(big, (uint32_t)product, size));
}

uint32_t x86_imul_trunc(unsigned size, uint32_t a, uint32_t b, uint32_t *eflags)
{
    int64_t p = (int64_t)(int32_t)x86_sext(a, size) * (int32_t)x86_sext(b, size);
    uint32_t r = (uint32_t)p & x86_size_mask(size);
    bool big = p != (int64_t)(int32_t)x86_sext(r, size);
    set_flags(eflags, X86_FLAGS_STATUS, mul_flags(big, r, size));
    return r;
}

/*
 * Division, done on magnitudes in 64 bits so that no host division can trap
 * (INT64_MIN / -1 would). All flags are undefined; we leave them unchanged.
 */
bool x86_div(bool is_signed, unsigned size, uint32_t src, uint32_t *lo, uint32_t *hi,
             uint32_t *eflags)
{
    unsigned bits = size * 8;
    uint32_t mask = x86_size_mask(size);
    uint64_t dividend;

    (void)eflags;
    src &= mask;
    if (src == 0)
        return false;
    if (size == 1)
        dividend = *lo & 0xFFFF;
    else
        dividend = (uint64_t)(*hi & mask) << bits | (*lo & mask);

    uint64_t q, r;
    if (is_signed) {
        /* Sign-extend the 2*bits-bit dividend and the divisor. */
        unsigned shift = 64 - 2 * bits;
        int64_t n = (int64_t)(dividend << shift) >> shift;
        int64_t d = (int32_t)x86_sext(src, size);
        uint64_t un = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;
        uint64_t ud = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
        uint64_t uq = un / ud, ur = un % ud;
        bool neg_q = (n < 0) != (d < 0);
        /* The quotient must fit in a signed bits-bit value. */
        uint64_t limit = (uint64_t)1 << (bits - 1);
        if (neg_q ? uq > limit : uq >= limit)
            return false;
        q = neg_q ? 0 - uq : uq;
        r = n < 0 ? 0 - ur : ur;       /* the remainder has the dividend's sign */
    } else {
        q = dividend / src;
        r = dividend % src;
        if (q > mask)
            return false;
    }
    if (size == 1) {
        *lo = (*lo & ~0xFFFFu) | ((uint32_t)(r & 0xFF) << 8) | ((uint32_t)q & 0xFF);
    } else {
        *lo = (*lo & ~mask) | ((uint32_t)q & mask);
        *hi = (*hi & ~mask) | ((uint32_t)r & mask);
    }
    return true;
}

uint32_t x86_bit_op(enum x86_bt_op op, uint32_t v, unsigned bit, uint32_t *eflags)
{
    uint32_t m = 1u << bit;
    set_flags(eflags, CF, (v & m) ? CF : 0);
    switch (op) {
    case X86_BTS: return v | m;
    case X86_BTR: return v & ~m;
    case X86_BTC: return v ^ m;
    default:      return v;
    }
}

/* Only ZF is defined. The host clears CF, OF, SF and AF and sets PF from
 * the index found (from 0 when there is none), and so do we. */
void x86_bit_scan(bool reverse, unsigned size, uint32_t src, uint32_t *dst, uint32_t *eflags)
{
    src &= x86_size_mask(size);
    if (src == 0) {
        set_flags(eflags, X86_FLAGS_STATUS, ZF | PF);
        return;
    }
    uint32_t index = reverse ? 31 - (unsigned)__builtin_clz(src) : (unsigned)__builtin_ctz(src);
    *dst = (*dst & ~x86_size_mask(size)) | index;
    set_flags(eflags, X86_FLAGS_STATUS, szp(index, 4) & PF);
}

/* The decimal adjusts follow the SDM's pseudo-code line by line. */
void x86_daa_das(bool das, uint32_t *eax, uint32_t *eflags)
{
    uint32_t al = *eax & 0xFF, old_al = al;
    uint32_t old_cf = *eflags & CF, f = 0;

    if ((al & 0x0F) > 9 || (*eflags & AF)) {
        f |= AF | old_cf;
        if (das) {
            f |= al < 6 ? CF : 0;
            al = (al - 6) & 0xFF;
        } else {
            f |= al + 6 > 0xFF ? CF : 0;
            al = (al + 6) & 0xFF;
        }
    }
    if (old_al > 0x99 || old_cf) {
        al = (das ? al - 0x60 : al + 0x60) & 0xFF;
        f |= CF;
    } else if (!das) {
        f &= ~CF;
    }
    *eax = (*eax & ~0xFFu) | al;
    set_flags(eflags, X86_FLAGS_STATUS, f | szp(al, 1));
}

void x86_aaa_aas(bool aas, uint32_t *eax, uint32_t *eflags)
{
    uint32_t ax = *eax & 0xFFFF;
    uint32_t f = 0;

    if ((ax & 0x0F) > 9 || (*eflags & AF)) {
        ax = aas ? ((ax - 6) & 0xFF) | ((ax - 0x100) & 0xFF00) : ax + 0x106;
        f = AF | CF;
    }
    ax = (ax & 0xFF00) | (ax & 0x0F);
    *eax = (*eax & ~0xFFFFu) | (ax & 0xFFFF);
    set_flags(eflags, X86_FLAGS_STATUS, f | szp(ax & 0xFF, 1));
}

bool x86_aam(uint8_t base, uint32_t *eax, uint32_t *eflags)
{
    if (base == 0)
        return false;
    uint32_t al = *eax & 0xFF;
    uint32_t ax = (al / base) << 8 | (al % base);
    *eax = (*eax & ~0xFFFFu) | ax;
    set_flags(eflags, X86_FLAGS_STATUS, szp(ax & 0xFF, 1));
    return true;
}

void x86_aad(uint8_t base, uint32_t *eax, uint32_t *eflags)
{
    uint32_t al = ((*eax & 0xFF) + ((*eax >> 8) & 0xFF) * base) & 0xFF;
    *eax = (*eax & ~0xFFFFu) | al;
    set_flags(eflags, X86_FLAGS_STATUS, szp(al, 1));
}

bool x86_condition(unsigned cc, uint32_t f)
{
    bool r;
    switch ((cc >> 1) & 7) {
    case 0: r = f & OF; break;                              /* o */
    case 1: r = f & CF; break;                              /* b, c */
    case 2: r = f & ZF; break;                              /* e, z */
    case 3: r = f & (CF | ZF); break;                       /* be */
    case 4: r = f & SF; break;                              /* s */
    case 5: r = f & PF; break;                              /* p */
    case 6: r = !(f & SF) != !(f & OF); break;              /* l */
    default: r = (f & ZF) || !(f & SF) != !(f & OF); break; /* le */
    }
    return r != (cc & 1);               /* odd codes are the negations */
}
