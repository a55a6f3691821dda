/*
 * segments.c - the GDT and the TSS (chapter 1, "Segments").
 *
 * Flat 4 GiB segments for kernel and user, and one TSS whose only job is to
 * tell the CPU which stack to use when an interrupt arrives in user mode
 * (SS0:ESP0). The I/O map base points past the TSS: no user I/O ports.
 */
#include "kernel/segments.h"

#include "kernel/memlayout.h"
#include "kernel/seg.h"
#include "kernel/x86.h"

struct segdesc {
    uint16_t limit_lo, base_lo;
    uint8_t  base_mid, access, limit_hi_flags, base_hi;
} __attribute__((packed));

struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
    uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));

static struct segdesc gdt[NSEGS];
static struct tss tss;

static struct segdesc make_seg(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    struct segdesc d = {
        .limit_lo = limit & 0xFFFF,
        .base_lo = base & 0xFFFF,
        .base_mid = (base >> 16) & 0xFF,
        .access = access,
        .limit_hi_flags = (uint8_t)(((limit >> 16) & 0x0F) | (flags << 4)),
        .base_hi = (base >> 24) & 0xFF,
    };
    return d;
}

#define ACC_CODE(dpl) (0x9A | ((dpl) << 5))    /* present, code, readable */
#define ACC_DATA(dpl) (0x92 | ((dpl) << 5))    /* present, data, writable */
#define ACC_TSS32     0x89                     /* present, available 32-bit TSS */
#define FLAGS_4K_32   0xC                      /* G = 4 KiB units, D = 32-bit */

static void reload_segments(void)
{
    __asm__ volatile(
        "ljmp %0, $1f\n"
        "1: movw %w1, %%ax\n"
        "movw %%ax, %%ds\n movw %%ax, %%es\n movw %%ax, %%ss\n"
        "xorw %%ax, %%ax\n movw %%ax, %%fs\n movw %%ax, %%gs\n"
        : : "i"(SEG_KCODE_SEL), "i"(SEG_KDATA_SEL) : "eax", "memory");
}

void segments_init(void)
{
    gdt[SEG_KCODE] = make_seg(0, 0xFFFFF, ACC_CODE(0), FLAGS_4K_32);
    gdt[SEG_KDATA] = make_seg(0, 0xFFFFF, ACC_DATA(0), FLAGS_4K_32);
    gdt[SEG_UCODE] = make_seg(0, 0xFFFFF, ACC_CODE(3), FLAGS_4K_32);
    gdt[SEG_UDATA] = make_seg(0, 0xFFFFF, ACC_DATA(3), FLAGS_4K_32);
    gdt[SEG_TSS] = make_seg((uint32_t)&tss, sizeof(tss) - 1, ACC_TSS32, 0);

    struct dtr d = { sizeof(gdt) - 1, (uint32_t)gdt };
    lgdt(&d);
    reload_segments();

    tss.ss0 = SEG_KDATA_SEL;
    tss.iomap_base = sizeof(tss);       // beyond the limit: every port denied at CPL 3
    ltr(SEG_TSS_SEL);
}

void segments_set_kernel_stack(uint32_t esp0)
{
    tss.esp0 = esp0;
}
