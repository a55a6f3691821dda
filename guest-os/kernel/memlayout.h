/*
 * memlayout.h - where things live in the guest's address spaces (chapter 1).
 *
 * Every address space has the same upper part: the kernel, linked at
 * KERNBASE + 1 MiB, and a direct map of all physical memory from KERNBASE.
 * User programs live in [USERBASE, USERTOP). Nothing is ever mapped below
 * 64 KiB, a rule that lets the trap engine run this kernel (chapter 3).
 */
#ifndef KERNEL_MEMLAYOUT_H
#define KERNEL_MEMLAYOUT_H

#define KERNBASE     0xC0000000u     /* start of the direct map */
#define KERNLINK     0xC0100000u     /* where the kernel is linked */
#define DIRECTMAP_MAX 0x10000000u    /* map at most 256 MiB of RAM */

#define USERBASE     0x00400000u     /* first user address */
#define USERTOP      0x70000000u     /* end of the user stack */
#define USTACK_PAGES 8

#define PGSIZE       4096u
#define PGROUNDUP(a)   (((a) + PGSIZE - 1) & ~(PGSIZE - 1))
#define PGROUNDDOWN(a) ((a) & ~(PGSIZE - 1))

#ifndef __ASSEMBLER__
#include "kernel/types.h"
static inline uint32_t v2p(const void *va) { return (uint32_t)va - KERNBASE; }
static inline void *p2v(uint32_t pa) { return (void *)(pa + KERNBASE); }
#endif

#endif
