/*
 * test_shadow.c - the shadow page tables (shadow-mmu/shadow.c, chapter
 * 04-shadow-paging.md) against a fake host: hidden and true faults, read-
 * only until the first write, ring compression, vtlb and traced modes,
 * CR3 switches that keep the kernel half, MMIO, 4 MiB pages, host failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shadow-mmu/shadow.h"

#define RAM     (16u << 20)
#define PD_A    0x1000u                 /* two address spaces ... */
#define PD_B    0x2000u
#define PT_K    0x3000u                 /* ... sharing the kernel's table */
#define PT_A    0x4000u                 /* user tables, one each */
#define PT_B    0x5000u
#define KBASE   0xC0000000u             /* kernel direct map: KBASE + x -> x */
#define UBASE   0x00400000u             /* user region (PDE 1) */
#define BIG     0x00800000u             /* a 4 MiB page (PDE 2) */
#define CR0     (PW_CR0_PG | PW_CR0_WP)
#define CR4     PW_CR4_PSE
#define KFLAGS  (PW_P | PW_RW | PW_A | PW_D)        /* supervisor, dirty */
#define UFLAGS  (PW_P | PW_RW | PW_US)

/* ---- the fake host: an array of pages and a count of each call ---------- */

struct fake_page { bool mapped; uint32_t gpa; bool writable; };

static struct fake_host {
    struct fake_page page[1u << 20];
    unsigned maps, protects, unmaps, unmap_alls;
    int fail_maps;                      /* refuse this many map calls */
} host;

static int fake_map(void *ctx, uint32_t gva, uint32_t gpa, bool writable)
{
    (void)ctx;
    host.maps++;
    if (host.fail_maps > 0) {
        host.fail_maps--;
        return -1;
    }
    host.page[gva >> 12] = (struct fake_page){ true, gpa, writable };
    return 0;
}

static int fake_protect(void *ctx, uint32_t gva, bool writable)
{
    (void)ctx;
    host.protects++;
    assert_true(host.page[gva >> 12].mapped);   /* mprotect of a hole fails */
    host.page[gva >> 12].writable = writable;
    return 0;
}

static int fake_unmap(void *ctx, uint32_t gva)
{
    (void)ctx;
    host.unmaps++;
    assert_true(host.page[gva >> 12].mapped);   /* the shadow knows what it mapped */
    host.page[gva >> 12].mapped = false;
    return 0;
}

static void fake_unmap_all(void *ctx)
{
    (void)ctx;
    host.unmap_alls++;
    memset(host.page, 0, sizeof host.page);
}

static const struct shadow_host_ops fake_ops = {
    .map = fake_map, .protect = fake_protect,
    .unmap = fake_unmap, .unmap_all = fake_unmap_all,
};

static const struct fake_page *hp(uint32_t gva) { return &host.page[gva >> 12]; }

/* ---- guest page tables ---------------------------------------------------- */

struct fixture {
    struct guest_mem mem;
    struct shadow sh;
};

static void put(struct fixture *f, uint32_t gpa, uint32_t v)
{
    assert_int_equal(gpa_write(&f->mem, gpa, &v, 4), 0);
}

static uint32_t get(struct fixture *f, uint32_t gpa)
{
    uint32_t v;
    assert_int_equal(gpa_read(&f->mem, gpa, &v, 4), 0);
    return v;
}

/* Address of the PTE for gva in table pt, and of the PDE in directory pd. */
static uint32_t pte_at(uint32_t pt, uint32_t gva) { return pt + ((gva >> 12) & 1023) * 4; }
static uint32_t pde_at(uint32_t pd, uint32_t gva) { return pd + (gva >> 22) * 4; }

/* Both directories: the kernel's first 4 MiB mapped at KBASE through one
   shared table; each its own user table at UBASE. */
static void build_tables(struct fixture *f)
{
    for (uint32_t i = 0; i < 1024; i++)
        put(f, PT_K + i * 4, i << 12 | KFLAGS);
    put(f, pde_at(PD_A, KBASE), PT_K | PW_P | PW_RW | PW_A);
    put(f, pde_at(PD_B, KBASE), PT_K | PW_P | PW_RW | PW_A);
    put(f, pde_at(PD_A, UBASE), PT_A | PW_P | PW_RW | PW_US);
    put(f, pde_at(PD_B, UBASE), PT_B | PW_P | PW_RW | PW_US);
}

static int setup_mode(void **state, enum shadow_mode mode)
{
    static struct fixture f;
    memset(&host, 0, sizeof host);
    if (guest_mem_init(&f.mem, RAM) < 0)
        return -1;
    if (shadow_init(&f.sh, &f.mem, &fake_ops, mode) < 0)
        return -1;
    build_tables(&f);
    *state = &f;
    return 0;
}

static int setup_vtlb(void **state) { return setup_mode(state, SHADOW_VTLB); }
static int setup_traced(void **state) { return setup_mode(state, SHADOW_TRACED); }

static int teardown(void **state)
{
    struct fixture *f = *state;
    shadow_destroy(&f->sh);
    guest_mem_destroy(&f->mem);
    return 0;
}

/* One host fault in address space pd; returns the action. */
static enum shadow_action fault_in(struct fixture *f, uint32_t pd, uint32_t gva,
                                   bool write, bool user, struct shadow_fault_result *r)
{
    shadow_fault(&f->sh, CR0, pd, CR4, gva, write, user, r);
    return r->action;
}

static enum shadow_action fault(struct fixture *f, uint32_t gva, bool write, bool user)
{
    struct shadow_fault_result r;
    return fault_in(f, PD_A, gva, write, user, &r);
}

/* ---- the tests ------------------------------------------------------------ */

static void test_hidden_fault_fills_the_page(void **state)
{
    struct fixture *f = *state;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS | PW_D);

    assert_int_equal(fault(f, UBASE + 0x10, false, true), SHADOW_FIXED);
    assert_true(hp(UBASE)->mapped);
    assert_int_equal(hp(UBASE)->gpa, 0x123000);
    assert_true(hp(UBASE)->writable);           /* RW and already dirty */
    assert_true(get(f, pte_at(PT_A, UBASE)) & PW_A);
    assert_int_equal(f->sh.stats.hidden_faults, 1);
    assert_int_equal(f->sh.stats.filled, 1);

    struct shadow_entry e;
    assert_int_equal(shadow_lookup(&f->sh, UBASE + 0x10, &e), 0);
    assert_int_equal(e.gpa, 0x123010);
    assert_true(e.writable && e.user && !e.big);
}

static void test_true_faults_carry_the_cpu_error_code(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;
    put(f, pte_at(PT_A, UBASE + 0x1000), 0x124000 | PW_P | PW_US);     /* user read-only */

    /* Not present: P clear, W and U as the access was. */
    assert_int_equal(fault_in(f, PD_A, UBASE, false, false, &r), SHADOW_INJECT);
    assert_int_equal(r.error_code, 0);
    assert_int_equal(fault_in(f, PD_A, UBASE, true, true, &r), SHADOW_INJECT);
    assert_int_equal(r.error_code, PW_ERR_W | PW_ERR_U);
    /* Protection: a user write to a read-only page; user touching the kernel. */
    assert_int_equal(fault_in(f, PD_A, UBASE + 0x1000, true, true, &r), SHADOW_INJECT);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_W | PW_ERR_U);
    assert_int_equal(fault_in(f, PD_A, KBASE + 0x5000, false, true, &r), SHADOW_INJECT);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_U);
    /* CR0.WP: the kernel may not write a read-only page either. */
    assert_int_equal(fault_in(f, PD_A, UBASE + 0x1000, true, false, &r), SHADOW_INJECT);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_W);
    assert_int_equal(f->sh.stats.injected_faults, 5);
    assert_false(hp(KBASE + 0x5000)->mapped);
}

static void test_read_only_until_the_first_write_sets_dirty(void **state)
{
    struct fixture *f = *state;
    struct shadow_entry e;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS);                     /* D clear */

    assert_int_equal(fault(f, UBASE, false, true), SHADOW_FIXED);
    assert_true(hp(UBASE)->mapped);
    assert_false(hp(UBASE)->writable);
    assert_int_equal(shadow_lookup(&f->sh, UBASE, &e), 0);
    assert_int_equal(e.why, SHADOW_WHY_WAIT_DIRTY);
    assert_false(get(f, pte_at(PT_A, UBASE)) & PW_D);

    unsigned maps = host.maps;
    assert_int_equal(fault(f, UBASE, true, true), SHADOW_FIXED);
    assert_true(get(f, pte_at(PT_A, UBASE)) & PW_D);                    /* the walk set D */
    assert_true(hp(UBASE)->writable);
    assert_int_equal(host.maps, maps);                                  /* upgraded in place */
    assert_int_equal(f->sh.stats.upgraded, 1);
    assert_int_equal(shadow_lookup(&f->sh, UBASE, &e), 0);
    assert_int_equal(e.why, SHADOW_WHY_NONE);
}

/* vtlb: the guest moved a page to another frame without INVLPG, which a
   TLB may ignore; but when the stale read-only entry faults on a write, the
   new walk's frame replaces the old one, it is not just made writable. */
static void test_stale_frame_replaced_on_the_next_fault(void **state)
{
    struct fixture *f = *state;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS);                     /* D clear */
    assert_int_equal(fault(f, UBASE, false, true), SHADOW_FIXED);
    assert_int_equal(hp(UBASE)->gpa, 0x123000);
    assert_false(hp(UBASE)->writable);

    put(f, pte_at(PT_A, UBASE), 0x456000 | UFLAGS);                     /* no INVLPG */
    assert_int_equal(fault(f, UBASE, true, true), SHADOW_FIXED);
    assert_true(hp(UBASE)->mapped);
    assert_int_equal(hp(UBASE)->gpa, 0x456000);
    assert_true(hp(UBASE)->writable);
    struct shadow_entry e;
    assert_int_equal(shadow_lookup(&f->sh, UBASE + 8, &e), 0);
    assert_int_equal(e.gpa, 0x456008);
}

static void test_guest_read_only_and_wp_clear(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;
    struct shadow_entry e;
    put(f, pte_at(PT_A, UBASE), 0x123000 | PW_P | PW_US | PW_D);        /* read-only */

    assert_int_equal(fault(f, UBASE, false, true), SHADOW_FIXED);
    assert_int_equal(shadow_lookup(&f->sh, UBASE, &e), 0);
    assert_int_equal(e.why, SHADOW_WHY_GUEST_RO);
    assert_string_equal(shadow_why_name(e.why), "guest read-only");

    /* WP clear: the kernel may write it, but the shadow never maps it
       writable (user code would inherit the right): emulate instead. */
    shadow_fault(&f->sh, PW_CR0_PG, PD_A, CR4, UBASE + 8, true, false, &r);
    assert_int_equal(r.action, SHADOW_EMULATE);
    assert_int_equal(r.gpa, 0x123008);
    assert_false(hp(UBASE)->writable);
}

static void test_ring_compression_hides_supervisor_pages(void **state)
{
    struct fixture *f = *state;
    struct shadow_entry e;
    struct shadow_fault_result r;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS | PW_D);

    assert_int_equal(fault(f, KBASE + 0x7000, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE + 0x8000, true, false), SHADOW_FIXED);
    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_true(hp(KBASE + 0x7000)->mapped && hp(UBASE)->mapped);

    shadow_set_user_mode(&f->sh, true);
    assert_false(hp(KBASE + 0x7000)->mapped);
    assert_false(hp(KBASE + 0x8000)->mapped);
    assert_true(hp(UBASE)->mapped);                     /* user pages stay */
    assert_int_equal(f->sh.stats.hidden, 2);
    assert_int_equal(shadow_lookup(&f->sh, KBASE + 0x7000, &e), -1);
    assert_int_equal(e.why, SHADOW_WHY_HIDDEN);
    assert_int_equal(e.gpa, 0x7000);

    /* In user mode the kernel page is a true fault. */
    assert_int_equal(fault_in(f, PD_A, KBASE + 0x7000, false, true, &r), SHADOW_INJECT);
    assert_int_equal(r.error_code, PW_ERR_P | PW_ERR_U);

    /* Back in the kernel it refaults as a hidden fault. */
    shadow_set_user_mode(&f->sh, false);
    assert_false(hp(KBASE + 0x7000)->mapped);
    assert_int_equal(fault(f, KBASE + 0x7000, false, false), SHADOW_FIXED);
    assert_true(hp(KBASE + 0x7000)->mapped);
    assert_int_equal(f->sh.stats.ring_switches, 2);

    /* A fault that arrives with CPL 3 implies the switch. */
    assert_int_equal(fault(f, UBASE, false, true), SHADOW_FIXED);
    assert_true(f->sh.user_mode);
    assert_false(hp(KBASE + 0x7000)->mapped);
}

static void test_vtlb_cr3_load_and_invlpg(void **state)
{
    struct fixture *f = *state;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS);
    put(f, pte_at(PT_A, UBASE + 0x1000), 0x124000 | UFLAGS);

    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, UBASE + 0x1000, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE, false, false), SHADOW_FIXED);

    shadow_invlpg(&f->sh, UBASE + 0x1000);
    assert_false(hp(UBASE + 0x1000)->mapped);
    assert_true(hp(UBASE)->mapped);

    /* Guest page-table writes are not trapped in vtlb mode. */
    assert_true(hp(KBASE + PT_A)->mapped || fault(f, KBASE + PT_A, true, false) == SHADOW_FIXED);
    assert_true(hp(KBASE + PT_A)->writable);

    shadow_new_cr3(&f->sh, PD_A);       /* even the same directory: a TLB flush */
    assert_int_equal(host.unmap_alls, 1);
    assert_false(hp(UBASE)->mapped || hp(KBASE)->mapped);
    assert_int_equal(f->sh.installed, 0);
    assert_int_equal(f->sh.stats.cr3_switches, 1);
    assert_int_equal(f->sh.stats.flushes, 1);
}

static void test_traced_page_tables_are_write_protected(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;
    struct shadow_entry e;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS | PW_D);

    /* The kernel maps PT_A writable before it is a page table in use ... */
    assert_int_equal(fault(f, KBASE + PT_A, true, false), SHADOW_FIXED);
    assert_true(hp(KBASE + PT_A)->writable);
    assert_int_equal(fault(f, KBASE + PD_A, false, false), SHADOW_FIXED);
    assert_false(hp(KBASE + PD_A)->writable);  /* PD_A was read for KBASE pages */

    /* ... and a user page is installed through it: its alias loses write. */
    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_false(hp(KBASE + PT_A)->writable);
    assert_int_equal(shadow_lookup(&f->sh, KBASE + PT_A, &e), 0);
    assert_int_equal(e.why, SHADOW_WHY_TRACED);
    assert_string_equal(shadow_why_name(e.why), "traced page table");

    /* The kernel writes the PTE: emulate, then the write invalidates it. */
    assert_int_equal(fault_in(f, PD_A, pte_at(KBASE + PT_A, UBASE), true, false, &r),
                     SHADOW_EMULATE);
    assert_int_equal(r.gpa, pte_at(PT_A, UBASE));
    put(f, r.gpa, 0x555000 | UFLAGS);
    shadow_pt_written(&f->sh, r.gpa, 4);
    assert_false(hp(UBASE)->mapped);
    assert_int_equal(f->sh.stats.pt_writes, 1);

    /* PT_A no longer feeds any page: its alias may be written again. */
    assert_true(hp(KBASE + PT_A)->writable);
    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_int_equal(hp(UBASE)->gpa, 0x555000);
}

static void test_pt_write_invalidates_exactly_what_it_fed(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i < 3; i++)
        put(f, pte_at(PT_A, UBASE + i * 0x1000), (0x200000 + i * 0x1000) | UFLAGS);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(fault(f, UBASE + i * 0x1000, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE + 0x9000, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE + 0xA000, false, false), SHADOW_FIXED);

    /* A PTE: one page. A 2-byte write inside it, too. */
    shadow_pt_written(&f->sh, pte_at(PT_A, UBASE + 0x1000), 4);
    assert_false(hp(UBASE + 0x1000)->mapped);
    assert_true(hp(UBASE)->mapped && hp(UBASE + 0x2000)->mapped);
    shadow_pt_written(&f->sh, pte_at(PT_K, KBASE + 0x9000) + 2, 2);
    assert_false(hp(KBASE + 0x9000)->mapped);
    assert_true(hp(KBASE + 0xA000)->mapped);

    /* An unused entry of a traced table: nothing to drop. */
    unsigned unmaps = host.unmaps;
    shadow_pt_written(&f->sh, pte_at(PT_A, UBASE + 0x5000), 4);
    assert_int_equal(host.unmaps, unmaps);

    /* A PDE: its whole region, and only it. */
    shadow_pt_written(&f->sh, pde_at(PD_A, UBASE), 4);
    assert_false(hp(UBASE)->mapped || hp(UBASE + 0x2000)->mapped);
    assert_true(hp(KBASE + 0xA000)->mapped);

    /* A whole page, as an engine that only knows the page reports it. */
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(fault(f, UBASE + i * 0x1000, false, false), SHADOW_FIXED);
    shadow_pt_written(&f->sh, PT_A, 4096);
    assert_false(hp(UBASE)->mapped || hp(UBASE + 0x2000)->mapped);
    assert_true(hp(KBASE + 0xA000)->mapped);
    /* Across a frame boundary: the last PTE of PT_K ... the first of PT_A. */
    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE + 0x3FF000, false, false), SHADOW_FIXED);
    shadow_pt_written(&f->sh, PT_K + 4092, 8);
    assert_false(hp(KBASE + 0x3FF000)->mapped || hp(UBASE)->mapped);
    assert_true(hp(KBASE + 0xA000)->mapped);

    /* A frame nothing was derived through: ignored, not counted. */
    uint64_t pt_writes = f->sh.stats.pt_writes;
    shadow_pt_written(&f->sh, 0x300000, 4);
    assert_int_equal(f->sh.stats.pt_writes, pt_writes);
}

/* Lab 3, task 1: a region traces the page directory and its page table
   while it has pages, and gives both back when its last page goes. */
static void test_regions_trace_and_untrace_their_tables(void **state)
{
    struct fixture *f = *state;
    put(f, pte_at(PT_A, UBASE), 0x200000 | UFLAGS);
    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE + 0x9000, false, false), SHADOW_FIXED);
    assert_int_equal(shadow_trace_refs(&f->sh, PD_A), 2);      /* user and kernel regions */
    assert_int_equal(shadow_trace_refs(&f->sh, PT_A), 1);
    assert_int_equal(shadow_trace_refs(&f->sh, PT_K), 1);

    shadow_invlpg(&f->sh, UBASE);       /* the user region's last page */
    assert_int_equal(shadow_trace_refs(&f->sh, PD_A), 1);
    assert_int_equal(shadow_trace_refs(&f->sh, PT_A), 0);
    shadow_invlpg(&f->sh, KBASE + 0x9000);
    assert_int_equal(shadow_trace_refs(&f->sh, PD_A), 0);
    assert_int_equal(shadow_trace_refs(&f->sh, PT_K), 0);

    /* A 4 MiB page: only the directory is a page table. */
    put(f, pde_at(PD_A, BIG), 0x400000 | UFLAGS | PW_PS | PW_D);
    assert_int_equal(fault(f, BIG, false, false), SHADOW_FIXED);
    assert_int_equal(shadow_trace_refs(&f->sh, PD_A), 1);
    assert_int_equal(shadow_trace_refs(&f->sh, 0x400000), 0);
    shadow_invlpg(&f->sh, BIG);
    assert_int_equal(shadow_trace_refs(&f->sh, PD_A), 0);
}

/* Lab 3, task 2: one write over several PTEs (a rep stos) drops each page. */
static void test_one_write_over_several_entries(void **state)
{
    struct fixture *f = *state;
    for (uint32_t i = 0; i < 4; i++) {
        put(f, pte_at(PT_A, UBASE + i * 0x1000), (0x200000 + i * 0x1000) | UFLAGS);
        assert_int_equal(fault(f, UBASE + i * 0x1000, false, false), SHADOW_FIXED);
    }
    shadow_pt_written(&f->sh, pte_at(PT_A, UBASE + 0x1000), 8);    /* entries 1 and 2 */
    assert_true(hp(UBASE)->mapped);
    assert_false(hp(UBASE + 0x1000)->mapped);
    assert_false(hp(UBASE + 0x2000)->mapped);
    assert_true(hp(UBASE + 0x3000)->mapped);
}

static void test_traced_cr3_switch_keeps_the_kernel_half(void **state)
{
    struct fixture *f = *state;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS);
    put(f, pte_at(PT_B, UBASE), 0x456000 | UFLAGS);

    assert_int_equal(fault(f, KBASE + 0x7000, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE + PD_B, true, false), SHADOW_FIXED);
    assert_true(hp(KBASE + PD_B)->writable);            /* not a table in use yet */
    unsigned maps = host.maps;

    shadow_new_cr3(&f->sh, PD_B);
    assert_true(hp(KBASE + 0x7000)->mapped);            /* same PDE: kept */
    assert_false(hp(UBASE)->mapped);                    /* other table: gone */
    assert_false(hp(KBASE + PD_B)->writable);           /* the kept region reads PD_B */
    assert_int_equal(host.unmap_alls, 0);
    assert_int_equal(f->sh.stats.kept_on_cr3, 2);

    struct shadow_fault_result r;
    assert_int_equal(fault_in(f, PD_B, UBASE, false, false, &r), SHADOW_FIXED);
    assert_int_equal(hp(UBASE)->gpa, 0x456000);
    assert_int_equal(host.maps, maps + 1);              /* no kernel refault */

    /* The kept region now hangs off PD_B: writes to PD_A no longer matter,
       writes to PD_B do. */
    shadow_pt_written(&f->sh, pde_at(PD_A, KBASE), 4);
    assert_true(hp(KBASE + 0x7000)->mapped);
    shadow_pt_written(&f->sh, pde_at(PD_B, KBASE), 4);
    assert_false(hp(KBASE + 0x7000)->mapped);

    /* A kernel PDE that differs (read-only here) drops the region. */
    assert_int_equal(fault_in(f, PD_B, KBASE + 0x7000, false, false, &r), SHADOW_FIXED);
    put(f, pde_at(PD_A, KBASE), PT_K | PW_P | PW_A);
    shadow_new_cr3(&f->sh, PD_A);
    assert_false(hp(KBASE + 0x7000)->mapped);
    assert_int_equal(f->sh.stats.cr3_switches, 2);
}

static void test_cr3_switch_to_a_clean_4m_page(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;
    put(f, pde_at(PD_A, BIG), 0x400000 | PW_PS | UFLAGS | PW_A | PW_D);
    put(f, pde_at(PD_B, BIG), 0x400000 | PW_PS | UFLAGS | PW_A);

    assert_int_equal(fault(f, BIG, true, false), SHADOW_FIXED);
    assert_true(hp(BIG)->writable);
    /* Same page, but D clear in the new directory: a write there must set
       it, so the writable piece cannot stay. */
    shadow_new_cr3(&f->sh, PD_B);
    assert_false(hp(BIG)->mapped && hp(BIG)->writable);
    assert_int_equal(fault_in(f, PD_B, BIG, true, false, &r), SHADOW_FIXED);
    assert_true(get(f, pde_at(PD_B, BIG)) & PW_D);
}

static void test_a_fault_notices_a_new_cr3(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;
    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS);
    put(f, pte_at(PT_B, UBASE), 0x456000 | UFLAGS);

    assert_int_equal(fault_in(f, PD_A, UBASE, false, false, &r), SHADOW_FIXED);
    /* The engine forgot shadow_new_cr3: the fault notices the new CR3. */
    assert_int_equal(fault_in(f, PD_B, UBASE, false, false, &r), SHADOW_FIXED);
    assert_int_equal(hp(UBASE)->gpa, 0x456000);
}

static void test_mmio(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;
    put(f, pte_at(PT_A, UBASE), 0xFEC00000 | UFLAGS);

    assert_int_equal(fault_in(f, PD_A, UBASE + 0x20, true, false, &r), SHADOW_MMIO);
    assert_int_equal(r.gpa, 0xFEC00020);
    assert_false(hp(UBASE)->mapped);
    assert_int_equal(f->sh.stats.mmio_faults, 1);
    assert_string_equal(shadow_action_name(r.action), "mmio");
}

static void test_4m_pages(void **state)
{
    struct fixture *f = *state;
    struct shadow_entry e;
    put(f, pde_at(PD_A, BIG), 0x400000 | PW_PS | UFLAGS);

    assert_int_equal(fault(f, BIG + 0x1234, false, true), SHADOW_FIXED);
    assert_int_equal(hp(BIG + 0x1000)->gpa, 0x401000);
    assert_false(hp(BIG + 0x1000)->writable);           /* PDE D clear */
    assert_int_equal(fault(f, BIG + 0x3FF000, true, true), SHADOW_FIXED);
    assert_int_equal(hp(BIG + 0x3FF000)->gpa, 0x7FF000);
    assert_true(hp(BIG + 0x3FF000)->writable);
    assert_true(get(f, pde_at(PD_A, BIG)) & PW_D);
    assert_true(hp(BIG + 0x1000)->mapped);              /* D 0 -> 1 keeps the others */
    assert_int_equal(shadow_lookup(&f->sh, BIG + 0x1000, &e), 0);
    assert_true(e.big);
    assert_int_equal(e.why, SHADOW_WHY_WAIT_DIRTY);
    assert_int_equal(fault(f, BIG + 0x1000, true, true), SHADOW_FIXED);
    assert_true(hp(BIG + 0x1000)->writable);

    /* INVLPG of any address in the big page drops every piece. */
    shadow_invlpg(&f->sh, BIG + 0x200000);
    assert_false(hp(BIG + 0x1000)->mapped || hp(BIG + 0x3FF000)->mapped);

    /* Without CR4.PSE the PS bit means nothing: the PDE names a table. */
    struct shadow_fault_result r;
    put(f, 0x400000 + 4, 0x999000 | UFLAGS);
    shadow_fault(&f->sh, CR0, PD_A, 0, BIG + 0x1000, false, true, &r);
    assert_int_equal(r.action, SHADOW_FIXED);
    assert_int_equal(hp(BIG + 0x1000)->gpa, 0x999000);
}

static void test_paging_off_is_identity_and_survives_cr3(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;

    shadow_fault(&f->sh, 0, 0, 0, 0x100000, true, false, &r);
    assert_int_equal(r.action, SHADOW_FIXED);
    assert_int_equal(hp(0x100000)->gpa, 0x100000);
    assert_true(hp(0x100000)->writable);
    shadow_new_cr3(&f->sh, PD_A);                       /* loaded before CR0.PG */
    assert_true(hp(0x100000)->mapped);

    /* Turning paging on changes what every address means: all gone. */
    assert_int_equal(fault(f, KBASE, false, false), SHADOW_FIXED);
    assert_false(hp(0x100000)->mapped);
    assert_int_equal(f->sh.stats.flushes, 1);
}

static void test_host_refusal_flushes(void **state)
{
    struct fixture *f = *state;
    struct shadow_fault_result r;

    assert_int_equal(fault(f, KBASE, false, false), SHADOW_FIXED);
    host.fail_maps = 1;                                 /* e.g. out of VMAs */
    assert_int_equal(fault(f, KBASE + 0x1000, false, false), SHADOW_FIXED);
    assert_int_equal(f->sh.installed, 0);
    assert_int_equal(f->sh.stats.host_failures, 1);
    assert_int_equal(host.unmap_alls, 1);

    host.fail_maps = 1;                                 /* refused in an empty shadow */
    assert_int_equal(fault_in(f, PD_A, KBASE + 0x1000, false, false, &r),
                     SHADOW_HOST_ERROR);
    assert_int_equal(fault(f, KBASE + 0x1000, false, false), SHADOW_FIXED);
    assert_true(hp(KBASE + 0x1000)->mapped);
}

static void test_flush_forgets_everything(void **state)
{
    struct fixture *f = *state;
    struct shadow_entry e;

    put(f, pte_at(PT_A, UBASE), 0x123000 | UFLAGS);
    assert_int_equal(fault(f, UBASE, false, false), SHADOW_FIXED);
    assert_int_equal(fault(f, KBASE + PT_A, true, false), SHADOW_EMULATE);
    shadow_flush(&f->sh);
    assert_int_equal(shadow_lookup(&f->sh, UBASE, &e), -1);
    assert_int_equal(e.why, SHADOW_WHY_NONE);
    assert_int_equal(host.unmap_alls, 1);
    /* Nothing is traced any more: the table's alias is writable again. */
    assert_int_equal(fault(f, KBASE + PT_A, true, false), SHADOW_FIXED);
    assert_true(hp(KBASE + PT_A)->writable);
}

#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    /* The lab 3 grader runs one task's tests alone: TEST_FILTER="*untrace*". */
    const char *filter = getenv("TEST_FILTER");
    if (filter && *filter)
        cmocka_set_test_filter(filter);
    const struct CMUnitTest tests[] = {
        T(test_hidden_fault_fills_the_page, setup_vtlb),
        T(test_hidden_fault_fills_the_page, setup_traced),
        T(test_true_faults_carry_the_cpu_error_code, setup_vtlb),
        T(test_read_only_until_the_first_write_sets_dirty, setup_vtlb),
        T(test_read_only_until_the_first_write_sets_dirty, setup_traced),
        T(test_stale_frame_replaced_on_the_next_fault, setup_vtlb),
        T(test_guest_read_only_and_wp_clear, setup_traced),
        T(test_ring_compression_hides_supervisor_pages, setup_vtlb),
        T(test_ring_compression_hides_supervisor_pages, setup_traced),
        T(test_vtlb_cr3_load_and_invlpg, setup_vtlb),
        T(test_traced_page_tables_are_write_protected, setup_traced),
        T(test_pt_write_invalidates_exactly_what_it_fed, setup_traced),
        T(test_regions_trace_and_untrace_their_tables, setup_traced),
        T(test_one_write_over_several_entries, setup_traced),
        T(test_traced_cr3_switch_keeps_the_kernel_half, setup_traced),
        T(test_cr3_switch_to_a_clean_4m_page, setup_traced),
        T(test_a_fault_notices_a_new_cr3, setup_vtlb),
        T(test_a_fault_notices_a_new_cr3, setup_traced),
        T(test_mmio, setup_traced),
        T(test_4m_pages, setup_vtlb),
        T(test_4m_pages, setup_traced),
        T(test_paging_off_is_identity_and_survives_cr3, setup_traced),
        T(test_host_refusal_flushes, setup_traced),
        T(test_flush_forgets_everything, setup_traced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
