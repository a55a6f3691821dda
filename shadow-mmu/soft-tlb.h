/*
 * soft-tlb.h - the interp engine's software TLB (chapter 2, "A software MMU").
 *
 * Walking two levels of guest page tables for every byte the interpreter
 * touches would be ruinous, so, like the CPU, we remember translations.
 * The TLB is direct-mapped: a linear page can live in exactly one slot, so a
 * lookup is one index, one tag compare and one bit test, inlined into the
 * interpreter's every memory access and instruction fetch. An entry holds
 * the host address of the guest page, so a hit goes straight to RAM.
 *
 * What goes in, and when it must come out, follows the hardware rules:
 *  - only RAM is cached; a page that is MMIO or beyond RAM always misses, so
 *    every access to it reaches the device model;
 *  - write permission is cached only once the walk has set the Dirty bit, so
 *    the first write to a clean page misses, walks, and sets D;
 *  - a CR3 load drops all entries except global ones (PTE.G with CR4.PGE);
 *    INVLPG drops one page, global or not; a change of CR0.PG/WP or of CR4's
 *    PSE/PGE drops everything (tlb_flush_all).
 */
#ifndef SHADOW_MMU_SOFT_TLB_H
#define SHADOW_MMU_SOFT_TLB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "shadow-mmu/page-walk.h"
#include "vmm/guest-mem.h"

#define TLB_ENTRIES  256            /* power of two (the index is a mask): 1 MiB reach */
#define TLB_NO_PAGE  0xFFFFFFFFu    /* tag of an empty slot: no linear page is 2^32-1 */

/* One permission bit per kind of access; a fetch needs the read bit. */
#define TLB_SR  0x1u                /* supervisor read */
#define TLB_SW  0x2u                /* supervisor write */
#define TLB_UR  0x4u                /* user read */
#define TLB_UW  0x8u                /* user write */

struct tlb_entry {
    uint32_t page;                  /* linear page number (lin >> 12), or TLB_NO_PAGE */
    uint8_t  perms;                 /* TLB_SR | TLB_SW | TLB_UR | TLB_UW */
    bool     global;                /* survives tlb_flush_nonglobal (CR3 load) */
    bool     big;                   /* a piece of a 4 MiB page */
    uint8_t *host;                  /* host address of the page's first byte */
};

struct soft_tlb {
    struct tlb_entry e[TLB_ENTRIES];
    bool     has_big;               /* some entry may be part of a 4 MiB page */
    uint64_t hits, misses;          /* lookups */
    uint64_t flushes;               /* tlb_flush_all + tlb_flush_nonglobal */
    uint64_t page_flushes;          /* tlb_flush_page (INVLPG) */
};

/* The PW_ACC_* write and user bits sit at bits 1 and 2, which the TLB_*
   order relies on: (access >> 1) & 3 is 0 SR, 1 SW, 2 UR, 3 UW. */
_Static_assert(PW_ACC_WRITE == 2 && PW_ACC_USER == 4, "access bits moved");

/* The permission bit an access of kind access (PW_ACC_*) needs. */
static inline unsigned tlb_perm_for(unsigned access)
{
    return 1u << ((access >> 1) & 3);
}

/*
 * The hit path. Host pointer to the byte at lin if the TLB holds the page
 * with the right permission, else NULL: the caller then walks (pw_walk) and,
 * if the walk succeeds, calls tlb_fill. The byte's page ends at the next
 * 4 KiB boundary: an access that crosses it must look up both pages.
 */
static inline uint8_t *tlb_lookup(struct soft_tlb *t, uint32_t lin, unsigned access)
{
    const struct tlb_entry *e = &t->e[(lin >> 12) & (TLB_ENTRIES - 1)];

    if (e->page == lin >> 12 && (e->perms & tlb_perm_for(access))) {
        t->hits++;
        return e->host + (lin & 0xFFF);
    }
    t->misses++;
    return NULL;
}

/* Start empty, counters at zero. */
void tlb_init(struct soft_tlb *t);

/*
 * Cache the successful walk w (cr0 and cr4 as used for it). Returns the host
 * pointer to the byte at w->lin, or NULL when the page is not RAM: then
 * nothing is cached and the caller takes the MMIO path.
 */
uint8_t *tlb_fill(struct soft_tlb *t, const struct guest_mem *mem,
                  const struct pw_result *w, uint32_t cr0, uint32_t cr4);

/* Drop every entry, global ones too (CR0/CR4 paging bits changed). */
void tlb_flush_all(struct soft_tlb *t);

/* Drop every entry but global ones (a CR3 load). */
void tlb_flush_nonglobal(struct soft_tlb *t);

/* Drop the translation of lin, global or not, 4 KiB or 4 MiB (INVLPG). */
void tlb_flush_page(struct soft_tlb *t, uint32_t lin);

/* Print the counters and the valid entries (monitor command `tlb`). */
void tlb_print(const struct soft_tlb *t, const struct guest_mem *mem, FILE *out);

#endif
