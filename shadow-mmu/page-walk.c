/*
 * page-walk.c - the i386 two-level page walk (chapter 2, "A software MMU";
 * chapter 4 reuses it for the shadow page tables).
 *
 * CR3 points at a page directory of 1024 PDEs; the top 10 bits of the linear
 * address pick a PDE, which points at a page table of 1024 PTEs; the next 10
 * bits pick a PTE, which holds the frame; the low 12 bits are the offset.
 * With CR4.PSE a PDE whose PS bit is set is itself the leaf of a 4 MiB page.
 *
 * Choices a real CPU does not have to make:
 *  - A PDE or PTE whose address is not guest RAM reads as 0, i.e. "not
 *    present", so the guest gets an ordinary #PF instead of the VMM reading
 *    outside RAM. Real hardware would read whatever the bus returns; a guest
 *    that points CR3 at a device is broken either way. r->table_outside_ram
 *    tells the monitor what happened.
 *  - We model a CPU without PSE-36: the high frame bits of a 4 MiB PDE
 *    (bits 20:13) are ignored rather than checked as reserved.
 *  - Accessed and Dirty are set only when the whole walk succeeds. The SDM
 *    allows a CPU to set A in a PDE even when the PTE then faults; not
 *    doing so is also allowed and easier to reason about.
 */
#include "shadow-mmu/page-walk.h"

#include <string.h>

#include "vmm/lab.h"

#define PW_4M (4u << 20)

/* Read the entry at gpa; an entry outside RAM reads as 0 (not present). */
static uint32_t read_entry(const struct guest_mem *mem, uint32_t gpa,
                           struct pw_result *r)
{
    uint32_t e;                         /* guest and host are little-endian */

    if (gpa_read(mem, gpa, &e, sizeof e) < 0) {
        r->table_outside_ram = true;
        return 0;
    }
    return e;
}

/* Write back an entry whose A/D bits the walk changed, and only then. */
static void update_entry(const struct guest_mem *mem, uint32_t gpa,
                         uint32_t *entry, uint32_t set)
{
    if ((*entry & set) == set)
        return;                         /* hardware skips the write too */
    *entry |= set;
    /* Cannot fail: the same 4 bytes were just read. */
    (void)gpa_write(mem, gpa, entry, sizeof *entry);
}

/* Finish a failed walk: the error code says why, the access says how. */
static int fault(struct pw_result *r, unsigned access, bool present)
{
    r->error_code = (access & (PW_ERR_W | PW_ERR_U)) | (present ? PW_ERR_P : 0);
    return -1;
}

/*
 * The walk itself; update says whether to set A/D bits like the CPU
 * (pw_walk) or leave guest memory untouched (pw_peek).
 */
static int walk(const struct guest_mem *mem, uint32_t cr0, uint32_t cr3,
                uint32_t cr4, uint32_t lin, unsigned access, bool update,
                struct pw_result *r)
{
    memset(r, 0, sizeof *r);
    r->lin = lin;
    r->page_size = 4096;

    if (!(cr0 & PW_CR0_PG)) {           /* paging off: linear is physical */
        r->gpa = lin;
        r->writable = r->user = r->dirty = true;
        return 0;
    }

    r->pde_addr = (cr3 & PW_FRAME) + (lin >> 22) * 4;
    r->pde = read_entry(mem, r->pde_addr, r);
    r->levels = 1;
    if (!(r->pde & PW_P))
        return fault(r, access, false);

    bool big = (cr4 & PW_CR4_PSE) && (r->pde & PW_PS);
    uint32_t leaf;
    if (big) {                          /* the PDE maps the page itself */
        leaf = r->pde;
        r->page_size = PW_4M;
        r->gpa = (leaf & PW_FRAME_4M) | (lin & (PW_4M - 1));
    } else {
        r->pte_addr = (r->pde & PW_FRAME) + ((lin >> 12) & 0x3FF) * 4;
        r->pte = read_entry(mem, r->pte_addr, r);
        r->levels = 2;
        if (!(r->pte & PW_P))
            return fault(r, access, false);
        leaf = r->pte;
        r->gpa = (leaf & PW_FRAME) | (lin & 0xFFF);
    }

    /* BEGIN SOLUTION(lab=1) */
    /* Rights are the AND of both levels (for a 4 MiB page, of the PDE). */
    uint32_t both = r->pde & leaf;
    r->writable = both & PW_RW;
    r->user = both & PW_US;
    r->global = leaf & PW_G;

    bool user_access = access & PW_ACC_USER;
    if (user_access && !r->user)
        return fault(r, access, true);
    /* The supervisor may write read-only pages unless CR0.WP is set (the
       386 had no WP bit; kernels set it so that copy-on-write also catches
       their own writes into user pages). */
    if ((access & PW_ACC_WRITE) && !r->writable &&
        (user_access || (cr0 & PW_CR0_WP)))
        return fault(r, access, true);

    if (update) {
        uint32_t leaf_bits = PW_A | ((access & PW_ACC_WRITE) ? PW_D : 0);
        if (big) {
            update_entry(mem, r->pde_addr, &r->pde, leaf_bits);
        } else {
            update_entry(mem, r->pde_addr, &r->pde, PW_A);
            update_entry(mem, r->pte_addr, &r->pte, leaf_bits);
        }
    }
    r->dirty = (big ? r->pde : r->pte) & PW_D;
    return 0;
    /* STUB: (void)leaf; (void)update; (void)big; (void)update_entry; return lab_todo("LAB 1 task 2: page walk rights and A/D bits"); */
    /* END SOLUTION */
}

int pw_walk(const struct guest_mem *mem, uint32_t cr0, uint32_t cr3,
            uint32_t cr4, uint32_t lin, unsigned access, struct pw_result *r)
{
    return walk(mem, cr0, cr3, cr4, lin, access, true, r);
}

int pw_peek(const struct guest_mem *mem, uint32_t cr0, uint32_t cr3,
            uint32_t cr4, uint32_t lin, unsigned access, struct pw_result *r)
{
    return walk(mem, cr0, cr3, cr4, lin, access, false, r);
}
