/*
 * test_walk_model.c - the walk-cost model (shadow-mmu/walk-model.c,
 * chapter 08-shadow-vs-ept.md) on hand-built page tables: the exact
 * 2D-walk reference counts, EPT violations, and the exits of a traced
 * shadow (hidden faults, page-table writes, CR3 loads, reflected #PF).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shadow-mmu/walk-model.h"

#define RAM     (8u << 20)
#define PD      0x1000u                 /* page directory */
#define PD2     0x3000u                 /* a second address space */
#define PT      0x2000u                 /* the page table of region 1 */
#define PT2     0x4000u                 /* another page table for region 1 */
#define FRAME   0x5000u
#define FRAME2  0x6000u
#define CR0     (PW_CR0_PG | PW_CR0_WP)
#define LIN     0x00403123u             /* PDE 1, PTE 3 */
#define LIN2    0x00404000u             /* PDE 1, PTE 4 */
#define USER_RW (PW_P | PW_RW | PW_US)

struct fixture {
    struct guest_mem mem;
    struct walk_model m;
};

static void put(struct guest_mem *mem, uint32_t gpa, uint32_t v)
{
    assert_int_equal(gpa_write(mem, gpa, &v, 4), 0);
}

/* LIN -> FRAME and LIN2 -> FRAME2 through PD/PT; PD2 shares PD's region 1. */
static int setup(void **state)
{
    static struct fixture f;
    if (guest_mem_init(&f.mem, RAM) < 0)
        return -1;
    put(&f.mem, PD + 1 * 4, PT | USER_RW);
    put(&f.mem, PD2 + 1 * 4, PT | USER_RW);
    put(&f.mem, PT + 3 * 4, FRAME | USER_RW);
    put(&f.mem, PT + 4 * 4, FRAME2 | USER_RW);
    if (wm_init(&f.m, WM_BOTH, &f.mem) < 0)
        return -1;
    wm_new_paging(&f.m, CR0, PD, 0);    // paging on: a mode change, no exit
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    wm_destroy(&f->m);
    guest_mem_destroy(&f->mem);
    return 0;
}

/* Walk lin as the interp engine does on a TLB miss, and tell the model. */
static int miss(struct fixture *f, uint32_t cr3, uint32_t lin, unsigned access)
{
    struct pw_result w;
    int r = pw_walk(&f->mem, CR0, cr3, 0, lin, access, &w);
    wm_tlb_miss(&f->m, &w, r == 0, access, CR0, cr3, 0);
    return r;
}

static void test_parse_mode(void **state)
{
    (void)state;
    assert_int_equal(wm_parse_mode("shadow"), WM_SHADOW);
    assert_int_equal(wm_parse_mode("nested"), WM_NESTED);
    assert_int_equal(wm_parse_mode("both"), WM_BOTH);
    assert_int_equal(wm_parse_mode("ept"), -1);
}

/* (2+1)(4+1) - 1 = 14: the Bhargava et al. count for a 2-level guest. */
static void test_nested_two_level_walk_costs_14(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(miss(f, PD, LIN, PW_ACC_USER), 0);
    assert_int_equal(f->m.walks, 1);
    assert_int_equal(f->m.native_refs, 2);
    assert_int_equal(f->m.nested.refs, 14);
    // PD, PT and FRAME each touched for the first time: three EPT violations.
    assert_int_equal(f->m.nested.ept_violations, 3);
    // Again: the same 14 references, but no new frame and, with the EPT
    // TLB, only the 2 guest references.
    assert_int_equal(miss(f, PD, LIN, PW_ACC_USER), 0);
    assert_int_equal(f->m.nested.refs, 28);
    assert_int_equal(f->m.nested.ept_violations, 3);
    assert_int_equal(f->m.nested.refs_ept_tlb, 14 + 2);
}

static void test_nested_paging_off_and_4m_pages(void **state)
{
    struct fixture *f = *state;
    struct pw_result w;
    // Paging off: no guest levels, one EPT walk of the address: 4.
    assert_int_equal(pw_walk(&f->mem, 0, 0, 0, 0x7000, PW_ACC_READ, &w), 0);
    wm_tlb_miss(&f->m, &w, true, PW_ACC_READ, CR0, PD, 0);
    assert_int_equal(f->m.nested.refs, 4);
    // A 4 MiB page: one guest level, (1+1)(4+1) - 1 = 9.
    put(&f->mem, PD + 2 * 4, 0x00800000u | USER_RW | PW_PS);
    assert_int_equal(pw_walk(&f->mem, CR0, PD, PW_CR4_PSE, 0x00812345, PW_ACC_READ, &w), 0);
    wm_tlb_miss(&f->m, &w, true, PW_ACC_READ, CR0, PD, 0);
    assert_int_equal(f->m.nested.refs, 4 + 9);
}

/* A faulting walk costs what it read; shadow paging pays an exit for it
 * (every #PF reaches the VMM), nested paging none. */
static void test_guest_fault(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(miss(f, PD, 0x00C00000, PW_ACC_USER), -1);    // PDE 3 absent
    assert_int_equal(f->m.native_refs, 1);
    assert_int_equal(f->m.nested.refs, 1 + 4);
    assert_int_equal(f->m.shadow.guest_faults, 1);
    assert_int_equal(wm_shadow_exits(&f->m), 1);
    assert_int_equal(wm_nested_exits(&f->m), 1);    // PD's frame touched, once
}

static void test_shadow_hidden_fault_once_per_page(void **state)
{
    struct fixture *f = *state;
    miss(f, PD, LIN, PW_ACC_USER);
    // The shadow walk finds nothing: exit, fill, walk again: 2 + 2.
    assert_int_equal(f->m.shadow.hidden_faults, 1);
    assert_int_equal(f->m.shadow.refs, 4);
    miss(f, PD, LIN, PW_ACC_USER);          // an ordinary TLB miss now
    assert_int_equal(f->m.shadow.hidden_faults, 1);
    assert_int_equal(f->m.shadow.refs, 6);
    // The first write: the page was installed read-only (D clear): one more.
    miss(f, PD, LIN, PW_ACC_USER | PW_ACC_WRITE);
    assert_int_equal(f->m.shadow.hidden_faults, 2);
    miss(f, PD, LIN, PW_ACC_USER | PW_ACC_WRITE);
    assert_int_equal(f->m.shadow.hidden_faults, 2);
}

static void test_shadow_traces_page_tables(void **state)
{
    struct fixture *f = *state;
    assert_false(wm_traced(&f->m, PT));
    assert_true(wm_traced(&f->m, PD + 8));  // the active directory, always
    miss(f, PD, LIN, PW_ACC_USER);
    assert_true(wm_traced(&f->m, PT + 12));
    assert_false(wm_traced(&f->m, FRAME));
    // A write to LIN2's PTE drops nothing installed but still exits.
    wm_pt_write(&f->m, PT + 4 * 4);
    assert_int_equal(f->m.shadow.pt_writes, 1);
    miss(f, PD, LIN, PW_ACC_USER);
    assert_int_equal(f->m.shadow.hidden_faults, 1);
    // A write to LIN's PTE drops LIN: the next use is a hidden fault again.
    wm_pt_write(&f->m, PT + 3 * 4);
    miss(f, PD, LIN, PW_ACC_USER);
    assert_int_equal(f->m.shadow.hidden_faults, 2);
    // A write to the PDE drops the whole region, and PT is no longer traced.
    wm_pt_write(&f->m, PD + 1 * 4);
    assert_false(wm_traced(&f->m, PT));
    assert_int_equal(f->m.shadow.pt_writes, 3);
    miss(f, PD, LIN, PW_ACC_USER);
    assert_int_equal(f->m.shadow.hidden_faults, 3);
}

/* A CR3 load exits; regions whose PDE is the same survive it. */
static void test_shadow_cr3_keeps_shared_regions(void **state)
{
    struct fixture *f = *state;
    miss(f, PD, LIN, PW_ACC_USER);
    miss(f, PD, LIN2, PW_ACC_USER);
    wm_new_paging(&f->m, CR0, PD2, 0);      // PD2's region 1 is the same PDE
    assert_int_equal(f->m.shadow.cr3_loads, 1);
    assert_int_equal(f->m.shadow.kept_on_cr3, 2);
    miss(f, PD2, LIN, PW_ACC_USER);
    assert_int_equal(f->m.shadow.hidden_faults, 2);     // no new one
    // Region 1 of PD points elsewhere: going back drops it.
    put(&f->mem, PD + 1 * 4, PT2 | USER_RW);
    put(&f->mem, PT2 + 3 * 4, FRAME | USER_RW);
    wm_new_paging(&f->m, CR0, PD, 0);
    assert_int_equal(f->m.shadow.cr3_loads, 2);
    assert_int_equal(f->m.shadow.kept_on_cr3, 2);
    miss(f, PD, LIN, PW_ACC_USER);
    assert_int_equal(f->m.shadow.hidden_faults, 3);
    assert_int_equal(wm_shadow_exits(&f->m), 3 + 2);
}

/* Turning paging off or on is a mode change: everything goes, no CR3 exit. */
static void test_mode_change_drops_all(void **state)
{
    struct fixture *f = *state;
    miss(f, PD, LIN, PW_ACC_USER);
    wm_new_paging(&f->m, CR0 & ~PW_CR0_PG, PD, 0);
    wm_new_paging(&f->m, CR0, PD, 0);
    assert_int_equal(f->m.shadow.cr3_loads, 0);
    assert_false(wm_traced(&f->m, PT));
    miss(f, PD, LIN, PW_ACC_USER);
    assert_int_equal(f->m.shadow.hidden_faults, 2);
}

static void test_invlpg_exits_under_shadow_only(void **state)
{
    struct fixture *f = *state;
    wm_invlpg(&f->m, LIN);
    assert_int_equal(f->m.shadow.invlpgs, 1);
    assert_int_equal(wm_nested_exits(&f->m), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_mode),
        T(test_nested_two_level_walk_costs_14),
        T(test_nested_paging_off_and_4m_pages),
        T(test_guest_fault),
        T(test_shadow_hidden_fault_once_per_page),
        T(test_shadow_traces_page_tables),
        T(test_shadow_cr3_keeps_shared_regions),
        T(test_mode_change_drops_all),
        T(test_invlpg_exits_under_shadow_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
