/*
 * test_page_walk.c - the i386 guest page walk (shadow-mmu/page-walk.c):
 * translations, the exact #PF error codes, A/D updates, 4 MiB pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shadow-mmu/page-walk.h"

#define RAM     (8u << 20)
#define PD      0x1000u                 /* page directory */
#define PT      0x2000u                 /* one page table */
#define FRAME   0x5000u                 /* a data frame */
#define CR0     PW_CR0_PG               /* paging on, WP off */
#define LIN     0x00403123u             /* PDE 1, PTE 3, offset 0x123 */
#define PDE_AT  (PD + 1 * 4)
#define PTE_AT  (PT + 3 * 4)

static uint32_t get(struct guest_mem *m, uint32_t gpa)
{
    uint32_t v;
    assert_int_equal(gpa_read(m, gpa, &v, 4), 0);
    return v;
}

static void put(struct guest_mem *m, uint32_t gpa, uint32_t v)
{
    assert_int_equal(gpa_write(m, gpa, &v, 4), 0);
}

/* RAM with LIN mapped through PD/PT to FRAME, with the given entry flags. */
static void map(struct guest_mem *m, uint32_t pde_flags, uint32_t pte_flags)
{
    put(m, PDE_AT, PT | pde_flags);
    put(m, PTE_AT, FRAME | pte_flags);
}

static int setup(void **state)
{
    static struct guest_mem mem;
    if (guest_mem_init(&mem, RAM) < 0)
        return -1;
    *state = &mem;
    return 0;
}

static int teardown(void **state)
{
    guest_mem_destroy(*state);
    return 0;
}

static void test_paging_off_is_identity(void **state)
{
    struct pw_result r;
    assert_int_equal(pw_walk(*state, 0, PD, 0, 0x12345678, PW_ACC_WRITE | PW_ACC_USER, &r), 0);
    assert_int_equal(r.gpa, 0x12345678);
    assert_true(r.writable && r.user && r.dirty);
    assert_int_equal(r.levels, 0);
    assert_int_equal(r.page_size, 4096);
}

static void test_read_sets_accessed_only(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;
    map(m, PW_P | PW_RW | PW_US, PW_P | PW_RW | PW_US);

    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_READ, &r), 0);
    assert_int_equal(r.gpa, FRAME | 0x123);
    assert_int_equal(r.levels, 2);
    assert_int_equal(r.pde_addr, PDE_AT);
    assert_int_equal(r.pte_addr, PTE_AT);
    assert_true(r.writable && r.user);
    assert_false(r.dirty);
    assert_int_equal(get(m, PDE_AT), PT | PW_P | PW_RW | PW_US | PW_A);
    assert_int_equal(get(m, PTE_AT), FRAME | PW_P | PW_RW | PW_US | PW_A);
    assert_int_equal(r.pde, get(m, PDE_AT));        /* values as left in RAM */
    assert_int_equal(r.pte, get(m, PTE_AT));
}

static void test_write_sets_dirty_in_pte_only(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;
    map(m, PW_P | PW_RW, PW_P | PW_RW);

    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_WRITE, &r), 0);
    assert_true(r.dirty);
    assert_int_equal(get(m, PDE_AT), PT | PW_P | PW_RW | PW_A);
    assert_int_equal(get(m, PTE_AT), FRAME | PW_P | PW_RW | PW_A | PW_D);
}

static void test_not_present_error_codes(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;

    put(m, PDE_AT, PT);                             /* PDE not present */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_READ, &r), -1);
    assert_int_equal(r.error_code, 0);
    assert_int_equal(r.levels, 1);
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_WRITE, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_W);
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_USER, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_U);

    map(m, PW_P | PW_RW | PW_US, PW_RW | PW_US);    /* PTE not present */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_WRITE | PW_ACC_USER, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_W | PW_ERR_U);
    assert_int_equal(r.levels, 2);
    /* A faulting walk leaves the entries as they were. */
    assert_int_equal(get(m, PDE_AT), PT | PW_P | PW_RW | PW_US);
}

static void test_user_needs_us_at_both_levels(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;

    map(m, PW_P | PW_US, PW_P);                     /* PTE is supervisor */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_USER, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_U);
    assert_false(r.user);
    map(m, PW_P, PW_P | PW_US);                     /* PDE is supervisor */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_USER, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_U);
    /* The supervisor may read either. */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_READ, &r), 0);
    /* A fetch is a read; no I/D bit on i386 without NX. */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_FETCH | PW_ACC_USER, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_U);
}

static void test_user_write_needs_rw_at_both_levels(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;

    map(m, PW_P | PW_US, PW_P | PW_RW | PW_US);     /* PDE read-only */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_WRITE | PW_ACC_USER, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_W | PW_ERR_U);
    assert_false(r.writable);
    assert_int_equal(get(m, PTE_AT) & (PW_A | PW_D), 0);
    map(m, PW_P | PW_RW | PW_US, PW_P | PW_US);     /* PTE read-only */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_WRITE | PW_ACC_USER, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_W | PW_ERR_U);
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_USER, &r), 0);
}

static void test_supervisor_write_obeys_wp(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;

    map(m, PW_P, PW_P);                             /* read-only */
    assert_int_equal(pw_walk(m, CR0 | PW_CR0_WP, PD, 0, LIN, PW_ACC_WRITE, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_W);
    assert_int_equal(get(m, PTE_AT), FRAME | PW_P);
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_WRITE, &r), 0);
    assert_false(r.writable);                       /* rights as in the tables */
    assert_int_equal(get(m, PTE_AT), FRAME | PW_P | PW_A | PW_D);
}

static void test_4m_page_with_pse(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;
    uint32_t lin = 0x00C12345;                      /* PDE 3 */

    put(m, PD + 3 * 4, 0x00400000 | PW_P | PW_RW | PW_US | PW_PS | PW_G);
    assert_int_equal(pw_walk(m, CR0, PD, PW_CR4_PSE, lin, PW_ACC_WRITE | PW_ACC_USER, &r), 0);
    assert_int_equal(r.gpa, 0x00412345);
    assert_int_equal(r.page_size, 4u << 20);
    assert_int_equal(r.levels, 1);
    assert_true(r.global && r.dirty && r.user && r.writable);
    /* A and D both land in the PDE: it is the leaf. */
    assert_int_equal(get(m, PD + 3 * 4),
                     0x00400000 | PW_P | PW_RW | PW_US | PW_PS | PW_G | PW_A | PW_D);
}

static void test_ps_ignored_without_pse(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;

    /* Without CR4.PSE the same PDE points at a page table at 0x400000. */
    put(m, PD + 3 * 4, 0x00400000 | PW_P | PW_RW | PW_PS);
    put(m, 0x00400000 + 0x12 * 4, 0x7000 | PW_P | PW_RW);
    assert_int_equal(pw_walk(m, CR0, PD, 0, 0x00C12345, PW_ACC_READ, &r), 0);
    assert_int_equal(r.gpa, 0x7345);
    assert_int_equal(r.page_size, 4096);
    assert_int_equal(r.levels, 2);
}

static void test_table_outside_ram_is_not_present(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;

    put(m, PDE_AT, 0xF0000000 | PW_P | PW_RW);      /* page table in no RAM */
    assert_int_equal(pw_walk(m, CR0, PD, 0, LIN, PW_ACC_WRITE, &r), -1);
    assert_int_equal(r.error_code, PW_ERR_W);
    assert_true(r.table_outside_ram);
    /* CR3 itself outside RAM. */
    assert_int_equal(pw_walk(m, CR0, 0xFFFFF000, 0, LIN, PW_ACC_READ, &r), -1);
    assert_true(r.table_outside_ram);
    assert_int_equal(r.error_code, 0);
}

static void test_peek_changes_nothing(void **state)
{
    struct guest_mem *m = *state;
    struct pw_result r;

    map(m, PW_P | PW_RW | PW_US, PW_P | PW_RW | PW_US | PW_G);
    assert_int_equal(pw_peek(m, CR0, PD, 0, LIN, PW_ACC_WRITE | PW_ACC_USER, &r), 0);
    assert_int_equal(r.gpa, FRAME | 0x123);
    assert_true(r.global);
    assert_false(r.dirty);
    assert_int_equal(get(m, PDE_AT), PT | PW_P | PW_RW | PW_US);
    assert_int_equal(get(m, PTE_AT), FRAME | PW_P | PW_RW | PW_US | PW_G);
    assert_int_equal(pw_peek(m, CR0, PD, 0, 0x00800000, PW_ACC_READ, &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_paging_off_is_identity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_sets_accessed_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_sets_dirty_in_pte_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_present_error_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_needs_us_at_both_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_write_needs_rw_at_both_levels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervisor_write_obeys_wp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_4m_page_with_pse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ps_ignored_without_pse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_outside_ram_is_not_present, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peek_changes_nothing, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
