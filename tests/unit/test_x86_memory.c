/*
 * test_x86_memory.c - unit tests of vmm/x86/memory.c (chapter 2, "Memory"):
 * linear accesses split at pages, page faults with CR2 and error code, MMIO
 * splitting, segment type and limit checks (expand-down included), and the
 * stack helpers, over the fake engine of x86-fake-env.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/x86.h"
#include "x86-fake-env.h"

static struct x86_cpu cpu;

static int setup(void **state)
{
    (void)state;
    fake_reset();
    x86_reset_multiboot(&cpu, 0x100000, 0x10000);
    return 0;
}

static void assert_exception(uint8_t vector, uint32_t error)
{
    assert_true(cpu.exception.pending);
    assert_int_equal(cpu.exception.vector, vector);
    assert_true(cpu.exception.has_error);
    assert_int_equal(cpu.exception.error, error);
}

static void test_flat_access_is_one_translate(void **state)
{
    (void)state;
    uint32_t v = 0x12345678, r = 0;
    assert_int_equal(x86_write_seg(&cpu, &fake_env, X86_DS, 0x2000, &v, 4), 0);
    assert_int_equal(fake.translates, 1);
    assert_int_equal(fake_read32(0x2000), 0x12345678);
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_DS, 0x2000, &r, 4), 0);
    assert_int_equal(fake.translates, 2);
    assert_int_equal(r, 0x12345678);
}

static void test_access_across_page(void **state)
{
    (void)state;
    uint32_t v = 0xAABBCCDD, r = 0;
    assert_int_equal(x86_write_linear(&cpu, &fake_env, 0x2FFE, &v, 4, false), 0);
    assert_int_equal(fake.ram[0x2FFE], 0xDD);
    assert_int_equal(fake.ram[0x2FFF], 0xCC);
    assert_int_equal(fake.ram[0x3000], 0xBB);
    assert_int_equal(fake.ram[0x3001], 0xAA);
    assert_int_equal(x86_read_linear(&cpu, &fake_env, 0x2FFE, &r, 4, X86_ACC_READ, false), 0);
    assert_int_equal(r, 0xAABBCCDD);
}

/* The second page is absent: #PF with CR2 at that page, W=1, and the first
 * page left untouched, because the write is all or nothing. */
static void test_page_fault_on_second_page(void **state)
{
    (void)state;
    uint32_t v = 0xAABBCCDD;
    fake.absent[3] = true;
    cpu.cr2 = 0;
    assert_int_equal(x86_write_linear(&cpu, &fake_env, 0x2FFE, &v, 4, false), -1);
    assert_exception(X86_PF, 0x2);
    assert_int_equal(cpu.cr2, 0x3000);
    assert_int_equal(fake.ram[0x2FFE], 0);
    assert_int_equal(fake.ram[0x2FFF], 0);
}

static void test_user_bit_from_cpl(void **state)
{
    (void)state;
    uint8_t b;
    cpu.cpl = 3;
    x86_read_linear(&cpu, &fake_env, 0x1000, &b, 1, X86_ACC_READ, false);
    assert_int_equal(fake.last_acc, X86_ACC_READ | X86_ACC_USER);
    x86_read_linear(&cpu, &fake_env, 0x1000, &b, 1, X86_ACC_READ, true);
    assert_int_equal(fake.last_acc, X86_ACC_READ);   /* implicit: supervisor */
    fake.absent[1] = true;
    assert_int_equal(x86_write_linear(&cpu, &fake_env, 0x1234, &b, 1, false), -1);
    assert_exception(X86_PF, 0x6);      /* W + U */
    assert_int_equal(cpu.cr2, 0x1234);
    cpu.cpl = 0;
    x86_read_linear(&cpu, &fake_env, 0x2000, &b, 1, X86_ACC_FETCH, false);
    assert_int_equal(fake.last_acc, X86_ACC_FETCH);
}

/* A misaligned 4-byte MMIO access reaches the device as 1 + 2 + 1 bytes. */
static void test_mmio_split(void **state)
{
    (void)state;
    uint32_t addr = FAKE_RAM_SIZE + 0x101, v = 0x44332211, r = 0;
    assert_int_equal(x86_write_linear(&cpu, &fake_env, addr, &v, 4, false), 0);
    assert_int_equal(fake.mmio_count, 3);
    assert_int_equal(fake.mmio[0].gpa, addr);
    assert_int_equal(fake.mmio[0].size, 1);
    assert_int_equal(fake.mmio[0].value, 0x11);
    assert_int_equal(fake.mmio[1].gpa, addr + 1);
    assert_int_equal(fake.mmio[1].size, 2);
    assert_int_equal(fake.mmio[1].value, 0x3322);
    assert_int_equal(fake.mmio[2].size, 1);
    assert_int_equal(fake.mmio[2].value, 0x44);
    assert_true(fake.mmio[0].write);

    fake.mmio_count = 0;
    assert_int_equal(x86_read_linear(&cpu, &fake_env, addr - 1, &r, 4, X86_ACC_READ, false), 0);
    assert_int_equal(fake.mmio_count, 1);     /* aligned: one 4-byte read */
    assert_int_equal(fake.mmio[0].size, 4);
    assert_int_equal(r, 0xA0B0C0D0u + addr - 1);
}

static void test_unusable_segment(void **state)
{
    (void)state;
    uint32_t v;
    cpu.seg[X86_DS].attr = X86_AR_UNUSABLE;
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_DS, 0, &v, 4), -1);
    assert_exception(X86_GP, 0);
    cpu.seg[X86_SS].attr = X86_AR_UNUSABLE;
    assert_int_equal(x86_push32(&cpu, &fake_env, 1), -1);
    assert_exception(X86_SS_FAULT, 0);
}

static void test_expand_up_limit_and_base(void **state)
{
    (void)state;
    uint32_t v = 0x01020304;
    cpu.seg[X86_ES].base = 0x5000;
    cpu.seg[X86_ES].limit = 0xFFF;
    assert_int_equal(x86_write_seg(&cpu, &fake_env, X86_ES, 0xFFC, &v, 4), 0);
    assert_int_equal(fake_read32(0x5FFC), 0x01020304);
    assert_int_equal(x86_write_seg(&cpu, &fake_env, X86_ES, 0xFFD, &v, 4), -1);
    assert_exception(X86_GP, 0);
    /* An offset that wraps around 4 GiB is outside even a 4 GiB segment. */
    cpu.seg[X86_ES].limit = 0xFFFFFFFF;
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_ES, 0xFFFFFFFE, &v, 4), -1);
    assert_exception(X86_GP, 0);
}

/* Expand-down (SDM vol. 3, 5.3): valid offsets are limit+1 .. 0xFFFFFFFF
 * with B=1, limit+1 .. 0xFFFF with B=0. */
static void test_expand_down_limits(void **state)
{
    (void)state;
    uint32_t v = 0;
    struct x86_segment *ss = &cpu.seg[X86_SS];
    ss->base = 0;
    ss->limit = 0x7FFF;
    ss->attr = 0x7 | X86_AR_S | X86_AR_P | X86_AR_DB;   /* read/write, expand-down */
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_SS, 0x8000, &v, 4), 0);
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_SS, 0x7FFE, &v, 4), -1);
    assert_exception(X86_SS_FAULT, 0);
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_SS, 0xFFFFFFFC, &v, 4), 0);
    assert_int_equal(fake.mmio_count, 1);   /* above RAM: went to MMIO, no fault */
    ss->attr &= ~X86_AR_DB;                 /* 16-bit upper bound */
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_SS, 0xFFFC, &v, 4), 0);
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_SS, 0xFFFD, &v, 4), -1);
    assert_exception(X86_SS_FAULT, 0);
}

static void test_type_checks(void **state)
{
    (void)state;
    uint32_t v = 0;
    cpu.seg[X86_DS].attr = 0x1 | X86_AR_S | X86_AR_P | X86_AR_DB;  /* read-only data */
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_DS, 0, &v, 4), 0);
    assert_int_equal(x86_write_seg(&cpu, &fake_env, X86_DS, 0, &v, 4), -1);
    assert_exception(X86_GP, 0);
    cpu.seg[X86_DS].attr = 0xB | X86_AR_S | X86_AR_P | X86_AR_DB;  /* execute/read code */
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_DS, 0, &v, 4), 0);
    assert_int_equal(x86_write_seg(&cpu, &fake_env, X86_DS, 0, &v, 4), -1);
    assert_exception(X86_GP, 0);
    cpu.seg[X86_DS].attr = 0x9 | X86_AR_S | X86_AR_P | X86_AR_DB;  /* execute-only */
    assert_int_equal(x86_read_seg(&cpu, &fake_env, X86_DS, 0, &v, 4), -1);
    assert_exception(X86_GP, 0);
}

static void test_push_pop(void **state)
{
    (void)state;
    uint32_t v = 0;
    uint16_t w = 0;
    cpu.gpr[X86_ESP] = 0x8000;
    assert_int_equal(x86_push32(&cpu, &fake_env, 0xCAFEBABE), 0);
    assert_int_equal(cpu.gpr[X86_ESP], 0x7FFC);
    assert_int_equal(fake_read32(0x7FFC), 0xCAFEBABE);
    assert_int_equal(x86_push16(&cpu, &fake_env, 0xBEEF), 0);
    assert_int_equal(cpu.gpr[X86_ESP], 0x7FFA);
    assert_int_equal(x86_pop16(&cpu, &fake_env, &w), 0);
    assert_int_equal(w, 0xBEEF);
    assert_int_equal(x86_pop32(&cpu, &fake_env, &v), 0);
    assert_int_equal(v, 0xCAFEBABE);
    assert_int_equal(cpu.gpr[X86_ESP], 0x8000);
}

/* A faulting push or pop leaves ESP alone, so the instruction can restart. */
static void test_push_pop_fault_keeps_esp(void **state)
{
    (void)state;
    uint32_t v = 0;
    fake.absent[7] = true;
    cpu.gpr[X86_ESP] = 0x8000;
    assert_int_equal(x86_push32(&cpu, &fake_env, 1), -1);
    assert_exception(X86_PF, 0x2);
    assert_int_equal(cpu.cr2, 0x7FFC);
    assert_int_equal(cpu.gpr[X86_ESP], 0x8000);
    cpu.gpr[X86_ESP] = 0x7FF0;
    assert_int_equal(x86_pop32(&cpu, &fake_env, &v), -1);
    assert_exception(X86_PF, 0x0);
    assert_int_equal(cpu.gpr[X86_ESP], 0x7FF0);
    /* Below the limit of an expand-up stack: #SS(0). */
    cpu.seg[X86_SS].limit = 0x8FFF;
    cpu.gpr[X86_ESP] = 0x9002;
    assert_int_equal(x86_pop32(&cpu, &fake_env, &v), -1);
    assert_exception(X86_SS_FAULT, 0);
    assert_int_equal(cpu.gpr[X86_ESP], 0x9002);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_flat_access_is_one_translate, setup),
        cmocka_unit_test_setup(test_access_across_page, setup),
        cmocka_unit_test_setup(test_page_fault_on_second_page, setup),
        cmocka_unit_test_setup(test_user_bit_from_cpl, setup),
        cmocka_unit_test_setup(test_mmio_split, setup),
        cmocka_unit_test_setup(test_unusable_segment, setup),
        cmocka_unit_test_setup(test_expand_up_limit_and_base, setup),
        cmocka_unit_test_setup(test_expand_down_limits, setup),
        cmocka_unit_test_setup(test_type_checks, setup),
        cmocka_unit_test_setup(test_push_pop, setup),
        cmocka_unit_test_setup(test_push_pop_fault_keeps_esp, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
