/*
 * shadow.h - the trap engine's shadow page tables (chapter 04-shadow-paging.md).
 *
 * The trap engine runs guest code natively inside the VMM's own process,
 * so the host's page tables for the low 4 GiB *are* the shadow page table:
 * a guest-virtual page is "installed" by mapping a guest frame there. This
 * module decides what to install, when to take rights away and what to
 * forget; it reaches the host only through struct shadow_host_ops (mmap,
 * mprotect and munmap in the engine, a plain array in the unit tests).
 *
 * The rules, each a lesson of the chapter:
 *  - A hidden fault (the guest's own tables allow the access, the shadow
 *    does not have it yet) is filled silently; a true fault is handed back
 *    for injection with the error code the CPU would push.
 *  - A page is installed writable only when the guest entry is writable
 *    and already Dirty, so that the first write faults and the walk sets D.
 *  - Ring compression: guest kernel and guest user both run at host ring 3,
 *    so supervisor-only pages are unmapped whenever the guest enters user
 *    mode, and come back one hidden fault at a time in kernel mode.
 *  - Two ways to stay in sync with the guest's page tables:
 *    SHADOW_VTLB forgets everything on CR3 loads and one page on INVLPG,
 *    like a TLB; SHADOW_TRACED write-protects every guest frame that an
 *    installed page was derived through, so a write to a page table traps,
 *    is emulated by the engine and invalidates exactly what it changed;
 *    then a CR3 load keeps every region whose PDE is unchanged (above all
 *    the guest kernel half that all address spaces share).
 */
#ifndef SHADOW_MMU_SHADOW_H
#define SHADOW_MMU_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "shadow-mmu/page-walk.h"
#include "vmm/guest-mem.h"

/*
 * The host side. Addresses are 4 KiB-aligned; every mapping is readable
 * and user-accessible (the host runs all guest code at ring 3). Calls
 * return 0, or -1 when the host refuses (e.g. out of VMAs); unmap_all
 * cannot fail.
 */
struct shadow_host_ops {
    void *ctx;
    int  (*map)(void *ctx, uint32_t gva_page, uint32_t gpa_page, bool writable);
    int  (*protect)(void *ctx, uint32_t gva_page, bool writable);
    int  (*unmap)(void *ctx, uint32_t gva_page);
    void (*unmap_all)(void *ctx);       /* every guest mapping gone */
};

enum shadow_mode {
    SHADOW_VTLB,                        /* a virtual TLB: dropped on CR3 load */
    SHADOW_TRACED,                      /* guest page tables write-protected */
};

/* What the engine does after shadow_fault. */
enum shadow_action {
    SHADOW_FIXED,       /* a hidden fault, now filled: run the guest again */
    SHADOW_INJECT,      /* a true fault: inject #PF, CR2 = gva, error_code */
    SHADOW_EMULATE,     /* emulate the faulting write against guest memory,
                           then call shadow_pt_written for the bytes written */
    SHADOW_MMIO,        /* gpa is not RAM: emulate the access as MMIO */
    SHADOW_HOST_ERROR,  /* the host refused to map even into an empty shadow:
                           stop the guest with a message */
};

struct shadow_fault_result {
    enum shadow_action action;
    uint32_t gpa;                       /* EMULATE, MMIO: the byte's guest-physical address */
    uint32_t error_code;                /* INJECT: the #PF error code (PW_ERR_*) */
};

/* Why an installed page is read-only in the shadow (monitor command `pt`). */
enum shadow_why {
    SHADOW_WHY_NONE,                    /* writable, or simply not installed */
    SHADOW_WHY_GUEST_RO,                /* the guest entry is read-only */
    SHADOW_WHY_WAIT_DIRTY,              /* writable, but D clear: first write walks */
    SHADOW_WHY_TRACED,                  /* the frame is a traced guest page table */
    SHADOW_WHY_HIDDEN,                  /* not installed: supervisor page, guest in user mode */
};

/* What shadow_lookup found at one guest-virtual address. */
struct shadow_entry {
    bool     present;                   /* installed in the host */
    uint32_t gpa;                       /* the byte's guest-physical address */
    bool     writable;                  /* the host mapping allows writes */
    bool     user;                      /* the guest entry allows CPL 3 */
    bool     big;                       /* a piece of a 4 MiB guest page */
    enum shadow_why why;                /* why read-only (or why not present) */
};

struct shadow_stats {
    uint64_t hidden_faults;             /* faults filled silently (FIXED) */
    uint64_t injected_faults;           /* true faults (INJECT) */
    uint64_t mmio_faults;               /* accesses outside RAM (MMIO) */
    uint64_t emulated_writes;           /* EMULATE results */
    uint64_t pt_writes;                 /* shadow_pt_written calls that hit a traced frame */
    uint64_t filled;                    /* pages installed (host map calls) */
    uint64_t upgraded;                  /* read-only pages made writable */
    uint64_t invalidated;               /* pages removed one by one (hidden included) */
    uint64_t hidden;                    /* supervisor pages removed on entering user mode */
    uint64_t flushes;                   /* everything dropped at once */
    uint64_t cr3_switches;              /* shadow_new_cr3 calls */
    uint64_t kept_on_cr3;               /* pages still installed after a CR3 switch */
    uint64_t ring_switches;             /* guest kernel <-> user transitions */
    uint64_t host_failures;             /* host calls refused (each ends in a flush) */
};

struct shadow_slot;                     /* one per guest-virtual page (shadow.c) */
struct shadow_frame;                    /* one per guest frame of RAM */

/* Installed pages of one 4 MiB region all come through the same PDE. */
struct shadow_region {
    uint32_t pde_addr;                  /* guest-physical address of that PDE */
    uint32_t pde;                       /* its value when the pages were installed */
    uint16_t installed;                 /* pages installed in the region */
    bool     big;                       /* the PDE maps a 4 MiB page */
};

struct shadow {
    struct guest_mem *mem;
    const struct shadow_host_ops *ops;
    enum shadow_mode mode;
    uint32_t cr3;                       /* directory the installed pages come from */
    bool     paging, pse;               /* CR0.PG and CR4.PSE they were walked with */
    bool     user_mode;                 /* the guest runs at CPL 3 */
    bool     host_failed;               /* a host call failed during this operation */
    uint32_t installed;                 /* pages installed in all */
    struct shadow_slot *slots;          /* [1 << 20], by guest-virtual page */
    struct shadow_frame *frames;        /* [nframes], by guest frame */
    uint32_t nframes;
    uint32_t *supers;                   /* supervisor pages installed since the */
    uint32_t nsupers;                   /*   guest last entered user mode */
    struct shadow_region regions[1024];
    struct shadow_stats stats;
};

/* How many regions read entries from the guest frame at gpa: while it is
   more than 0 the frame is traced (write-protected). For the tests and
   the monitor. */
unsigned shadow_trace_refs(const struct shadow *sh, uint32_t gpa);

/* Start with nothing installed, in kernel mode. Returns 0, or -1 (no memory). */
int  shadow_init(struct shadow *sh, struct guest_mem *mem,
                 const struct shadow_host_ops *ops, enum shadow_mode mode);
/* Free the bookkeeping; host mappings are left to the caller (shadow_flush first). */
void shadow_destroy(struct shadow *sh);

/*
 * The host reported an access fault at gva (write: a store; user: guest
 * CPL 3) with the guest's control registers as given. Walks the guest's
 * tables (setting A/D as the CPU would) and says what to do in *res.
 * A change of CR0.PG or CR4.PSE, of CR3 or of CPL that the engine did not
 * report is noticed here and handled as if it had been.
 */
void shadow_fault(struct shadow *sh, uint32_t cr0, uint32_t cr3, uint32_t cr4,
                  uint32_t gva, bool write, bool user,
                  struct shadow_fault_result *res);

/* The guest entered user mode (true) or kernel mode (false). */
void shadow_set_user_mode(struct shadow *sh, bool user);

/* The guest loaded CR3. vtlb: drop everything; traced: keep unchanged regions. */
void shadow_new_cr3(struct shadow *sh, uint32_t cr3);

/* The guest executed INVLPG gva (all pieces of a 4 MiB page go). */
void shadow_invlpg(struct shadow *sh, uint32_t gva);

/* The engine emulated a write of len bytes at gpa (after SHADOW_EMULATE). */
void shadow_pt_written(struct shadow *sh, uint32_t gpa, unsigned len);

/* Drop everything (paging mode changed, engine switch). */
void shadow_flush(struct shadow *sh);

/* What is installed at gva. Returns 0 if a page is installed, else -1
   (out->why may still say SHADOW_WHY_HIDDEN). */
int shadow_lookup(const struct shadow *sh, uint32_t gva, struct shadow_entry *out);

/* "guest read-only", "waiting for first write (D bit)", ... */
const char *shadow_why_name(enum shadow_why why);
const char *shadow_action_name(enum shadow_action action);

#endif
