/*
 * kalloc.h - the physical page allocator (chapter 1, "Memory").
 */
#ifndef KERNEL_KALLOC_H
#define KERNEL_KALLOC_H

#include "kernel/types.h"

/* Give the pages of physical [start, end) to the allocator. */
void  kalloc_add_range(uint32_t start, uint32_t end);
/* One zeroed 4 KiB page (its direct-map address), or NULL when out of memory. */
void *kalloc(void);
void  kfree(void *page);
uint32_t kalloc_free_pages(void);

#endif
