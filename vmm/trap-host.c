/*
 * trap-host.c - the host half of the shadow page table (chapter 4).
 *
 * The trap engine runs the guest inside our own process, so the guest's
 * virtual addresses are our addresses, and Linux's page tables for the low
 * 4 GiB of the process are the shadow page table. shadow-mmu/shadow.c
 * decides what should be mapped; this file does it:
 *
 *   map      mmap(MAP_FIXED | MAP_SHARED) of one page of the guest's memfd
 *   protect  mprotect
 *   unmap    an inaccessible anonymous page over it (not munmap: the window
 *            stays reserved, so nothing of ours is ever placed in it)
 *
 * Every guest page is mapped executable: i386 without PAE has no NX bit, so
 * to the guest every readable page is executable. The one exception is
 * ours: the pages that hold a debugger breakpoint lose PROT_EXEC (the
 * host's NX bit), so that the guest's first instruction fetch from one
 * faults and the engine single-steps there only (chapter 7, "Stopping the
 * guest").
 */
#define _GNU_SOURCE
#include "vmm/trap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define WINDOW_END 0x100000000ull       /* the guest sees 4 GiB */

static int guest_memfd = -1;
static uint64_t guest_ram_size;
static uint32_t min_addr;

uint32_t trap_host_min_addr(void)
{
    return min_addr;
}

static uint32_t read_mmap_min_addr(void)
{
    unsigned long v = 65536;            // the common default, if we cannot read it
    FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
    if (f) {
        if (fscanf(f, "%lu", &v) != 1)
            v = 65536;
        fclose(f);
    }
    return (uint32_t)((v + 4095) & ~4095ul);
}

/* Make [start, end) inaccessible, reserved for the guest. */
static int reserve(uint64_t start, uint64_t end, bool first_time)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                (first_time ? MAP_FIXED_NOREPLACE : MAP_FIXED);
    void *p = mmap((void *)start, end - start, PROT_NONE, flags, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    if (p != (void *)start) {           // an old kernel ignored NOREPLACE
        munmap(p, end - start);
        errno = EEXIST;
        return -1;
    }
    return 0;
}

int trap_host_init(int memfd, uint64_t ram_size, char *err, size_t errlen)
{
    guest_memfd = memfd;
    guest_ram_size = ram_size;
    min_addr = read_mmap_min_addr();
    if (reserve(min_addr, WINDOW_END, true) < 0) {
        snprintf(err, errlen,
                 "cannot reserve the low 4 GiB of the VMM's address space for the guest (%s): "
                 "something of ours is mapped there (a sanitizer build? a non-PIE binary?)",
                 strerror(errno));
        return -1;
    }
    return 0;
}

void trap_host_destroy(void)
{
    munmap((void *)(uintptr_t)min_addr, WINDOW_END - min_addr);
    trap_host_set_break_pages(NULL, 0);
}

/* ---- breakpoint pages (chapter 7) ---- */

static struct {
    uint32_t page;                      /* guest-virtual, 4 KiB-aligned */
    bool     mapped, writable;          /* as the shadow last installed it */
} break_pages[TRAP_MAX_BREAK_PAGES];
static unsigned nbreak_pages;
static bool break_pages_exec;           /* executable for now: the engine steps there */

static int break_page_index(uint32_t gva)
{
    for (unsigned i = 0; i < nbreak_pages; i++)
        if (break_pages[i].page == (gva & ~0xFFFu))
            return (int)i;
    return -1;
}

bool trap_host_break_page(uint32_t gva)
{
    return break_page_index(gva) >= 0;
}

bool trap_host_break_page_noexec(uint32_t gva)
{
    int i = break_page_index(gva);
    return i >= 0 && break_pages[i].mapped && !break_pages_exec;
}

void trap_host_set_break_pages(const uint32_t *pages, unsigned n)
{
    nbreak_pages = n < TRAP_MAX_BREAK_PAGES ? n : TRAP_MAX_BREAK_PAGES;
    for (unsigned i = 0; i < nbreak_pages; i++)
        break_pages[i].page = pages[i] & ~0xFFFu, break_pages[i].mapped = false;
    break_pages_exec = false;
}

static int prot_of(uint32_t gva_page, bool writable)
{
    bool exec = break_page_index(gva_page) < 0 || break_pages_exec;
    return PROT_READ | (exec ? PROT_EXEC : 0) | (writable ? PROT_WRITE : 0);
}

/* The shadow mapped (or re-protected) gva_page: remember it if it is a
 * breakpoint page, so that trap_host_break_exec can mprotect it later. */
static void note_mapped(uint32_t gva_page, bool writable)
{
    int i = break_page_index(gva_page);
    if (i >= 0) {
        break_pages[i].mapped = true;
        break_pages[i].writable = writable;
    }
}

int trap_host_break_exec(bool exec)
{
    if (exec == break_pages_exec)
        return 0;
    break_pages_exec = exec;
    for (unsigned i = 0; i < nbreak_pages; i++)
        if (break_pages[i].mapped &&
            mprotect((void *)(uintptr_t)break_pages[i].page, 4096,
                     prot_of(break_pages[i].page, break_pages[i].writable)) < 0)
            return -1;
    return 0;
}

/* ---- the shadow's operations ---- */

static int host_map(void *ctx, uint32_t gva_page, uint32_t gpa_page, bool writable)
{
    (void)ctx;
    if (gva_page < min_addr || (uint64_t)gpa_page + 4096 > guest_ram_size) {
        errno = EINVAL;
        return -1;
    }
    int prot = prot_of(gva_page, writable);
    void *p = mmap((void *)(uintptr_t)gva_page, 4096, prot, MAP_FIXED | MAP_SHARED, guest_memfd,
                   gpa_page);
    if (p == MAP_FAILED)
        return -1;
    note_mapped(gva_page, writable);
    return 0;
}

static int host_protect(void *ctx, uint32_t gva_page, bool writable)
{
    (void)ctx;
    int prot = prot_of(gva_page, writable);
    if (mprotect((void *)(uintptr_t)gva_page, 4096, prot) < 0)
        return -1;
    note_mapped(gva_page, writable);
    return 0;
}

static int host_unmap(void *ctx, uint32_t gva_page)
{
    (void)ctx;
    if (gva_page < min_addr)
        return 0;
    int i = break_page_index(gva_page);
    if (i >= 0)
        break_pages[i].mapped = false;
    return reserve(gva_page, (uint64_t)gva_page + 4096, false);
}

static void host_unmap_all(void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < nbreak_pages; i++)
        break_pages[i].mapped = false;
    reserve(min_addr, WINDOW_END, false);
}

const struct shadow_host_ops trap_host_ops = {
    .ctx = NULL,
    .map = host_map,
    .protect = host_protect,
    .unmap = host_unmap,
    .unmap_all = host_unmap_all,
};
