/*
 * vm.c - page tables (chapter 1, "Memory").
 *
 * Two levels, 4 KiB pages only, CR0.WP set. The upper quarter of every page
 * directory (KERNBASE and up) is the same: the kernel's direct map of RAM,
 * built once at boot and shared by pointing at the same page tables. The
 * lower part belongs to the process. These tables are what the trap engine
 * shadows (chapter 4) and what EPT sits under (chapter 5).
 */
#include "kernel/vm.h"

#include "guest-os/include/string.h"
#include "kernel/console.h"
#include "kernel/kalloc.h"
#include "kernel/memlayout.h"
#include "kernel/x86.h"

pde_t *kernel_pgdir;

void vm_init_kernel(uint32_t ram_end)
{
    kernel_pgdir = kalloc();
    if (!kernel_pgdir)
        panic("vm_init_kernel: no memory for the page directory");
    for (uint32_t pa = 0; pa < ram_end; pa += PGSIZE) {
        pte_t *pte = vm_walk(kernel_pgdir, KERNBASE + pa, true);
        if (!pte)
            panic("vm_init_kernel: no memory for page tables");
        *pte = pa | PTE_P | PTE_W;
    }
    vm_switch(kernel_pgdir);
}

pte_t *vm_walk(pde_t *pgdir, uint32_t va, bool create)
{
    pde_t *pde = &pgdir[PDX(va)];
    if (!(*pde & PTE_P)) {
        if (!create)
            return NULL;
        pte_t *table = kalloc();
        if (!table)
            return NULL;
        // The PDE allows everything; the PTEs decide (rights combine).
        *pde = v2p(table) | PTE_P | PTE_W | (va < KERNBASE ? PTE_U : 0);
    }
    pte_t *table = p2v(PTE_ADDR(*pde));
    return &table[PTX(va)];
}

pde_t *vm_new_pgdir(void)
{
    pde_t *pgdir = kalloc();
    if (!pgdir)
        return NULL;
    for (uint32_t i = PDX(KERNBASE); i < 1024; i++)
        pgdir[i] = kernel_pgdir[i];
    return pgdir;
}

void vm_free_pgdir(pde_t *pgdir)
{
    for (uint32_t i = 0; i < PDX(KERNBASE); i++) {
        if (!(pgdir[i] & PTE_P))
            continue;
        pte_t *table = p2v(PTE_ADDR(pgdir[i]));
        for (int j = 0; j < 1024; j++)
            if (table[j] & PTE_P)
                kfree(p2v(PTE_ADDR(table[j])));
        kfree(table);
    }
    kfree(pgdir);
}

int vm_map_new_page(pde_t *pgdir, uint32_t va, uint32_t flags)
{
    pte_t *pte = vm_walk(pgdir, va, true);
    if (!pte)
        return -1;
    if (*pte & PTE_P)
        panic("vm_map_new_page: 0x%x already mapped", va);
    void *page = kalloc();
    if (!page)
        return -1;
    *pte = v2p(page) | flags | PTE_P;
    return 0;
}

void vm_unmap_range(pde_t *pgdir, uint32_t start, uint32_t end, bool active)
{
    for (uint32_t va = PGROUNDUP(start); va < end; va += PGSIZE) {
        pte_t *pte = vm_walk(pgdir, va, false);
        if (!pte || !(*pte & PTE_P))
            continue;
        kfree(p2v(PTE_ADDR(*pte)));
        *pte = 0;
        if (active)
            invlpg(va);                 // the TLB may still hold the old entry
    }
}

pde_t *vm_copy_user(pde_t *from)
{
    pde_t *to = vm_new_pgdir();
    if (!to)
        return NULL;
    for (uint32_t i = 0; i < PDX(KERNBASE); i++) {
        if (!(from[i] & PTE_P))
            continue;
        pte_t *table = p2v(PTE_ADDR(from[i]));
        for (uint32_t j = 0; j < 1024; j++) {
            if (!(table[j] & PTE_P))
                continue;
            uint32_t va = (i << 22) | (j << 12);
            uint32_t flags = table[j] & (PTE_W | PTE_U);
            if (vm_map_new_page(to, va, flags) < 0) {
                vm_free_pgdir(to);
                return NULL;
            }
            pte_t *pte = vm_walk(to, va, false);
            memcpy(p2v(PTE_ADDR(*pte)), p2v(PTE_ADDR(table[j])), PGSIZE);
        }
    }
    return to;
}

int vm_copyout(pde_t *pgdir, uint32_t va, const void *src, uint32_t n)
{
    const char *s = src;
    while (n > 0) {
        pte_t *pte = vm_walk(pgdir, va, false);
        if (!pte || !(*pte & PTE_P) || !(*pte & PTE_U))
            return -1;
        uint32_t off = va & (PGSIZE - 1);
        uint32_t chunk = PGSIZE - off < n ? PGSIZE - off : n;
        memcpy((char *)p2v(PTE_ADDR(*pte)) + off, s, chunk);
        n -= chunk;
        s += chunk;
        va += chunk;
    }
    return 0;
}

void vm_switch(pde_t *pgdir)
{
    lcr3(v2p(pgdir));
}
