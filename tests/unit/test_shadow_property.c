/*
 * test_shadow_property.c - the shadow page tables (shadow-mmu/shadow.c,
 * chapter 04-shadow-paging.md) against a reference, on random work.
 *
 * A small guest world: three address spaces sharing a kernel half (a direct
 * map of all RAM at KBASE plus one region of random entries), each with
 * random user regions, 4 MiB pages, shared page tables and entries that
 * point at page tables or outside RAM. Random steps: accesses, page-table
 * edits (made as the guest kernel makes them: stores through the direct
 * map), CR3 switches, CPL changes, CR0.WP and CR4.PSE changes, INVLPGs.
 * Every access runs as the trap engine would run it (through the fake
 * host, else shadow_fault until done) and must end exactly as the test's
 * own reference walk of the guest's tables says (ref_walk, written here
 * from the SDM and sharing no code with shadow-mmu/page-walk.c, which the
 * shadow is built on): same gpa, or the same #PF error code, or MMIO.
 * Every few steps the whole fake host is checked against the guest's
 * tables, and in traced mode against the write-protection invariant.
 *
 * SHADOW_SEED=N and SHADOW_STEPS=N change the run; a failure prints both.
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

#define RAM       (16u << 20)
#define NFRAMES   (RAM >> 12)
#define NAS       3                     /* address spaces */
#define KBASE     0xC0000000u           /* direct map of RAM: regions 0x300-0x303 */
#define KRAND     (KBASE + RAM)         /* region 0x304: random kernel entries */
#define KRAND_PT  0x14000u
#define UREGIONS  3                     /* user regions 1..3 */

static uint32_t pd_of(unsigned as) { return 0x1000u * (1 + as); }
static uint32_t kpt_of(unsigned i) { return 0x10000u + 0x1000u * i; }
static uint32_t upt_of(unsigned as, unsigned r) { return 0x20000u + 0x1000u * (as * UREGIONS + r - 1); }

/* ---- the fake host: a generation number per page makes unmap_all O(1) --- */

static struct fake_host {
    struct { uint32_t gen, gpa; bool writable; } page[1u << 20];
    uint32_t gen;                       /* a page is mapped iff its gen is this */
    uint32_t mapped;                    /* pages mapped */
} host;

static bool fake_mapped(uint32_t page) { return host.page[page].gen == host.gen; }

static int fake_map(void *ctx, uint32_t gva, uint32_t gpa, bool writable)
{
    (void)ctx;
    if (!fake_mapped(gva >> 12))
        host.mapped++;
    host.page[gva >> 12].gen = host.gen;
    host.page[gva >> 12].gpa = gpa;
    host.page[gva >> 12].writable = writable;
    return 0;
}

static int fake_protect(void *ctx, uint32_t gva, bool writable)
{
    (void)ctx;
    if (!fake_mapped(gva >> 12))
        return -1;                      /* as mprotect on a hole: shows up as host_failures */
    host.page[gva >> 12].writable = writable;
    return 0;
}

static int fake_unmap(void *ctx, uint32_t gva)
{
    (void)ctx;
    if (!fake_mapped(gva >> 12))
        return -1;
    host.page[gva >> 12].gen = 0;
    host.mapped--;
    return 0;
}

static void fake_unmap_all(void *ctx)
{
    (void)ctx;
    host.gen++;
    host.mapped = 0;
}

static const struct shadow_host_ops fake_ops = {
    .map = fake_map, .protect = fake_protect,
    .unmap = fake_unmap, .unmap_all = fake_unmap_all,
};

/* ---- the world -------------------------------------------------------------- */

static struct world {
    struct guest_mem mem;
    struct shadow sh;
    uint64_t rng, seed;
    unsigned long step;
    const char *mode_name;
    unsigned as;                        /* current address space */
    bool user;                          /* CPL 3 */
    uint32_t cr0, cr4;
} w;

#define CHECK(cond, ...) do {                                                 \
    if (!(cond)) {                                                            \
        print_error("%s mode, SHADOW_SEED=%llu, step %lu: ", w.mode_name,     \
                    (unsigned long long)w.seed, w.step);                      \
        print_error(__VA_ARGS__);                                             \
        print_error("\n");                                                    \
        fail();                                                               \
    }                                                                         \
} while (0)

static uint32_t rnd(uint32_t n)         /* xorshift64*: 0 .. n-1 */
{
    w.rng ^= w.rng >> 12;
    w.rng ^= w.rng << 25;
    w.rng ^= w.rng >> 27;
    return (uint32_t)((w.rng * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

static bool chance(unsigned percent) { return rnd(100) < percent; }

/* An entry index, mostly among the first few, so that edits and accesses
   meet often enough to matter. */
static uint32_t index_(void) { return chance(90) ? rnd(64) : rnd(1024); }

static uint32_t cr3(void) { return pd_of(w.as); }

static uint32_t get(uint32_t gpa)
{
    uint32_t v = 0;
    (void)gpa_read(&w.mem, gpa, &v, 4);
    return v;
}

static void put(uint32_t gpa, uint32_t v) { (void)gpa_write(&w.mem, gpa, &v, 4); }

/* ---- the reference: the i386 two-level walk, from the SDM ------------------ */

struct ref {
    uint32_t gpa, error_code;
    uint32_t leaf;                      /* the PTE, or the PDE of a 4 MiB page */
    uint32_t pde_addr, pte_addr;        /* no pte_addr for a 4 MiB page */
    bool big;
};

/*
 * What the CPU does with an access at lin (paging on): 0 and r->gpa, or -1
 * and the #PF error code in r->error_code. Changes no A/D bit. A table
 * outside RAM reads as 0, the project's documented choice (get() returns 0).
 */
static int ref_walk(uint32_t lin, bool write, bool user, struct ref *r)
{
    uint32_t why = (write ? 2u : 0u) | (user ? 4u : 0u);

    memset(r, 0, sizeof *r);
    r->pde_addr = (cr3() & ~0xFFFu) | (lin >> 22) << 2;
    uint32_t pde = get(r->pde_addr), rights;
    if (!(pde & 1u)) {
        r->error_code = why;
        return -1;
    }
    if ((w.cr4 & (1u << 4)) && (pde & 0x80u)) {         /* 4 MiB page */
        r->big = true;
        r->leaf = pde;
        rights = pde;
        r->gpa = (pde & 0xFFC00000u) + (lin & 0x3FFFFFu);
    } else {
        r->pte_addr = (pde & ~0xFFFu) | ((lin >> 12) & 0x3FFu) << 2;
        uint32_t pte = get(r->pte_addr);
        if (!(pte & 1u)) {
            r->error_code = why;
            return -1;
        }
        r->leaf = pte;
        rights = pde & pte;
        r->gpa = (pte & ~0xFFFu) + (lin & 0xFFFu);
    }
    bool may_write = rights & 2u, may_user = rights & 4u;
    if ((user && !may_user) || (write && !may_write && (user || (w.cr0 & (1u << 16))))) {
        r->error_code = why | 1u;
        return -1;
    }
    return 0;
}

/* A frame that is often a page table, else any frame, sometimes not RAM. */
static uint32_t random_frame(void)
{
    if (chance(10))
        return 0xFE000000u + rnd(16) * 0x1000u;
    if (chance(30)) {
        switch (rnd(4)) {
        case 0:  return pd_of(rnd(NAS));
        case 1:  return upt_of(rnd(NAS), 1 + rnd(UREGIONS));
        case 2:  return kpt_of(rnd(4));
        default: return KRAND_PT;
        }
    }
    return rnd(NFRAMES) << 12;
}

static uint32_t random_pte(void)
{
    uint32_t v = random_frame();
    v |= chance(85) ? PW_P : 0;
    v |= chance(60) ? PW_RW : 0;
    v |= chance(60) ? PW_US : 0;
    v |= chance(50) ? PW_A : 0;
    v |= chance(50) ? PW_D : 0;
    return v;
}

static uint32_t random_user_pde(unsigned as, unsigned r)
{
    uint32_t flags = PW_P | (chance(80) ? PW_RW : 0) | (chance(85) ? PW_US : 0) |
                     (chance(50) ? PW_A : 0);
    switch (rnd(20)) {
    case 0: case 1: case 2:
        return 0;
    case 3: case 4: case 5:                         /* another space's table */
        return upt_of(rnd(NAS), 1 + rnd(UREGIONS)) | flags;
    case 6: case 7: case 8:                         /* a 4 MiB page */
        return (chance(85) ? rnd(4) << 22 : 0xF0000000u) | PW_PS | flags |
               (chance(50) ? PW_D : 0);
    default:
        return upt_of(as, r) | flags;
    }
}

static void build_world(void)
{
    for (uint32_t i = 0; i < NFRAMES; i++)          /* the direct map */
        put(kpt_of(i >> 10) + (i & 1023) * 4, i << 12 | PW_P | PW_RW | PW_A | PW_D);
    for (uint32_t i = 0; i < 1024; i++)
        put(KRAND_PT + i * 4, random_pte());
    for (unsigned as = 0; as < NAS; as++) {
        for (unsigned i = 0; i < 4; i++)
            put(pd_of(as) + (0x300 + i) * 4, kpt_of(i) | PW_P | PW_RW);
        put(pd_of(as) + 0x304 * 4, KRAND_PT | PW_P | PW_RW | PW_US);
        for (unsigned r = 1; r <= UREGIONS; r++) {
            put(pd_of(as) + r * 4, upt_of(as, r) | PW_P | PW_RW | PW_US);
            for (uint32_t i = 0; i < 1024; i++)
                put(upt_of(as, r) + i * 4, chance(50) ? random_pte() : 0);
        }
    }
}

/* ---- running guest accesses as the trap engine does ------------------------ */

enum outcome { DONE, FAULT, MMIO };

/*
 * A 4-byte guest access at gva (4-aligned) at the current CPL: through the
 * fake host if it allows it, else shadow_fault until the shadow says how it
 * ends. A write stores *value, or what is there already when value is NULL.
 */
static enum outcome guest_access(uint32_t gva, bool write, const uint32_t *value,
                                 uint32_t *gpa, uint32_t *error_code)
{
    for (int tries = 0; tries < 4; tries++) {
        uint32_t page = gva >> 12;
        if (fake_mapped(page) && (!write || host.page[page].writable)) {
            *gpa = host.page[page].gpa | (gva & 0xFFF);
            if (write)
                put(*gpa, value ? *value : get(*gpa));
            return DONE;
        }

        struct shadow_fault_result res;
        shadow_fault(&w.sh, w.cr0, cr3(), w.cr4, gva, write, w.user, &res);
        switch (res.action) {
        case SHADOW_FIXED:
            continue;
        case SHADOW_EMULATE: {          /* the engine's emulator: walk, store, report */
            struct pw_result r;
            unsigned acc = PW_ACC_WRITE | (w.user ? PW_ACC_USER : 0);
            CHECK(write, "EMULATE for a read at %08x", gva);
            CHECK(pw_walk(&w.mem, w.cr0, cr3(), w.cr4, gva, acc, &r) == 0,
                  "EMULATE at %08x but the guest walk faults", gva);
            CHECK(r.gpa == res.gpa, "EMULATE gpa %08x, walk says %08x", res.gpa, r.gpa);
            *gpa = r.gpa;
            put(r.gpa, value ? *value : get(r.gpa));
            shadow_pt_written(&w.sh, r.gpa, 4);
            return DONE;
        }
        case SHADOW_INJECT:
            *error_code = res.error_code;
            return FAULT;
        case SHADOW_MMIO:
            *gpa = res.gpa;
            return MMIO;
        case SHADOW_HOST_ERROR:
            CHECK(false, "host error at %08x", gva);
        }
    }
    CHECK(false, "no progress after 4 faults at %08x (%s)", gva, write ? "write" : "read");
    return FAULT;
}

/* One random access, compared with the reference walk. */
static void check_access(uint32_t gva, bool write)
{
    struct ref ref, after;
    uint32_t gpa = 0, err = 0;
    int ref_rc = ref_walk(gva, write, w.user, &ref);
    enum outcome got = guest_access(gva, write, NULL, &gpa, &err);
    const char *what = write ? "write" : "read";

    if (ref_rc < 0) {
        CHECK(got == FAULT, "%s %08x cpl%d: reference faults (%x), shadow %s %08x",
              what, gva, w.user ? 3 : 0, ref.error_code, got == DONE ? "reached" : "mmio", gpa);
        CHECK(err == ref.error_code, "%s %08x: error code %x, reference %x",
              what, gva, err, ref.error_code);
        return;
    }
    bool ram = ref.gpa < RAM;
    CHECK(got == (ram ? DONE : MMIO), "%s %08x cpl%d: reference reaches %08x, shadow %s (%x)",
          what, gva, w.user ? 3 : 0, ref.gpa, got == FAULT ? "faults" : "differs", err);
    CHECK(gpa == ref.gpa, "%s %08x: gpa %08x, reference %08x", what, gva, gpa, ref.gpa);

    /* The CPU's side effects: Accessed, and Dirty after a write. */
    CHECK(ref_walk(gva, write, w.user, &after) == 0, "reference walk after");
    CHECK(after.leaf & 0x20u, "%s %08x: leaf A clear after the access", what, gva);
    CHECK(!write || (after.leaf & 0x40u), "write %08x: leaf D clear after the write", gva);
}

/* ---- the guest kernel's actions --------------------------------------------- */

static void set_user(bool user)
{
    w.user = user;
    shadow_set_user_mode(&w.sh, user);
}

/* In vtlb mode, what a correct kernel does after changing the entry at gpa
   from old: for a PDE of its directory, one INVLPG if it mapped a 4 MiB
   page, else a CR3 reload; for a PTE, INVLPG every page it maps. */
static void vtlb_invalidate(uint32_t gpa, uint32_t old)
{
    uint32_t frame = gpa & PW_FRAME, index = (gpa >> 2) & 1023;
    bool pse = w.cr4 & PW_CR4_PSE;

    if (frame == cr3()) {
        if (pse && (old & PW_P) && (old & PW_PS))
            shadow_invlpg(&w.sh, index << 22 | rnd(1024) << 12);
        else
            shadow_new_cr3(&w.sh, cr3());
        return;
    }
    for (uint32_t r = 0; r < 1024; r++) {
        uint32_t pde = get(cr3() + r * 4);
        if ((pde & PW_P) && !(pse && (pde & PW_PS)) && (pde & PW_FRAME) == frame)
            shadow_invlpg(&w.sh, r << 22 | index << 12);
    }
}

/* The kernel rewrites one page-table entry through the direct map. */
static void edit(uint32_t entry_gpa, uint32_t value)
{
    uint32_t gpa = 0, err = 0, old = get(entry_gpa);

    if (w.user)
        set_user(false);                /* edits happen in the kernel */
    enum outcome got = guest_access(KBASE + entry_gpa, true, &value, &gpa, &err);
    CHECK(got == DONE && gpa == entry_gpa, "kernel store to %08x failed", entry_gpa);
    if (w.sh.mode == SHADOW_VTLB)
        vtlb_invalidate(entry_gpa, old);
}

static void random_edit(void)
{
    unsigned as = rnd(NAS), r = 1 + rnd(UREGIONS);

    switch (rnd(10)) {
    case 0: case 1: case 2: case 3:     /* a user PTE */
        edit(upt_of(as, r) + index_() * 4, random_pte());
        break;
    case 4:                             /* a random kernel PTE */
        edit(KRAND_PT + index_() * 4, random_pte());
        break;
    case 5: {                           /* direct map: only A/D are cleared */
        uint32_t f = rnd(NFRAMES);
        edit(kpt_of(f >> 10) + (f & 1023) * 4, f << 12 | PW_P | PW_RW);
        break;
    }
    case 6: case 7: case 8:             /* a user PDE */
        edit(pd_of(as) + r * 4, random_user_pde(as, r));
        break;
    default:                            /* the random kernel region's PDE */
        edit(pd_of(as) + 0x304 * 4,
             chance(80) ? KRAND_PT | PW_P | (chance(70) ? PW_RW : 0) |
                          (chance(70) ? PW_US : 0) : 0);
        break;
    }
}

static uint32_t random_gva(void)
{
    switch (rnd(6)) {
    case 0: {                           /* a page table through the direct map */
        uint32_t f = random_frame();
        return KBASE + (f & (RAM - 1)) + rnd(1024) * 4;
    }
    case 1:
        return KBASE + rnd(RAM / 4) * 4;
    case 2:
        return KRAND + index_() * 0x1000 + rnd(1024) * 4;
    default:                            /* user regions, big pages included */
        return (1 + rnd(UREGIONS)) << 22 | index_() << 12 | rnd(1024) * 4;
    }
}

/* ---- the whole-shadow check ------------------------------------------------- */

static void check_page(uint32_t page, const uint8_t *writable_frames)
{
    uint32_t gva = page << 12;
    struct ref r;
    struct shadow_entry e;

    CHECK(shadow_lookup(&w.sh, gva, &e) == 0, "%08x mapped but not installed", gva);
    CHECK(ref_walk(gva, false, w.user, &r) == 0,
          "%08x mapped, but the guest faults on it at cpl%d", gva, w.user ? 3 : 0);
    CHECK((r.gpa & ~0xFFFu) == host.page[page].gpa && e.gpa == r.gpa,
          "%08x mapped to %08x, guest says %08x", gva, host.page[page].gpa, r.gpa);
    CHECK(e.writable == host.page[page].writable, "%08x: lookup and host disagree", gva);
    if (host.page[page].writable) {
        CHECK(ref_walk(gva, true, w.user, &r) == 0,
              "%08x writable in the shadow, not in the guest", gva);
        CHECK(r.leaf & 0x40u, "%08x writable with D clear", gva);
    }
    if (writable_frames) {              /* traced: its tables are read-only */
        CHECK(!writable_frames[r.pde_addr >> 12],
              "%08x installed, its directory %08x writable", gva, r.pde_addr);
        CHECK(r.big || !writable_frames[r.pte_addr >> 12],
              "%08x installed, its page table %08x writable", gva, r.pte_addr);
    }
}

static void check_all(void)
{
    static uint8_t writable_frames[NFRAMES];
    static const uint32_t regions[] = { 1, 2, 3, 0x300, 0x301, 0x302, 0x303, 0x304 };
    bool traced = w.sh.mode == SHADOW_TRACED;
    uint32_t seen = 0;

    memset(writable_frames, 0, sizeof writable_frames);
    for (unsigned i = 0; i < 8; i++)
        for (uint32_t p = regions[i] << 10; p < (regions[i] + 1) << 10; p++)
            if (fake_mapped(p) && host.page[p].writable)
                writable_frames[host.page[p].gpa >> 12] = 1;
    for (unsigned i = 0; i < 8; i++) {
        for (uint32_t p = regions[i] << 10; p < (regions[i] + 1) << 10; p++) {
            if (fake_mapped(p)) {
                check_page(p, traced ? writable_frames : NULL);
                seen++;
            }
        }
    }
    CHECK(seen == host.mapped && seen == w.sh.installed,
          "host maps %u pages (%u in the test's regions), shadow has %u",
          host.mapped, seen, w.sh.installed);
    CHECK(w.sh.stats.host_failures == 0, "the shadow unmapped or protected a hole");
}

/* ---- the runs ----------------------------------------------------------------- */

static unsigned long env_or(const char *name, unsigned long dflt)
{
    const char *s = getenv(name);
    return s && *s ? strtoul(s, NULL, 0) : dflt;
}

static void run(enum shadow_mode mode, const char *name)
{
    unsigned long steps = env_or("SHADOW_STEPS", 20000);

    memset(&host, 0, sizeof host);
    host.gen = 1;
    w.seed = env_or("SHADOW_SEED", 12345);
    w.rng = w.seed * 2654435761u + 1;
    w.mode_name = name;
    w.as = 0;
    w.user = false;
    w.cr0 = PW_CR0_PG | PW_CR0_WP;
    w.cr4 = PW_CR4_PSE;
    assert_int_equal(guest_mem_init(&w.mem, RAM), 0);
    assert_int_equal(shadow_init(&w.sh, &w.mem, &fake_ops, mode), 0);
    build_world();

    for (w.step = 0; w.step < steps; w.step++) {
        unsigned k = rnd(100);
        if (k < 55) {
            check_access(random_gva(), chance(50));
        } else if (k < 75) {
            random_edit();
        } else if (k < 83) {
            set_user(!w.user);
        } else if (k < 91) {
            w.as = rnd(NAS);
            shadow_new_cr3(&w.sh, cr3());
        } else if (k < 93) {
            w.cr0 ^= PW_CR0_WP;         /* needs no flush: WP never widens the shadow */
        } else if (k < 95) {
            w.cr4 ^= PW_CR4_PSE;
            shadow_flush(&w.sh);        /* the engine's duty on a CR4 change */
        } else if (k < 98) {
            shadow_invlpg(&w.sh, random_gva());
        } else {
            shadow_flush(&w.sh);
        }
        if (w.step % 25 == 0)
            check_all();
    }
    check_all();

    const struct shadow_stats *s = &w.sh.stats;
    printf("  %s: %lu steps, seed %llu: %llu hidden, %llu injected, %llu mmio, "
           "%llu emulated, %llu pt writes, %llu filled, %llu invalidated, %llu kept on cr3\n",
           name, steps, (unsigned long long)w.seed,
           (unsigned long long)s->hidden_faults, (unsigned long long)s->injected_faults,
           (unsigned long long)s->mmio_faults, (unsigned long long)s->emulated_writes,
           (unsigned long long)s->pt_writes, (unsigned long long)s->filled,
           (unsigned long long)s->invalidated, (unsigned long long)s->kept_on_cr3);
    shadow_destroy(&w.sh);
    guest_mem_destroy(&w.mem);
}

static void test_vtlb_matches_the_guest_tables(void **state)
{
    (void)state;
    run(SHADOW_VTLB, "vtlb");
}

static void test_traced_matches_the_guest_tables(void **state)
{
    (void)state;
    run(SHADOW_TRACED, "traced");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vtlb_matches_the_guest_tables),
        cmocka_unit_test(test_traced_matches_the_guest_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
