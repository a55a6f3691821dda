/*
 * page-walk.h - the guest page-table walker: linear -> guest-physical.
 *
 * One i386 two-level walk (4 KiB pages, and 4 MiB pages when CR4.PSE and
 * PDE.PS are set), done exactly as the CPU does it: rights combined across
 * both levels, CR0.WP honoured, Accessed and Dirty bits set in guest memory.
 * The interp engine's software MMU calls it on every TLB miss (chapter 2,
 * "A software MMU"); the trap engine's shadow page tables are built from
 * its results (chapter 4, "Shadow paging").
 */
#ifndef SHADOW_MMU_PAGE_WALK_H
#define SHADOW_MMU_PAGE_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest-mem.h"

/* Control-register bits the walk looks at. */
#define PW_CR0_WP   (1u << 16)      /* supervisor writes obey R/W too */
#define PW_CR0_PG   (1u << 31)      /* paging on */
#define PW_CR4_PSE  (1u << 4)       /* PDE.PS selects a 4 MiB page */
#define PW_CR4_PGE  (1u << 7)       /* PTE.G pages survive CR3 loads */

/* Bits of a page-directory or page-table entry. */
#define PW_P        0x001u          /* present */
#define PW_RW       0x002u          /* writable */
#define PW_US       0x004u          /* user may access */
#define PW_A        0x020u          /* accessed: set by the walk */
#define PW_D        0x040u          /* dirty: set by a write (leaf only) */
#define PW_PS       0x080u          /* in a PDE: 4 MiB page (with CR4.PSE) */
#define PW_G        0x100u          /* in the leaf: global (with CR4.PGE) */
#define PW_FRAME    0xFFFFF000u     /* 4 KiB frame / next-table address */
#define PW_FRAME_4M 0xFFC00000u     /* 4 MiB frame */

/*
 * The kind of access. The values are the bits the #PF error code uses for
 * them, so the error code is (access & (PW_ACC_WRITE|PW_ACC_USER)) plus P.
 * A fetch is a read on i386 without NX; it is told apart only so that the
 * caller's statistics can, and never shows in the error code.
 */
#define PW_ACC_READ   0x00u
#define PW_ACC_WRITE  0x02u         /* error code bit 1, W/R */
#define PW_ACC_USER   0x04u         /* error code bit 2, U/S: CPL 3 */
#define PW_ACC_FETCH  0x10u         /* error code bit 4, I/D: never set here */

/* Bits of the #PF error code (pushed by the CPU, CR2 holds the address). */
#define PW_ERR_P      0x01u         /* 1: protection violation, 0: not present */
#define PW_ERR_W      0x02u         /* the access was a write */
#define PW_ERR_U      0x04u         /* the access was made at CPL 3 */

/* What a walk found; filled on success and, as far as it got, on a fault. */
struct pw_result {
    uint32_t lin;                   /* the linear address walked */
    uint32_t gpa;                   /* its guest-physical address */
    uint32_t page_size;             /* 4096 or 4 MiB */
    bool     writable;              /* R/W of PDE and PTE both set */
    bool     user;                  /* U/S of PDE and PTE both set */
    bool     global;                /* leaf G bit (caller checks CR4.PGE) */
    bool     dirty;                 /* leaf D set after the walk: a later write
                                       needs no walk. True with paging off. */
    bool     table_outside_ram;     /* a PDE/PTE address was not RAM */
    unsigned levels;                /* entries read: 0 paging off, 1 or 2 */
    uint32_t pde_addr, pde;         /* guest-physical address and value */
    uint32_t pte_addr, pte;         /* (values as left after A/D updates) */
    uint32_t error_code;            /* on a fault: the #PF error code */
};

/*
 * Translate lin for an access of kind access (PW_ACC_*), as the CPU would:
 * returns 0 and fills r, setting Accessed (and Dirty on a write) in guest
 * memory; or returns -1 with r->error_code set when the guest takes a #PF
 * (CR2 = lin). Guest page tables are read from mem.
 */
int pw_walk(const struct guest_mem *mem, uint32_t cr0, uint32_t cr3,
            uint32_t cr4, uint32_t lin, unsigned access, struct pw_result *r);

/* The same walk for debuggers and the monitor: changes no A/D bit. */
int pw_peek(const struct guest_mem *mem, uint32_t cr0, uint32_t cr3,
            uint32_t cr4, uint32_t lin, unsigned access, struct pw_result *r);

#endif
