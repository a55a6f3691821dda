/*
 * walk-model.h - what the same guest would cost under shadow paging and
 * under nested paging (EPT/NPT), counted exactly on the interp engine
 * (chapter 08-shadow-vs-ept.md, "A model you can count").
 *
 * The interpreter sees every software-TLB miss and the page walk that
 * follows it. For each one this model adds up the memory references the
 * hardware page walker would make, and the VM exits each design would take:
 *
 *   native   a 2-level i386 walk reads 2 entries (1 for a 4 MiB page);
 *   shadow   the hardware walks only the shadow table, which has the
 *            guest's shape: the same 2 references. The price is paid in
 *            exits instead: a hidden fault for the first use of each page
 *            in an address space (the shadow entry is filled, the walk is
 *            retried), a write-protect trap for every guest write to a
 *            page table the shadow was built from, a trap for every CR3
 *            load and INVLPG, and every true guest #PF reflected by the VMM;
 *   nested   the hardware walks the guest's tables itself, but each guest
 *            entry sits at a guest-physical address that needs a 4-level
 *            EPT walk, and so does the final one: a 2-level guest walk
 *            costs (2+1)(4+1) - 1 = 14 references, a 4-level one 24
 *            (Bhargava et al., ASPLOS 2008). The only exits are EPT
 *            violations: the first touch of each guest-physical page.
 *
 * The shadow side follows the trap engine's "traced" design (chapter 4):
 * one active shadow; a CR3 load keeps every 4 MiB region whose PDE is the
 * same in the new directory (the kernel half) and drops the rest; a write
 * to a traced page table drops exactly the entries derived from the entry
 * it hits. The nested side is counted twice: exactly (every EPT walk done
 * in full, the default) and with a small EPT TLB that remembers recent
 * guest-physical translations, as real page-walk caches do.
 *
 * Pure bookkeeping: the model reads guest memory only to compare PDEs on a
 * CR3 load, and never changes it. The engine tells it what happened.
 */
#ifndef SHADOW_MMU_WALK_MODEL_H
#define SHADOW_MMU_WALK_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "shadow-mmu/page-walk.h"
#include "vmm/guest-mem.h"

#define WM_EPT_LEVELS   4               /* x86-64 EPT/NPT: PML4, PDPT, PD, PT */
#define WM_EPT_TLB      64              /* entries of the optional EPT TLB */

/* Which designs to count (--mmu-model). */
enum wm_mode { WM_OFF = 0, WM_SHADOW = 1, WM_NESTED = 2, WM_BOTH = 3 };

struct wm_shadow_counts {
    uint64_t refs;                      /* hardware walk references (shadow table) */
    uint64_t hidden_faults;             /* exits: shadow entry missing or read-only, guest allows */
    uint64_t pt_writes;                 /* exits: guest wrote a traced page table */
    uint64_t cr3_loads;                 /* exits: mov to CR3 */
    uint64_t invlpgs;                   /* exits: INVLPG */
    uint64_t guest_faults;              /* exits: true #PF, reflected into the guest */
    uint64_t kept_on_cr3;               /* pages still installed after a CR3 load */
};

struct wm_nested_counts {
    uint64_t refs;                      /* 2D walk references, every EPT walk in full */
    uint64_t refs_ept_tlb;              /* the same with a WM_EPT_TLB-entry EPT TLB */
    uint64_t ept_violations;            /* exits: first touch of a guest-physical page */
};

struct walk_model {
    enum wm_mode mode;
    const struct guest_mem *mem;
    uint64_t walks;                     /* TLB misses walked (faults included) */
    uint64_t native_refs;               /* guest entries those walks read */
    struct wm_shadow_counts shadow;
    struct wm_nested_counts nested;
    uint64_t traced_epoch;              /* bumped when a frame becomes traced */

    /* shadow state: what is installed in the one active shadow */
    uint32_t cr0, cr3, cr4;             /* as the installed pages were walked */
    uint64_t *installed;                /* [2^20 bits] by virtual page */
    uint64_t *writable;                 /* [2^20 bits] installed writable */
    uint32_t region_pde[1024];          /* the PDE each region's pages came through */
    uint32_t region_pt[1024];           /* its page-table frame, or WM_NO_FRAME */
    uint16_t region_count[1024];        /* pages installed in the region */
    uint16_t *pt_users;                 /* [nframes] regions using the frame as PT */
    uint32_t nframes;

    /* nested state */
    uint64_t *gpa_seen;                 /* [nframes bits] EPT entry populated */
    uint32_t ept_tlb[WM_EPT_TLB];       /* guest frame + 1, 0 empty */
};

#define WM_NO_FRAME 0xFFFFFFFFu

/* Count the designs in mode for a guest with memory mem. 0, or -1 (no memory). */
int  wm_init(struct walk_model *m, enum wm_mode mode, const struct guest_mem *mem);
void wm_destroy(struct walk_model *m);

/* "shadow", "nested", "both": the mode, or -1 for anything else. */
int  wm_parse_mode(const char *name);

/*
 * A TLB miss was walked: w is the walk (as far as it got), ok whether it
 * succeeded, access the PW_ACC_* kind, with the control registers used.
 * Counts the references and the exits of each design.
 */
void wm_tlb_miss(struct walk_model *m, const struct pw_result *w, bool ok,
                 unsigned access, uint32_t cr0, uint32_t cr3, uint32_t cr4);

/* Whether guest frame gpa >> 12 is write-protected in the modelled shadow
   (the engine must then not cache write access to it). */
bool wm_traced(const struct walk_model *m, uint32_t gpa);

/* The guest writes the 4-byte entry at gpa of a traced frame: one exit. */
void wm_pt_write(struct walk_model *m, uint32_t gpa);

/* The guest loaded CR3 or changed CR0/CR4 paging bits (the values now). */
void wm_new_paging(struct walk_model *m, uint32_t cr0, uint32_t cr3, uint32_t cr4);

/* The guest executed INVLPG. */
void wm_invlpg(struct walk_model *m, uint32_t lin);

/* Exits under shadow paging / nested paging, all reasons together. */
uint64_t wm_shadow_exits(const struct walk_model *m);
uint64_t wm_nested_exits(const struct walk_model *m);

/* The counters, for --stats (text) and --stats=json (one JSON object). */
void wm_print(const struct walk_model *m, FILE *out);
void wm_json(const struct walk_model *m, FILE *out);

#endif
