/*
 * vm.h - page tables: the kernel's direct map and user address spaces
 * (chapter 1, "Memory"; the same tables are what chapters 3-5 virtualize).
 */
#ifndef KERNEL_VM_H
#define KERNEL_VM_H

#include "kernel/types.h"

#define PTE_P 0x001                     /* present */
#define PTE_W 0x002                     /* writable */
#define PTE_U 0x004                     /* user */
#define PTE_A 0x020                     /* accessed (set by the MMU) */
#define PTE_D 0x040                     /* dirty (set by the MMU) */
#define PTE_ADDR(e) ((e) & ~0xFFFu)
#define PDX(va) (((uint32_t)(va) >> 22) & 0x3FF)
#define PTX(va) (((uint32_t)(va) >> 12) & 0x3FF)

typedef uint32_t pde_t;
typedef uint32_t pte_t;

/* Build the kernel page directory mapping all of RAM [0, ram_end) at KERNBASE. */
void   vm_init_kernel(uint32_t ram_end);
/* A new page directory with the kernel half filled in, or NULL. */
pde_t *vm_new_pgdir(void);
/* Free every user page, every user page table, and the directory. */
void   vm_free_pgdir(pde_t *pgdir);
/* The PTE for va, creating its page table if create; NULL if absent/no memory. */
pte_t *vm_walk(pde_t *pgdir, uint32_t va, bool create);
/* Map a fresh zeroed page at va with flags. Returns 0 or -1 (no memory). */
int    vm_map_new_page(pde_t *pgdir, uint32_t va, uint32_t flags);
/* Unmap and free the user pages of [start, end). */
void   vm_unmap_range(pde_t *pgdir, uint32_t start, uint32_t end, bool active);
/* Copy every user page of from into a new directory (fork). NULL if no memory. */
pde_t *vm_copy_user(pde_t *from);
/* Copy n bytes to user address va in pgdir (need not be the active one). */
int    vm_copyout(pde_t *pgdir, uint32_t va, const void *src, uint32_t n);
/* Load pgdir into CR3. */
void   vm_switch(pde_t *pgdir);
extern pde_t *kernel_pgdir;

#endif
