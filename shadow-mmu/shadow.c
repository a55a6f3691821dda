/*
 * shadow.c - shadow page tables for the trap engine (chapter
 * 04-shadow-paging.md). The rules are in shadow.h; this is the bookkeeping.
 *
 * Three tables, sized so that a lookup is one index and nothing is hashed:
 *  - slots[gva >> 12]: what is installed at each guest-virtual page (8 bytes
 *    each, 8 MiB for all 2^20 pages). calloc'd, so the host backs only the
 *    parts we touch: the memory used follows what the guest maps.
 *  - regions[gva >> 22]: the PDE all installed pages of a 4 MiB region came
 *    through, and how many there are. A PDE change drops its region.
 *  - frames[gpa >> 12]: for each guest frame of RAM, the list of guest-
 *    virtual pages that map it (the reverse map gpa -> gva, linked through
 *    the slots) and, in traced mode, how many regions read an entry from it.
 *
 * The traced-mode invariant, which every function below keeps:
 *   a frame from which an installed page's PDE or PTE was read is mapped
 *   read-only everywhere in the shadow.
 * A region reads two frames: its page directory (at pde_addr) and, unless
 * the PDE maps a 4 MiB page, its page table (at pde & PW_FRAME). A frame
 * is traced while some region with installed pages reads from it; when the
 * last one goes, its writable aliases get their rights back at once.
 *
 * If the host refuses a call, the bookkeeping goes on as if it had worked
 * and the operation ends by dropping everything (unmap_all cannot fail):
 * an empty shadow is always correct, only slower.
 */
#include "shadow-mmu/shadow.h"

#include "vmm/lab.h"

#include <stdlib.h>
#include <string.h>

#define NPAGES   (1u << 20)             /* guest-virtual pages in 4 GiB */
#define NO_PAGE  0xFFFFFFFFu            /* end of an alias list */

/* What is installed at one guest-virtual page. */
struct shadow_slot {
    uint32_t frame : 20;                /* guest frame number (gpa >> 12) */
    uint32_t installed : 1;             /* the host maps the page */
    uint32_t writable : 1;              /* ... and allows writes */
    uint32_t guest_writable : 1;        /* guest R/W, both levels */
    uint32_t guest_user : 1;            /* guest U/S, both levels */
    uint32_t guest_dirty : 1;           /* guest D was set when last walked */
    uint32_t on_super_list : 1;         /* listed in sh->supers */
    uint32_t next_alias;                /* next page mapping the same frame */
};

struct shadow_frame {
    uint32_t first_alias;               /* first guest-virtual page mapping it */
    uint32_t trace_refs;                /* regions reading an entry from it */
};

static const char *const why_names[] = {
    [SHADOW_WHY_NONE]        = "",
    [SHADOW_WHY_GUEST_RO]    = "guest read-only",
    [SHADOW_WHY_WAIT_DIRTY]  = "waiting for first write (D bit)",
    [SHADOW_WHY_TRACED]      = "traced page table",
    [SHADOW_WHY_HIDDEN]      = "supervisor page hidden in user mode",
};

static const char *const action_names[] = {
    [SHADOW_FIXED]      = "fixed",
    [SHADOW_INJECT]     = "inject #PF",
    [SHADOW_EMULATE]    = "emulate write",
    [SHADOW_MMIO]       = "mmio",
    [SHADOW_HOST_ERROR] = "host error",
};

const char *shadow_why_name(enum shadow_why why)
{
    return why < sizeof why_names / sizeof why_names[0] ? why_names[why] : "?";
}

const char *shadow_action_name(enum shadow_action action)
{
    return action < sizeof action_names / sizeof action_names[0]
           ? action_names[action] : "?";
}

/* ---- the host, through the ops table ------------------------------------ */

/* A refused call is remembered; the public operation then flushes. */
static void host_result(struct shadow *sh, int rc)
{
    if (rc < 0)
        sh->host_failed = true;
}

static void host_protect(struct shadow *sh, uint32_t page, bool writable)
{
    host_result(sh, sh->ops->protect(sh->ops->ctx, page << 12, writable));
}

/* ---- frames: the reverse map and tracing -------------------------------- */

/* The frame record of gpa, or NULL when gpa is not RAM. */
static struct shadow_frame *frame_of(const struct shadow *sh, uint32_t gpa)
{
    uint32_t f = gpa >> 12;
    return f < sh->nframes ? &sh->frames[f] : NULL;
}

static bool is_traced(const struct shadow *sh, uint32_t gpa)
{
    const struct shadow_frame *fr = frame_of(sh, gpa);
    return fr && fr->trace_refs > 0;
}

unsigned shadow_trace_refs(const struct shadow *sh, uint32_t gpa)
{
    const struct shadow_frame *fr = frame_of(sh, gpa);
    return fr ? fr->trace_refs : 0;
}

/* The rights a slot gets: the guest's, once D is set, never on a traced frame. */
static bool wants_write(const struct shadow *sh, const struct shadow_slot *s)
{
    return s->guest_writable && s->guest_dirty &&
           !is_traced(sh, (uint32_t)s->frame << 12);
}

/* Give every page mapping the frame at gpa the rights wants_write says. */
static void reprotect_aliases(struct shadow *sh, uint32_t gpa)
{
    for (uint32_t p = frame_of(sh, gpa)->first_alias; p != NO_PAGE;
         p = sh->slots[p].next_alias) {
        struct shadow_slot *s = &sh->slots[p];
        bool w = wants_write(sh, s);
        if (s->writable != w) {
            host_protect(sh, p, w);
            s->writable = w;
            sh->stats.upgraded += w;
        }
    }
}

/* A region now reads an entry from the frame at gpa: write-protect it. */
static void trace(struct shadow *sh, uint32_t gpa)
{
    struct shadow_frame *fr = frame_of(sh, gpa);

    if (fr && fr->trace_refs++ == 0)
        reprotect_aliases(sh, gpa);
}

/* One region fewer reads from it; the last one gives the rights back. */
static void untrace(struct shadow *sh, uint32_t gpa)
{
    struct shadow_frame *fr = frame_of(sh, gpa);

    if (fr && --fr->trace_refs == 0)
        reprotect_aliases(sh, gpa);
}

static void alias_link(struct shadow *sh, uint32_t page)
{
    struct shadow_frame *fr = &sh->frames[sh->slots[page].frame];

    sh->slots[page].next_alias = fr->first_alias;
    fr->first_alias = page;
}

static void alias_unlink(struct shadow *sh, uint32_t page)
{
    uint32_t *link = &sh->frames[sh->slots[page].frame].first_alias;

    while (*link != page)               /* lists are short: a frame has few aliases */
        link = &sh->slots[*link].next_alias;
    *link = sh->slots[page].next_alias;
}

/* ---- regions ------------------------------------------------------------ */

/* Tracing needs paging (no entries are read without it) and traced mode.
   sh->paging changes only in an empty shadow, so activate and deactivate
   always agree. */
static bool tracing(const struct shadow *sh)
{
    return sh->mode == SHADOW_TRACED && sh->paging;
}

/* The first page of region r is about to be installed through w's PDE. */
static void region_activate(struct shadow *sh, unsigned r, const struct pw_result *w)
{
    struct shadow_region *reg = &sh->regions[r];

    reg->pde_addr = w->pde_addr;
    reg->pde = w->pde;
    reg->big = w->page_size > 4096;
    if (tracing(sh)) {
        /* BEGIN SOLUTION(lab=3) */
        trace(sh, reg->pde_addr);
        if (!reg->big)
            trace(sh, reg->pde & PW_FRAME);
        /* STUB: (void)trace; lab_todo("LAB 3 task 1: tracing the page tables of a new region (region_activate)"); */
        /* END SOLUTION */
    }
}

/* The last page of region r is gone. */
static void region_deactivate(struct shadow *sh, unsigned r)
{
    struct shadow_region *reg = &sh->regions[r];

    if (tracing(sh)) {
        /* BEGIN SOLUTION(lab=3) */
        untrace(sh, reg->pde_addr);
        if (!reg->big)
            untrace(sh, reg->pde & PW_FRAME);
        /* STUB: (void)untrace; lab_todo("LAB 3 task 1: untracing the page tables of a region (region_deactivate)"); */
        /* END SOLUTION */
    }
    *reg = (struct shadow_region){0};
}

/*
 * May pages installed through PDE value old stay when the PDE now reads
 * new? Only the Accessed bit may differ, and Dirty (meaningful in a 4 MiB
 * PDE) may have gone from clear to set: pages installed before are then
 * read-only and upgrade on their next write fault.
 */
static bool pde_still_valid(uint32_t old, uint32_t new)
{
    if ((old ^ new) & ~(PW_A | PW_D))
        return false;
    return !((old & PW_D) && !(new & PW_D));
}

/* ---- installing and removing pages -------------------------------------- */

/* Remove one installed page, host mapping and bookkeeping. */
static void remove_page(struct shadow *sh, uint32_t page)
{
    struct shadow_slot *s = &sh->slots[page];
    unsigned r = page >> 10;

    if (!s->installed)
        return;
    host_result(sh, sh->ops->unmap(sh->ops->ctx, page << 12));
    alias_unlink(sh, page);
    *s = (struct shadow_slot){ .on_super_list = s->on_super_list };
    sh->installed--;
    sh->stats.invalidated++;
    if (--sh->regions[r].installed == 0)
        region_deactivate(sh, r);
}

/* Remove every page of region r (its PDE changed). */
static void drop_region(struct shadow *sh, unsigned r)
{
    for (uint32_t i = 0; i < 1024 && sh->regions[r].installed; i++)
        remove_page(sh, r << 10 | i);
}

/* Forget everything without telling the host, which the caller does with
   one unmap_all. Costs what is installed, not the size of the tables. */
static void forget_all(struct shadow *sh)
{
    for (uint32_t i = 0; i < sh->nsupers; i++)
        sh->slots[sh->supers[i]].on_super_list = 0;
    sh->nsupers = 0;

    for (unsigned r = 0; r < 1024; r++) {
        struct shadow_region *reg = &sh->regions[r];
        if (!reg->installed)
            continue;
        for (uint32_t p = r << 10; p < (r + 1) << 10; p++) {
            if (sh->slots[p].installed)
                sh->frames[sh->slots[p].frame].first_alias = NO_PAGE;
            sh->slots[p] = (struct shadow_slot){0};
        }
        struct shadow_frame *fr = frame_of(sh, reg->pde_addr);
        if (fr)
            fr->trace_refs = 0;
        if (!reg->big && (fr = frame_of(sh, reg->pde & PW_FRAME)))
            fr->trace_refs = 0;
        *reg = (struct shadow_region){0};
    }
    sh->installed = 0;
}

/*
 * Install (or update) the page of w->lin as the successful walk w says;
 * gpa_page is RAM. Afterwards the slot has the rights wants_write gives.
 */
static void install(struct shadow *sh, const struct pw_result *w, uint32_t gpa_page)
{
    uint32_t page = w->lin >> 12;
    unsigned r = page >> 10;
    struct shadow_region *reg = &sh->regions[r];
    struct shadow_slot *s = &sh->slots[page];

    /* A stale entry (vtlb mode: the guest changed its tables and has not
       flushed yet) goes; a TLB may drop entries whenever it likes. */
    if (s->installed && s->frame != gpa_page >> 12)
        remove_page(sh, page);
    if (reg->installed &&
        (reg->pde_addr != w->pde_addr || !pde_still_valid(reg->pde, w->pde)))
        drop_region(sh, r);

    /* Trace the tables first: the page may map its own page table. */
    if (reg->installed == 0)
        region_activate(sh, r, w);
    reg->pde = w->pde;                  /* D of a 4 MiB page may be new */

    s->guest_writable = w->writable;
    s->guest_user = w->user;
    s->guest_dirty = w->dirty;
    if (s->installed) {
        bool want = wants_write(sh, s);
        if (want != s->writable) {
            host_protect(sh, page, want);
            s->writable = want;
            sh->stats.upgraded += want;
        }
    } else {
        s->frame = gpa_page >> 12;
        s->installed = 1;
        s->writable = wants_write(sh, s);
        host_result(sh, sh->ops->map(sh->ops->ctx, page << 12, gpa_page, s->writable));
        alias_link(sh, page);
        reg->installed++;
        sh->installed++;
        sh->stats.filled++;
    }
    /* Ring compression: remember what to hide when the guest enters user mode. */
    if (!s->guest_user && !s->on_super_list) {
        s->on_super_list = 1;
        sh->supers[sh->nsupers++] = page;
    }
}

/* ---- the public operations ---------------------------------------------- */

int shadow_init(struct shadow *sh, struct guest_mem *mem,
                const struct shadow_host_ops *ops, enum shadow_mode mode)
{
    memset(sh, 0, sizeof *sh);
    sh->mem = mem;
    sh->ops = ops;
    sh->mode = mode;
    /* RAM is at most 3 GiB: nframes fits, and so does the array (6 MiB). */
    sh->nframes = (uint32_t)(mem->size >> 12);
    sh->slots = calloc(NPAGES, sizeof *sh->slots);
    sh->supers = calloc(NPAGES, sizeof *sh->supers);
    sh->frames = malloc(((size_t)sh->nframes + 1) * sizeof *sh->frames); /* +1: never 0 */
    if (!sh->slots || !sh->supers || !sh->frames) {
        shadow_destroy(sh);
        return -1;
    }
    for (uint32_t f = 0; f < sh->nframes; f++)
        sh->frames[f] = (struct shadow_frame){ .first_alias = NO_PAGE };
    return 0;
}

void shadow_destroy(struct shadow *sh)
{
    free(sh->slots);
    free(sh->supers);
    free(sh->frames);
    sh->slots = NULL;
    sh->supers = NULL;
    sh->frames = NULL;
}

void shadow_flush(struct shadow *sh)
{
    sh->ops->unmap_all(sh->ops->ctx);
    forget_all(sh);
    sh->host_failed = false;            /* the host is clean again */
    sh->stats.flushes++;
}

/* End of a public operation: if the host refused something, start over. */
static void check_host(struct shadow *sh)
{
    if (sh->host_failed) {
        sh->stats.host_failures++;
        shadow_flush(sh);
    }
}

void shadow_set_user_mode(struct shadow *sh, bool user)
{
    if (user == sh->user_mode)
        return;
    sh->user_mode = user;
    sh->stats.ring_switches++;
    if (!user)
        return;                         /* kernel pages come back as hidden faults */

    /* The host cannot tell guest kernel from guest user: both run at ring 3.
       So whatever only the guest kernel may touch must not be mapped now. */
    for (uint32_t i = 0; i < sh->nsupers; i++) {
        uint32_t page = sh->supers[i];
        struct shadow_slot *s = &sh->slots[page];
        s->on_super_list = 0;
        if (s->installed && !s->guest_user) {
            remove_page(sh, page);
            sh->stats.hidden++;
        }
    }
    sh->nsupers = 0;
    check_host(sh);
}

/* Point the shadow at the directory at cr3 (see shadow_new_cr3). */
static void switch_cr3(struct shadow *sh, uint32_t cr3)
{
    sh->cr3 = cr3 & PW_FRAME;
    if (!sh->paging || sh->installed == 0)
        return;                         /* nothing installed depends on CR3 */
    if (sh->mode == SHADOW_VTLB) {
        sh->ops->unmap_all(sh->ops->ctx);
        forget_all(sh);
        sh->stats.flushes++;
        return;
    }

    /* Traced: a region stays when the new directory's PDE is the one its
       pages came through. The tables below it are traced, so the pages are
       still exactly what a walk in the new address space would give. */
    for (unsigned r = 0; r < 1024; r++) {
        struct shadow_region *reg = &sh->regions[r];
        if (!reg->installed)
            continue;
        uint32_t addr = sh->cr3 + r * 4, pde = 0;
        if (gpa_read(sh->mem, addr, &pde, sizeof pde) < 0 ||
            !pde_still_valid(reg->pde, pde)) {
            drop_region(sh, r);
            continue;
        }
        if (!(pde & PW_A)) {            /* what the next walk would do */
            pde |= PW_A;
            (void)gpa_write(sh->mem, addr, &pde, sizeof pde);
        }
        trace(sh, addr);                /* new directory first: if it is */
        untrace(sh, reg->pde_addr);     /* the old one, nothing changes */
        reg->pde_addr = addr;
        reg->pde = pde;
        sh->stats.kept_on_cr3 += reg->installed;
    }
}

void shadow_new_cr3(struct shadow *sh, uint32_t cr3)
{
    sh->stats.cr3_switches++;
    switch_cr3(sh, cr3);
    check_host(sh);
}

void shadow_invlpg(struct shadow *sh, uint32_t gva)
{
    unsigned r = gva >> 22;

    if (sh->regions[r].installed && sh->regions[r].big)
        drop_region(sh, r);             /* INVLPG drops the whole 4 MiB page */
    else
        remove_page(sh, gva >> 12);
    check_host(sh);
}

/*
 * Entries first..last of the frame at gpa changed. As PDEs they fed the
 * regions whose pde_addr is one of them; as PTEs, pages first..last of
 * every region whose page table is this frame. The region table is thus
 * the reverse map from (traced frame, entry index) to shadow pages: one
 * pass over 1024 regions, however many entries were written.
 */
static bool frame_written(struct shadow *sh, uint32_t frame,
                          uint32_t first, uint32_t last)
{
    /* BEGIN SOLUTION(lab=3) */
    if (!is_traced(sh, frame))
        return false;                   /* no installed page came through it */
    for (unsigned r = 0; r < 1024; r++) {
        const struct shadow_region *reg = &sh->regions[r];
        uint32_t pde_index = (reg->pde_addr >> 2) & 1023;
        if (reg->installed && (reg->pde_addr & PW_FRAME) == frame &&
            pde_index >= first && pde_index <= last)
            drop_region(sh, r);
        for (uint32_t i = first; reg->installed && !reg->big &&
             (reg->pde & PW_FRAME) == frame && i <= last; i++)
            remove_page(sh, r << 10 | i);
    }
    return true;
    /* STUB: (void)sh; (void)frame; (void)first; (void)last; return lab_todo("LAB 3 task 2: invalidate after a page-table write") < 0; */
    /* END SOLUTION */
}

void shadow_pt_written(struct shadow *sh, uint32_t gpa, unsigned len)
{
    bool hit = false;

    if (sh->mode != SHADOW_TRACED || len == 0)
        return;
    /* Frame by frame; 64-bit so that a write at the top of memory ends. */
    uint64_t end = (uint64_t)gpa + len;
    for (uint64_t a = gpa & ~3u; a < end; a = (a | 0xFFF) + 1) {
        uint64_t last = end - 1 < (a | 0xFFF) ? end - 1 : (a | 0xFFF);
        hit |= frame_written(sh, (uint32_t)a & PW_FRAME,
                             (uint32_t)(a >> 2) & 1023, (uint32_t)(last >> 2) & 1023);
    }
    if (hit)
        sh->stats.pt_writes++;
    check_host(sh);
}

/* Bring the shadow in line with the CPU state a fault arrived with. */
static void sync_state(struct shadow *sh, uint32_t cr0, uint32_t cr3,
                       uint32_t cr4, bool user)
{
    bool paging = cr0 & PW_CR0_PG;
    bool pse = paging && (cr4 & PW_CR4_PSE);

    if (paging != sh->paging || pse != sh->pse) {
        if (sh->installed)              /* walks now mean something else */
            shadow_flush(sh);
        sh->paging = paging;
        sh->pse = pse;
    }
    if (paging && (cr3 & PW_FRAME) != sh->cr3)
        switch_cr3(sh, cr3);
    if (user != sh->user_mode)
        shadow_set_user_mode(sh, user);
    check_host(sh);
}

void shadow_fault(struct shadow *sh, uint32_t cr0, uint32_t cr3, uint32_t cr4,
                  uint32_t gva, bool write, bool user,
                  struct shadow_fault_result *res)
{
    unsigned access = (write ? PW_ACC_WRITE : 0) | (user ? PW_ACC_USER : 0);
    struct pw_result w;

    memset(res, 0, sizeof *res);
    sync_state(sh, cr0, cr3, cr4, user);
    bool was_empty = sh->installed == 0;

    if (pw_walk(sh->mem, cr0, cr3, cr4, gva, access, &w) < 0) {
        /* A true fault. Like the CPU on a #PF, drop what we hold for gva. */
        remove_page(sh, gva >> 12);
        res->action = SHADOW_INJECT;
        res->error_code = w.error_code;
        sh->stats.injected_faults++;
    } else if (!gpa_range_ok(sh->mem, w.gpa & PW_FRAME, 4096)) {
        remove_page(sh, gva >> 12);
        res->action = SHADOW_MMIO;
        res->gpa = w.gpa;
        sh->stats.mmio_faults++;
    } else {
        install(sh, &w, w.gpa & PW_FRAME);
        /* Still read-only after a write walk: the frame is traced, or this
           is a supervisor write to a read-only page with CR0.WP clear. We
           never map such a page writable (guest user code would inherit the
           right), so the engine emulates the one write instead. */
        if (write && !sh->slots[gva >> 12].writable) {
            res->action = SHADOW_EMULATE;
            res->gpa = w.gpa;
            sh->stats.emulated_writes++;
        } else {
            res->action = SHADOW_FIXED;
            sh->stats.hidden_faults++;
        }
    }

    if (sh->host_failed) {
        sh->stats.host_failures++;
        shadow_flush(sh);
        /* Retrying into the now empty shadow may work; if it already was
           empty, it will not. */
        if (res->action == SHADOW_FIXED && was_empty)
            res->action = SHADOW_HOST_ERROR;
    }
}

int shadow_lookup(const struct shadow *sh, uint32_t gva, struct shadow_entry *out)
{
    const struct shadow_slot *s = &sh->slots[gva >> 12];

    memset(out, 0, sizeof *out);
    if (!s->installed) {
        /* Not installed: tell "hidden by ring compression" apart. */
        struct pw_result w;
        if (sh->user_mode && sh->paging &&
            pw_peek(sh->mem, PW_CR0_PG, sh->cr3, sh->pse ? PW_CR4_PSE : 0,
                    gva, PW_ACC_READ, &w) == 0 && !w.user) {
            out->gpa = w.gpa;
            out->why = SHADOW_WHY_HIDDEN;
        }
        return -1;
    }
    out->present = true;
    out->gpa = (uint32_t)s->frame << 12 | (gva & 0xFFF);
    out->writable = s->writable;
    out->user = s->guest_user;
    out->big = sh->regions[gva >> 22].big;
    if (s->writable)
        out->why = SHADOW_WHY_NONE;
    else if (!s->guest_writable)
        out->why = SHADOW_WHY_GUEST_RO;
    else if (is_traced(sh, (uint32_t)s->frame << 12))
        out->why = SHADOW_WHY_TRACED;   /* a write would be emulated */
    else
        out->why = SHADOW_WHY_WAIT_DIRTY;   /* by wants_write, the only reason left */
    return 0;
}
