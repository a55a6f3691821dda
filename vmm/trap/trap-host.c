/*
 * trap-host.c - the host half of the shadow page table (chapter 4).
 *
 * The guest runs in its own process (trap-stub.c), so the guest's virtual
 * addresses are that process's addresses, and Linux's page tables for its
 * low 4 GiB are the shadow page table. shadow-mmu/shadow.c decides what
 * should be mapped; this file queues it for the stub, which does it before
 * it next enters the guest:
 *
 *   map      mmap(MAP_FIXED | MAP_SHARED) of one page of the guest's memfd
 *   protect  mprotect
 *   unmap    an inaccessible anonymous page over it (not munmap: the window
 *            stays reserved, so nothing is ever placed in it)
 *
 * Every guest page is mapped executable: i386 without PAE has no NX bit, so
 * to the guest every readable page is executable. The one exception is
 * ours: the pages that hold a debugger breakpoint lose PROT_EXEC (the
 * host's NX bit), so that the guest's first instruction fetch from one
 * faults and the engine single-steps there only (chapter 7). A change the host refuses
 * (out of VMAs) is reported after the run; the engine then drops the shadow.
 */
#define _GNU_SOURCE
#include "vmm/engine.h"
#include "vmm/trap/trap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define WINDOW_END 0x100000000ull       /* the guest sees 4 GiB */

/*
 * Native 32-bit guest code needs a 32-bit user code segment, and Linux
 * offers one at 0x23 unless its IA-32 emulation is off (ia32_emulation=0)
 * or the kernel itself runs paravirtualized without one (PVM guests). LAR
 * asks the CPU what the host's GDT holds there: present, DPL 3, code,
 * 32-bit (D=1), not 64-bit (L=0).
 */
bool trap_engine_supported(char *why, size_t len)
{
    uint32_t ar = 0;
    uint8_t valid = 0;
    __asm__("lar %2, %0\n\tsetz %1" : "+r"(ar), "=q"(valid) : "r"((uint32_t)TRAP_USER32_CS) : "cc");
    bool ok = valid && (ar & (1u << 15)) && ((ar >> 13) & 3) == 3 && (ar & (1u << 11)) &&
              (ar & (1u << 22)) && !(ar & (1u << 21));
    if (!ok)
        snprintf(why, len, "this host kernel offers no 32-bit user code segment (selector 0x%x): "
                 "it cannot run 32-bit code natively (IA-32 emulation off, or a paravirtualized "
                 "kernel); use --engine interp", TRAP_USER32_CS);
    return ok;
}

static uint64_t guest_ram_size;
static uint32_t min_addr;

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

uint32_t trap_host_min_addr(void)
{
    if (!min_addr)
        min_addr = read_mmap_min_addr();
    return min_addr;
}

/* ---- breakpoint pages (chapter 7) ---- */

static struct trap_stub *break_stub;    /* the stub the pages are queued for */
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

/* The TRAP_PROT_* bits of a page the shadow maps or re-protects; a
 * breakpoint page is remembered, so that break_exec can change it later. */
static uint32_t prot_of(uint32_t gva_page, bool writable)
{
    int i = break_page_index(gva_page);
    if (i >= 0) {
        break_pages[i].mapped = true;
        break_pages[i].writable = writable;
    }
    bool exec = i < 0 || break_pages_exec;
    return (writable ? TRAP_PROT_WRITE : 0) | (exec ? 0 : TRAP_PROT_NOEXEC);
}

int trap_host_break_exec(bool exec)
{
    if (exec == break_pages_exec)
        return 0;
    break_pages_exec = exec;
    for (unsigned i = 0; i < nbreak_pages; i++)
        if (break_pages[i].mapped &&
            trap_stub_queue(break_stub, TRAP_OP_PROTECT, break_pages[i].page, 0,
                            prot_of(break_pages[i].page, break_pages[i].writable)) < 0)
            return -1;
    return 0;
}

/* ---- the shadow's operations ---- */

static int host_map(void *ctx, uint32_t gva_page, uint32_t gpa_page, bool writable)
{
    if (gva_page < trap_host_min_addr() || (uint64_t)gpa_page + 4096 > guest_ram_size) {
        errno = EINVAL;
        return -1;
    }
    return trap_stub_queue(ctx, TRAP_OP_MAP, gva_page, gpa_page, prot_of(gva_page, writable));
}

static int host_protect(void *ctx, uint32_t gva_page, bool writable)
{
    return trap_stub_queue(ctx, TRAP_OP_PROTECT, gva_page, 0, prot_of(gva_page, writable));
}

static int host_unmap(void *ctx, uint32_t gva_page)
{
    if (gva_page < trap_host_min_addr())
        return 0;
    int i = break_page_index(gva_page);
    if (i >= 0)
        break_pages[i].mapped = false;
    return trap_stub_queue(ctx, TRAP_OP_UNMAP, gva_page, 0, 0);
}

static void host_unmap_all(void *ctx)
{
    for (unsigned i = 0; i < nbreak_pages; i++)
        break_pages[i].mapped = false;
    trap_stub_queue(ctx, TRAP_OP_UNMAP_ALL, 0, 0, 0);
}

void trap_host_ops_for(struct trap_stub *s, uint64_t ram_size, struct shadow_host_ops *ops)
{
    guest_ram_size = ram_size;
    break_stub = s;
    *ops = (struct shadow_host_ops){
        .ctx = s,
        .map = host_map,
        .protect = host_protect,
        .unmap = host_unmap,
        .unmap_all = host_unmap_all,
    };
}
