/*
 * kalloc.c - the physical page allocator (chapter 1, "Memory").
 *
 * A free list threaded through the free pages themselves, reached through
 * the direct map. Pages come back zeroed, so a new page table or a new user
 * page never shows old data.
 */
#include "kernel/kalloc.h"

#include "guest-os/include/string.h"
#include "kernel/memlayout.h"

struct free_page {
    struct free_page *next;
};

static struct free_page *free_list;
static uint32_t free_count;

void kalloc_add_range(uint32_t start, uint32_t end)
{
    for (uint32_t pa = PGROUNDUP(start); pa + PGSIZE <= end; pa += PGSIZE)
        kfree(p2v(pa));
}

void kfree(void *page)
{
    struct free_page *p = page;
    p->next = free_list;
    free_list = p;
    free_count++;
}

void *kalloc(void)
{
    struct free_page *p = free_list;
    if (!p)
        return NULL;
    free_list = p->next;
    free_count--;
    memset(p, 0, PGSIZE);
    return p;
}

uint32_t kalloc_free_pages(void)
{
    return free_count;
}
