/*
 * test_soft_tlb.c - the software TLB (shadow-mmu/soft-tlb.c): hits go to
 * guest RAM, permissions per privilege and kind, Dirty before write
 * permission, non-RAM never cached, flush rules for global and 4 MiB pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shadow-mmu/soft-tlb.h"

#define RAM     (8u << 20)
#define PD      0x1000u
#define PT      0x2000u
#define CR0     PW_CR0_PG

struct fixture {
    struct guest_mem mem;
    struct soft_tlb tlb;
};

static void put(struct guest_mem *m, uint32_t gpa, uint32_t v)
{
    assert_int_equal(gpa_write(m, gpa, &v, 4), 0);
}

static uint32_t get(struct guest_mem *m, uint32_t gpa)
{
    uint32_t v;
    assert_int_equal(gpa_read(m, gpa, &v, 4), 0);
    return v;
}

/* Map the 4 KiB page at lin (below 4 MiB) to frame with the PTE flags. */
static void map(struct guest_mem *m, uint32_t lin, uint32_t frame, uint32_t flags)
{
    put(m, PD, PT | PW_P | PW_RW | PW_US);
    put(m, PT + (lin >> 12) * 4, frame | flags);
}

/* What the interpreter does on every access: look up, else walk and fill. */
static uint8_t *access_(struct fixture *f, uint32_t cr0, uint32_t cr4,
                        uint32_t lin, unsigned access)
{
    struct pw_result w;
    uint8_t *p = tlb_lookup(&f->tlb, lin, access);
    if (p)
        return p;
    if (pw_walk(&f->mem, cr0, PD, cr4, lin, access, &w) < 0)
        return NULL;
    return tlb_fill(&f->tlb, &f->mem, &w, cr0, cr4);
}

static int setup(void **state)
{
    static struct fixture f;
    if (guest_mem_init(&f.mem, RAM) < 0)
        return -1;
    tlb_init(&f.tlb);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    guest_mem_destroy(&f->mem);
    return 0;
}

static void test_empty_tlb_misses(void **state)
{
    struct fixture *f = *state;
    assert_null(tlb_lookup(&f->tlb, 0x1000, PW_ACC_READ));
    assert_null(tlb_lookup(&f->tlb, 0xFFFFF000, PW_ACC_READ));  /* tag of empty slots */
    assert_int_equal(f->tlb.misses, 2);
    assert_int_equal(f->tlb.hits, 0);
}

static void test_hit_points_into_guest_ram(void **state)
{
    struct fixture *f = *state;
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_RW | PW_US);

    uint8_t *p = access_(f, CR0, 0, 0x3456, PW_ACC_READ);
    assert_ptr_equal(p, f->mem.host + 0x9456);
    assert_ptr_equal(tlb_lookup(&f->tlb, 0x3FFF, PW_ACC_READ), f->mem.host + 0x9FFF);
    assert_ptr_equal(tlb_lookup(&f->tlb, 0x3000, PW_ACC_FETCH | PW_ACC_USER),
                     f->mem.host + 0x9000);
    assert_int_equal(f->tlb.hits, 2);
    assert_null(tlb_lookup(&f->tlb, 0x4000, PW_ACC_READ));      /* next page */
}

static void test_write_permission_waits_for_dirty(void **state)
{
    struct fixture *f = *state;
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_RW | PW_US);

    assert_non_null(access_(f, CR0, 0, 0x3000, PW_ACC_READ));
    /* Filled by a read: D is clear, so a write must miss and walk. */
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_WRITE));
    assert_non_null(access_(f, CR0, 0, 0x3000, PW_ACC_WRITE | PW_ACC_USER));
    assert_true(get(&f->mem, PT + 3 * 4) & PW_D);
    assert_non_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_WRITE));
    assert_non_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_WRITE | PW_ACC_USER));
}

static void test_supervisor_page_hidden_from_user(void **state)
{
    struct fixture *f = *state;
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_RW | PW_D);

    assert_non_null(access_(f, CR0, 0, 0x3000, PW_ACC_WRITE));
    assert_non_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_USER));
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_USER | PW_ACC_WRITE));
}

static void test_read_only_page_and_wp(void **state)
{
    struct fixture *f = *state;
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_US | PW_D);   /* read-only, dirty */

    /* WP=0: the supervisor may write it, the user may not. */
    assert_non_null(access_(f, CR0, 0, 0x3000, PW_ACC_READ | PW_ACC_USER));
    assert_non_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_WRITE));
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_WRITE | PW_ACC_USER));
    /* WP=1 (after the flush a CR0 write needs): nobody may write. */
    tlb_flush_all(&f->tlb);
    assert_non_null(access_(f, CR0 | PW_CR0_WP, 0, 0x3000, PW_ACC_READ));
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_WRITE));
    assert_non_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_USER));
}

static void test_non_ram_never_cached(void **state)
{
    struct fixture *f = *state;
    map(&f->mem, 0x3000, 0xFEC00000, PW_P | PW_RW | PW_D);     /* MMIO-like */
    struct pw_result w;

    assert_int_equal(pw_walk(&f->mem, CR0, PD, 0, 0x3000, PW_ACC_READ, &w), 0);
    assert_null(tlb_fill(&f->tlb, &f->mem, &w, CR0, 0));
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
    /* Paging off: the last page of RAM is cached, the byte after is not. */
    assert_int_equal(pw_walk(&f->mem, 0, 0, 0, RAM - 1, PW_ACC_READ, &w), 0);
    assert_ptr_equal(tlb_fill(&f->tlb, &f->mem, &w, 0, 0), f->mem.host + RAM - 1);
    assert_non_null(tlb_lookup(&f->tlb, RAM - 4096, PW_ACC_USER | PW_ACC_WRITE));
    assert_int_equal(pw_walk(&f->mem, 0, 0, 0, RAM, PW_ACC_READ, &w), 0);
    assert_null(tlb_fill(&f->tlb, &f->mem, &w, 0, 0));
}

static void test_remap_to_non_ram_drops_old_entry(void **state)
{
    struct fixture *f = *state;
    struct pw_result w;
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_RW);

    assert_non_null(access_(f, CR0, 0, 0x3000, PW_ACC_READ));
    map(&f->mem, 0x3000, 0xFEC00000, PW_P | PW_RW);           /* no INVLPG */
    assert_int_equal(pw_walk(&f->mem, CR0, PD, 0, 0x3000, PW_ACC_WRITE, &w), 0);
    assert_null(tlb_fill(&f->tlb, &f->mem, &w, CR0, 0));
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
}

static void test_slot_conflict_evicts(void **state)
{
    struct fixture *f = *state;
    uint32_t a = 0x3000, b = a + TLB_ENTRIES * 4096;            /* same slot */
    map(&f->mem, a, 0x9000, PW_P | PW_RW);
    map(&f->mem, b, 0xA000, PW_P | PW_RW);

    assert_ptr_equal(access_(f, CR0, 0, a, PW_ACC_READ), f->mem.host + 0x9000);
    assert_ptr_equal(access_(f, CR0, 0, b, PW_ACC_READ), f->mem.host + 0xA000);
    assert_null(tlb_lookup(&f->tlb, a, PW_ACC_READ));
    assert_non_null(tlb_lookup(&f->tlb, b, PW_ACC_READ));
}

static void test_flush_page_and_global_rules(void **state)
{
    struct fixture *f = *state;
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_RW | PW_G);
    map(&f->mem, 0x4000, 0xA000, PW_P | PW_RW);

    /* With CR4.PGE the G page survives a CR3 load, the other does not. */
    assert_non_null(access_(f, CR0, PW_CR4_PGE, 0x3000, PW_ACC_READ));
    assert_non_null(access_(f, CR0, PW_CR4_PGE, 0x4000, PW_ACC_READ));
    tlb_flush_nonglobal(&f->tlb);
    assert_non_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
    assert_null(tlb_lookup(&f->tlb, 0x4000, PW_ACC_READ));
    /* INVLPG drops a global page too, and only that page. */
    assert_non_null(access_(f, CR0, PW_CR4_PGE, 0x4000, PW_ACC_READ));
    tlb_flush_page(&f->tlb, 0x3ABC);
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
    assert_non_null(tlb_lookup(&f->tlb, 0x4000, PW_ACC_READ));
    /* Without CR4.PGE the G bit means nothing. */
    assert_non_null(access_(f, CR0, 0, 0x3000, PW_ACC_READ));
    tlb_flush_nonglobal(&f->tlb);
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
    /* flush_all drops global pages. */
    assert_non_null(access_(f, CR0, PW_CR4_PGE, 0x3000, PW_ACC_READ));
    tlb_flush_all(&f->tlb);
    assert_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
    assert_int_equal(f->tlb.flushes, 3);
    assert_int_equal(f->tlb.page_flushes, 1);
}

static void test_invlpg_drops_all_pieces_of_a_4m_page(void **state)
{
    struct fixture *f = *state;
    uint32_t cr4 = PW_CR4_PSE;
    put(&f->mem, PD + 1 * 4, 0x00400000 | PW_P | PW_RW | PW_PS);   /* 4-8 MiB */
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_RW);                     /* 4 KiB */

    assert_ptr_equal(access_(f, CR0, cr4, 0x00401010, PW_ACC_READ),
                     f->mem.host + 0x00401010);
    assert_ptr_equal(access_(f, CR0, cr4, 0x007FF000, PW_ACC_WRITE),
                     f->mem.host + 0x007FF000);
    assert_non_null(access_(f, CR0, cr4, 0x3000, PW_ACC_READ));
    tlb_flush_page(&f->tlb, 0x00555000);        /* any address in the page */
    assert_null(tlb_lookup(&f->tlb, 0x00401000, PW_ACC_READ));
    assert_null(tlb_lookup(&f->tlb, 0x007FF000, PW_ACC_READ));
    assert_non_null(tlb_lookup(&f->tlb, 0x3000, PW_ACC_READ));
}

static void test_print_and_counters(void **state)
{
    struct fixture *f = *state;
    char *buf = NULL;
    size_t len = 0;
    map(&f->mem, 0x3000, 0x9000, PW_P | PW_RW | PW_US | PW_D);

    assert_non_null(access_(f, CR0, 0, 0x3000, PW_ACC_WRITE | PW_ACC_USER)); /* miss */
    assert_non_null(access_(f, CR0, 0, 0x3004, PW_ACC_READ));                /* hit */
    assert_non_null(access_(f, CR0, 0, 0x3008, PW_ACC_FETCH));               /* hit */
    assert_int_equal(f->tlb.hits, 2);
    assert_int_equal(f->tlb.misses, 1);

    FILE *out = open_memstream(&buf, &len);
    tlb_print(&f->tlb, &f->mem, out);
    fclose(out);
    assert_non_null(strstr(buf, "256 slots, 2 hits, 1 misses (66.67% hits)"));
    assert_non_null(strstr(buf, "  [  3] 00003000 -> 00009000 sr sw ur uw\n"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_tlb_misses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hit_points_into_guest_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_permission_waits_for_dirty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervisor_page_hidden_from_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only_page_and_wp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_non_ram_never_cached, setup, teardown),
        cmocka_unit_test_setup_teardown(test_remap_to_non_ram_drops_old_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slot_conflict_evicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_page_and_global_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invlpg_drops_all_pieces_of_a_4m_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_and_counters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
