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
 * to the guest every readable page is executable.
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
}

static int host_map(void *ctx, uint32_t gva_page, uint32_t gpa_page, bool writable)
{
    (void)ctx;
    if (gva_page < min_addr || (uint64_t)gpa_page + 4096 > guest_ram_size) {
        errno = EINVAL;
        return -1;
    }
    int prot = PROT_READ | PROT_EXEC | (writable ? PROT_WRITE : 0);
    void *p = mmap((void *)(uintptr_t)gva_page, 4096, prot, MAP_FIXED | MAP_SHARED, guest_memfd,
                   gpa_page);
    return p == MAP_FAILED ? -1 : 0;
}

static int host_protect(void *ctx, uint32_t gva_page, bool writable)
{
    (void)ctx;
    int prot = PROT_READ | PROT_EXEC | (writable ? PROT_WRITE : 0);
    return mprotect((void *)(uintptr_t)gva_page, 4096, prot);
}

static int host_unmap(void *ctx, uint32_t gva_page)
{
    (void)ctx;
    if (gva_page < min_addr)
        return 0;
    return reserve(gva_page, (uint64_t)gva_page + 4096, false);
}

static void host_unmap_all(void *ctx)
{
    (void)ctx;
    reserve(min_addr, WINDOW_END, false);
}

const struct shadow_host_ops trap_host_ops = {
    .ctx = NULL,
    .map = host_map,
    .protect = host_protect,
    .unmap = host_unmap,
    .unmap_all = host_unmap_all,
};
