/*
 * test_x86_alu.c - the integer instructions, one group at a time, with
 * every defined flag checked (chapter 02-interpreter.md, "Flags"). The
 * difftest compares with the host CPU at random; these cases pin down the
 * edges by hand: carries, overflows, counts of 0 and 1, divide faults, the
 * BCD adjusts (which a 64-bit host cannot run), bit offsets outside the
 * operand, and the ALU functions' contracts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmm/x86/alu.h"
#include "x86-run.h"

#define CF X86_FLAG_CF
#define PF X86_FLAG_PF
#define AF X86_FLAG_AF
#define ZF X86_FLAG_ZF
#define SF X86_FLAG_SF
#define OF X86_FLAG_OF
#define STATUS X86_FLAGS_STATUS

/* One instruction on EAX/ECX/EDX with flags in; expected EAX/EDX and flags. */
struct alu_case {
    const char *what;
    uint8_t code[8];
    unsigned len;
    uint32_t eax, ecx, edx, flags_in;
    uint32_t want_eax, want_edx, want_flags;    /* flags: the STATUS bits */
};

static const struct alu_case cases[] = {
    /* add/adc/sub/sbb/cmp: 01 c8 = add %ecx,%eax etc. */
    { "add overflow", { 0x01, 0xC8 }, 2, 0x7FFFFFFF, 1, 0, 0, 0x80000000, 0, SF | OF | AF | PF },
    { "add carry", { 0x01, 0xC8 }, 2, 0xFFFFFFFF, 1, 0, 0, 0, 0, CF | ZF | AF | PF },
    { "adc carry in", { 0x11, 0xC8 }, 2, 0xFFFFFFFF, 0, 0, CF, 0, 0, CF | ZF | AF | PF },
    { "sub borrow", { 0x29, 0xC8 }, 2, 0, 1, 0, 0, 0xFFFFFFFF, 0, CF | SF | AF | PF },
    { "sub overflow", { 0x29, 0xC8 }, 2, 0x80000000, 1, 0, 0, 0x7FFFFFFF, 0, OF | AF | PF },
    { "sbb borrow in", { 0x19, 0xC8 }, 2, 5, 5, 0, CF, 0xFFFFFFFF, 0, CF | SF | AF | PF },
    { "cmp equal keeps eax", { 0x39, 0xC8 }, 2, 42, 42, 0, CF, 42, 0, ZF | PF },
    { "add byte al,cl", { 0x00, 0xC8 }, 2, 0x12345680, 0x80, 0, 0, 0x12345600, 0, CF | ZF | OF | PF },
    { "add word", { 0x66, 0x01, 0xC8 }, 3, 0xAAAA8000, 0x8000, 0, 0, 0xAAAA0000, 0, CF | ZF | OF | PF },
    { "add al,imm", { 0x04, 0x0F }, 2, 0x01, 0, 0, 0, 0x10, 0, AF },
    { "sub ah,ch", { 0x28, 0xEC }, 2, 0x0100, 0x0200, 0, 0, 0xFF00, 0, CF | SF | PF | AF },
    /* logic: CF = OF = 0, AF = 0 (the host's choice) */
    { "and", { 0x21, 0xC8 }, 2, 0xF0F0F0F0, 0x0F0F0F0F, 0, CF | OF | AF, 0, 0, ZF | PF },
    { "or sign", { 0x09, 0xC8 }, 2, 0x80000000, 1, 0, CF, 0x80000001, 0, SF },
    { "xor self", { 0x31, 0xC0 }, 2, 1234, 0, 0, 0, 0, 0, ZF | PF },
    { "test", { 0x85, 0xC8 }, 2, 0x80, 0x80, 0, OF, 0x80, 0, 0 },
    { "test al,imm", { 0xA8, 0x01 }, 2, 0x02, 0, 0, 0, 0x02, 0, ZF | PF },
    /* inc/dec keep CF; neg sets it for nonzero */
    { "inc keeps CF", { 0xFF, 0xC0 }, 2, 0x7FFFFFFF, 0, 0, CF, 0x80000000, 0, CF | SF | OF | AF | PF },
    { "dec to zero", { 0x48 }, 1, 1, 0, 0, 0, 0, 0, ZF | PF },
    { "dec word wraps", { 0x66, 0x48 }, 2, 0x10000, 0, 0, 0, 0x1FFFF, 0, SF | AF | PF },
    { "neg zero", { 0xF7, 0xD8 }, 2, 0, 0, 0, CF, 0, 0, ZF | PF },
    { "neg min", { 0xF7, 0xD8 }, 2, 0x80000000, 0, 0, 0, 0x80000000, 0, CF | SF | OF | PF },
    { "not no flags", { 0xF7, 0xD0 }, 2, 0x0F0F0F0F, 0, 0, CF | ZF, 0xF0F0F0F0, 0, CF | ZF },
    /* shifts: count 0 changes nothing; count 1 defines OF */
    { "shl by 0 keeps flags", { 0xD3, 0xE0 }, 2, 0x81, 0x20, 0, CF | OF | ZF, 0x81, 0, CF | OF | ZF },
    { "shl by 1", { 0xD1, 0xE0 }, 2, 0xC0000000, 0, 0, 0, 0x80000000, 0, CF | SF | PF },
    { "shl by 1 overflow", { 0xD1, 0xE0 }, 2, 0x40000000, 0, 0, 0, 0x80000000, 0, SF | OF | PF },
    { "shr by 1", { 0xD1, 0xE8 }, 2, 0x80000001, 0, 0, 0, 0x40000000, 0, CF | OF | PF },
    { "sar by 4", { 0xC1, 0xF8, 4 }, 3, 0x80000008, 0, 0, 0, 0xF8000000, 0, CF | SF | PF },
    { "shl byte by 9", { 0xD2, 0xE0 }, 2, 0xFF, 9, 0, 0, 0, 0, ZF | PF },
    { "rol by 1", { 0xD1, 0xC0 }, 2, 0x80000000, 0, 0, 0, 1, 0, CF | OF },
    { "ror by 1", { 0xD1, 0xC8 }, 2, 1, 0, 0, ZF, 0x80000000, 0, CF | OF | ZF },
    { "rcl through CF", { 0xD1, 0xD0 }, 2, 0x80000000, 0, 0, CF, 1, 0, CF | OF },
    { "rcr through CF", { 0xD1, 0xD8 }, 2, 1, 0, 0, CF, 0x80000000, 0, CF | OF },
    { "rcl byte by 9 is a no-op", { 0xD2, 0xD0 }, 2, 0x55, 9, 0, CF | OF, 0x55, 0, CF | OF },
    { "shld", { 0x0F, 0xA5, 0xD0 }, 3, 0x12345678, 8, 0x9ABCDEF0, 0, 0x3456789A, 0x9ABCDEF0, PF },
    { "shrd", { 0x0F, 0xAD, 0xD0 }, 3, 0x12345678, 4, 0x9ABCDEF0, 0, 0x01234567, 0x9ABCDEF0, CF },
    /* mul/imul: CF = OF = significant upper half */
    { "mul 32", { 0xF7, 0xE1 }, 2, 0x80000000, 4, 0, 0, 0, 2, CF | OF | PF },
    { "mul 8", { 0xF6, 0xE1 }, 2, 0x10, 0x10, 0xDD, 0, 0x100, 0xDD, CF | OF | PF },
    { "imul -1 * -1", { 0xF7, 0xE9 }, 2, 0xFFFFFFFF, 0xFFFFFFFF, 0, CF | OF, 1, 0, 0 },
    { "imul 2-op overflow", { 0x0F, 0xAF, 0xC1 }, 3, 0x10000, 0x10000, 0, 0, 0, 0, CF | OF | PF },
    { "imul 3-op", { 0x6B, 0xC1, 0xFD }, 3, 0, 7, 0, 0, 0xFFFFFFEB, 0, SF | PF },
    /* div/idiv: flags unchanged */
    { "div 64/32", { 0xF7, 0xF1 }, 2, 0x00000005, 0x10, 1, ZF, 0x10000000, 5, ZF },
    { "idiv negative", { 0xF7, 0xF9 }, 2, 0xFFFFFFF9, 2, 0xFFFFFFFF, 0, 0xFFFFFFFD, 0xFFFFFFFF, 0 },
    { "div 8", { 0xF6, 0xF1 }, 2, 0x0107, 0x10, 0, 0, 0x0710, 0, 0 },
    /* bit scans and tests */
    { "bsf", { 0x0F, 0xBC, 0xC1 }, 3, 0xDEAD, 0x80, 0, CF | ZF, 7, 0, 0 },
    { "bsr", { 0x0F, 0xBD, 0xC1 }, 3, 0xDEAD, 0x80000001, 0, ZF, 31, 0, 0 },
    { "bsf zero keeps dest", { 0x0F, 0xBC, 0xC1 }, 3, 0xDEAD, 0, 0, 0, 0xDEAD, 0, ZF | PF },
    { "bts reg mod 32", { 0x0F, 0xAB, 0xC8 }, 3, 0, 33, 0, ZF, 2, 0, ZF },
    { "btr imm", { 0x0F, 0xBA, 0xF0, 3 }, 4, 0xFF, 0, 0, 0, 0xF7, 0, CF },
    /* cmpxchg and xadd */
    { "cmpxchg equal", { 0x0F, 0xB1, 0xCA }, 3, 7, 9, 7, 0, 7, 9, ZF | PF },
    { "cmpxchg differs", { 0x0F, 0xB1, 0xCA }, 3, 6, 9, 7, 0, 7, 7, CF | SF | AF | PF },
    { "xadd", { 0x0F, 0xC1, 0xC8 }, 3, 1, 2, 0, 0, 3, 0, PF },
    /* BCD adjusts (invalid in 64-bit mode: not in the difftest) */
    { "daa", { 0x27 }, 1, 0x0F, 0, 0, 0, 0x15, 0, AF },
    { "daa carry", { 0x27 }, 1, 0x9A, 0, 0, 0, 0x00, 0, CF | AF | ZF | PF },
    { "das", { 0x2F }, 1, 0x10, 0, 0, AF, 0x0A, 0, AF | PF },
    { "aaa", { 0x37 }, 1, 0x000B, 0, 0, 0, 0x0101, 0, CF | AF },
    { "aas", { 0x3F }, 1, 0x0205, 0, 0, AF, 0x010F, 0, CF | AF | PF },
    { "aam", { 0xD4, 0x0A }, 2, 0x0041, 0, 0, 0, 0x0605, 0, PF },
    { "aad", { 0xD5, 0x0A }, 2, 0x0605, 0, 0, 0, 0x0041, 0, PF },
    /* flag instructions */
    { "cmc", { 0xF5 }, 1, 0, 0, 0, CF, 0, 0, 0 },
    { "stc", { 0xF9 }, 1, 0, 0, 0, 0, 0, 0, CF },
    { "sahf", { 0x9E }, 1, 0xD500, 0, 0, OF, 0xD500, 0, OF | SF | ZF | AF | PF | CF },
    { "lahf", { 0x9F }, 1, 0, 0, 0, SF | CF, 0x8300, 0, SF | CF },
    { "setnz", { 0x0F, 0x95, 0xC0 }, 3, 0xFFFFFFFF, 0, 0, 0, 0xFFFFFF01, 0, 0 },
    { "cmovl taken", { 0x0F, 0x4C, 0xC1 }, 3, 1, 2, 0, SF, 2, 0, SF },
    { "cbw", { 0x66, 0x98 }, 2, 0x12340080, 0, 0, 0, 0x1234FF80, 0, 0 },
    { "cdq", { 0x99 }, 1, 0x80000000, 0, 0, 0, 0x80000000, 0xFFFFFFFF, 0 },
};

static void test_alu_cases(void **state)
{
    (void)state;
    unsigned failures = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct alu_case *c = &cases[i];
        run_setup();
        run_code_at(RUN_CODE, c->code, c->len);
        cpu.gpr[X86_EAX] = c->eax;
        cpu.gpr[X86_ECX] = c->ecx;
        cpu.gpr[X86_EDX] = c->edx;
        cpu.eflags = X86_FLAG_FIXED | c->flags_in;
        assert_int_equal(x86_step(&cpu, &run_env), X86_STEP_OK);
        if (cpu.gpr[X86_EAX] != c->want_eax || cpu.gpr[X86_EDX] != c->want_edx ||
            (cpu.eflags & STATUS) != c->want_flags || cpu.eip != RUN_CODE + c->len) {
            print_error("%s: eax %#x (want %#x) edx %#x (want %#x) flags %#x (want %#x) eip %#x\n",
                        c->what, cpu.gpr[X86_EAX], c->want_eax, cpu.gpr[X86_EDX], c->want_edx,
                        cpu.eflags & STATUS, c->want_flags, cpu.eip);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* After a fault: EIP at the handler, the faulting EIP pushed (and no error code). */
static void assert_fault_at(unsigned vector, uint32_t eip)
{
    assert_int_equal(cpu.eip, run_handler(vector));
    assert_int_equal(fake_read32(cpu.gpr[X86_ESP]), eip);
}

static void test_divide_errors(void **state)
{
    (void)state;
    static const struct { uint8_t code[2]; uint32_t eax, ecx, edx; } faults[] = {
        { { 0xF7, 0xF1 }, 1, 0, 0 },                        /* div by zero */
        { { 0xF7, 0xF1 }, 0, 1, 1 },                        /* quotient 2^32 */
        { { 0xF7, 0xF9 }, 0, 0xFFFFFFFF, 0x80000000 },      /* idiv INT64_MIN / -1 */
        { { 0xF7, 0xF9 }, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFF }, /* quotient +2^31 */
        { { 0xF6, 0xF1 }, 0x100, 1, 0 },                    /* byte quotient 256 */
        { { 0xD4, 0x00 }, 5, 0, 0 },                        /* aam 0 */
    };
    for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++) {
        run_setup();
        run_code_at(RUN_CODE, faults[i].code, 2);
        cpu.gpr[X86_EAX] = faults[i].eax;
        cpu.gpr[X86_ECX] = faults[i].ecx;
        cpu.gpr[X86_EDX] = faults[i].edx;
        assert_int_equal(x86_step(&cpu, &run_env), X86_STEP_OK);
        assert_fault_at(X86_DE, RUN_CODE);
        assert_int_equal(cpu.gpr[X86_EAX], faults[i].eax);     /* nothing changed */
        assert_int_equal(cpu.gpr[X86_EDX], faults[i].edx);
        assert_int_equal(cpu.instructions, 0);
    }
    /* The edge that does fit: -2^31 as a quotient. */
    run_setup();
    RUN_CODE_BYTES(0xF7, 0xF9);
    cpu.gpr[X86_EAX] = 0x80000000;
    cpu.gpr[X86_EDX] = 0xFFFFFFFF;
    cpu.gpr[X86_ECX] = 1;
    assert_int_equal(x86_step(&cpu, &run_env), X86_STEP_OK);
    assert_int_equal(cpu.eip, RUN_CODE + 2);
    assert_int_equal(cpu.gpr[X86_EAX], 0x80000000);
}

/* bt with a register offset on memory reaches outside the operand. */
static void test_bit_offsets_in_memory(void **state)
{
    (void)state;
    run_setup();
    /* bts %ecx,(%ebx); btr %ecx,(%ebx) with ecx = 100 and then -1 */
    RUN_CODE_BYTES(0x0F, 0xAB, 0x0B, 0x0F, 0xAB, 0x0B, 0x0F, 0xA3, 0x0B, 0x66, 0x0F, 0xBA, 0x2B, 0x23);
    cpu.gpr[X86_EBX] = RUN_DATA + 64;
    cpu.gpr[X86_ECX] = 100;
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(fake_read32(RUN_DATA + 64 + 12), 1u << 4);     /* 100 = 3*32 + 4 */
    assert_false(cpu.eflags & CF);
    cpu.gpr[X86_ECX] = (uint32_t)-1;                                 /* bit 31 of ebx-4 */
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(fake_read32(RUN_DATA + 60), 0x80000000u);
    assert_int_equal(run_steps(1), X86_STEP_OK);                     /* bt: CF = 1 */
    assert_true(cpu.eflags & CF);
    /* btsw $0x23,(%ebx): an immediate is taken modulo 16: bit 3 */
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_int_equal(fake.ram[RUN_DATA + 64], 0x08);
}

/* Read-modify-write on memory, and the lock prefix rules. */
static void test_memory_forms_and_lock(void **state)
{
    (void)state;
    run_setup();
    /* lock addl $5,(%ebx); lock xaddl %eax,(%ebx); lock incl %eax (#UD: register) */
    RUN_CODE_BYTES(0xF0, 0x83, 0x03, 0x05, 0xF0, 0x0F, 0xC1, 0x03, 0xF0, 0xFF, 0xC0);
    cpu.gpr[X86_EBX] = RUN_DATA;
    fake_write32(RUN_DATA, 10);
    cpu.gpr[X86_EAX] = 100;
    assert_int_equal(run_steps(2), X86_STEP_OK);
    assert_int_equal(fake_read32(RUN_DATA), 115);
    assert_int_equal(cpu.gpr[X86_EAX], 15);
    assert_int_equal(run_steps(1), X86_STEP_OK);
    assert_fault_at(X86_UD, RUN_CODE + 8);
    assert_int_equal(cpu.gpr[X86_EAX], 15);
}

/* The ALU functions' own contracts, without the executor around them. */
static void test_alu_functions(void **state)
{
    (void)state;
    uint32_t fl = X86_FLAG_FIXED, lo, hi;
    assert_int_equal(x86_alu(X86_ADD, 1, 0x1FF, 0x101, &fl), 0);    /* junk above the size */
    assert_int_equal(fl & STATUS, CF | ZF | AF | PF);
    assert_int_equal(x86_shift(X86_SAR, 2, 0x8000, 20, &fl), 0xFFFF);
    assert_true(fl & CF);
    lo = 0x1234;
    assert_false(x86_div(false, 2, 0, &lo, &hi, &fl));
    assert_int_equal(lo, 0x1234);
    for (unsigned cc = 0; cc < 16; cc += 2)                         /* odd codes negate */
        assert_true(x86_condition(cc, fl) != x86_condition(cc + 1, fl));
    assert_true(x86_condition(0xC, SF));                            /* jl: SF != OF */
    assert_false(x86_condition(0xC, SF | OF));
    assert_true(x86_condition(0xE, ZF));                            /* jle */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu_cases),
        cmocka_unit_test(test_divide_errors),
        cmocka_unit_test(test_bit_offsets_in_memory),
        cmocka_unit_test(test_memory_forms_and_lock),
        cmocka_unit_test(test_alu_functions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
