/*
 * fuzz-x86.c - libFuzzer target: random code on the x86 decoder/executor
 * (chapter 2, "Executing"; the fuzzing itself is in chapter 9, "Reliability").
 *
 * A small guest: 64 KiB of RAM with a GDT, an IDT whose gates lead into the
 * fuzzed code, a TSS, and, when the input asks for it, paging on through a
 * page directory the guest itself can rewrite. Memory goes through the same
 * page walker and software TLB as the interp engine; addresses beyond RAM
 * are MMIO, every port answers. The code runs for a bounded number of steps.
 *
 * What must hold, whatever the bytes: no crash, no hang (a rep string op
 * gives way after a batch; we stop after MAX_STEPS steps or MAX_WORK
 * accesses), and no access outside the 64 KiB. RAM is one
 * malloc'd block of exactly that size, so AddressSanitizer sees any stray
 * byte; translate() also checks every pointer it hands out.
 *
 * Input: byte 0 picks the machine (bits below), bytes 1-4 seed the registers
 * and page rights, the rest is code, copied to CODE and mirrored at ALT_CODE.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shadow-mmu/page-walk.h"
#include "shadow-mmu/soft-tlb.h"
#include "vmm/x86/system.h"
#include "vmm/x86/x86.h"

#define RAM_SIZE   0x10000u             /* 16 pages */
#define GDT        0x0000u
#define IDT        0x1000u
#define TSS        0x2000u
#define PGDIR      0x3000u
#define PGTAB      0x4000u
#define CODE       0x5000u              /* up to CODE_MAX bytes of fuzzed code */
#define CODE_MAX   0x3000u
#define ALT_CODE   0xC000u              /* a copy, where the gates point */
#define STACK_TOP  0xF000u
#define USTACK_TOP 0xE000u
#define MAX_STEPS  2000
#define MAX_WORK   50000                /* memory and port accesses: rep ops do thousands a step */

/* Bits of input byte 0. */
#define CFG_PAGING 0x01                 /* CR0.PG on, identity map + aliases */
#define CFG_USER   0x02                 /* start at CPL 3 */
#define CFG_IF     0x04                 /* interrupts on; hlt wakes with an IRQ */
#define CFG_PSE    0x08                 /* CR4.PSE and a 4 MiB page */
#define CFG_WP     0x10                 /* CR0.WP */
#define CFG_CODE16 0x20                 /* a 16-bit code segment */

static uint8_t *ram;
static struct guest_mem mem;
static struct soft_tlb tlb;
static struct x86_cpu cpu;
static unsigned work;                   /* accesses so far in this input */

static void check_host_ptr(const uint8_t *p)
{
    if (p < ram || p >= ram + RAM_SIZE) {
        fprintf(stderr, "fuzz-x86: translate gave a pointer outside guest RAM\n");
        abort();
    }
}

/* The interp engine's translate, less its statistics. */
static uint8_t *fz_translate(void *ctx, uint32_t lin, unsigned acc, struct x86_xlate_fault *f)
{
    (void)ctx;
    work++;
    unsigned pacc = ((acc & X86_ACC_WRITE) ? PW_ACC_WRITE : 0) |
                    ((acc & X86_ACC_USER) ? PW_ACC_USER : 0);
    uint8_t *host = tlb_lookup(&tlb, lin, pacc);
    if (!host) {
        struct pw_result w;
        if (pw_walk(&mem, cpu.cr0, cpu.cr3, cpu.cr4, lin, pacc, &w) < 0) {
            f->page_fault = true;
            f->error_code = w.error_code;
            return NULL;
        }
        host = tlb_fill(&tlb, &mem, &w, cpu.cr0, cpu.cr4);
        if (!host) {
            f->page_fault = false;
            f->gpa = w.gpa;
            return NULL;
        }
    }
    check_host_ptr(host);
    check_host_ptr(host + (4095 - (lin & 4095)));  /* valid to the end of its page */
    return host;
}

static uint32_t fz_mmio_read(void *ctx, uint32_t gpa, unsigned size)
{
    (void)ctx;
    return (0xA0B0C0D0u + gpa) & (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void fz_mmio_write(void *ctx, uint32_t gpa, unsigned size, uint32_t v)
{
    (void)ctx, (void)gpa, (void)size, (void)v;
}

static uint32_t fz_io_in(void *ctx, uint16_t port, unsigned size)
{
    (void)ctx;
    work++;
    return (port * 0x01010101u) & (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void fz_io_out(void *ctx, uint16_t port, unsigned size, uint32_t v)
{
    (void)ctx, (void)port, (void)size, (void)v;
    work++;
}

static void fz_flush_tlb(void *ctx) { (void)ctx; tlb_flush_all(&tlb); }
static void fz_invlpg(void *ctx, uint32_t lin) { (void)ctx; tlb_flush_page(&tlb, lin); }
static uint64_t fz_rdtsc(void *ctx) { (void)ctx; return cpu.instructions * 10; }

static const struct x86_env env = {
    .translate = fz_translate, .mmio_read = fz_mmio_read, .mmio_write = fz_mmio_write,
    .io_in = fz_io_in, .io_out = fz_io_out, .flush_tlb = fz_flush_tlb,
    .invlpg = fz_invlpg, .rdtsc = fz_rdtsc,
};

static void put32(uint32_t pa, uint32_t v) { memcpy(ram + pa, &v, 4); }

/* A segment descriptor (access byte, flags nibble) as in the unit tests' x86-run.h. */
static void descriptor(unsigned index, uint32_t base, uint32_t limit, uint8_t access,
                       uint8_t flags)
{
    put32(GDT + index * 8, (limit & 0xFFFFu) | base << 16);
    put32(GDT + index * 8 + 4, (base >> 16 & 0xFFu) | (uint32_t)access << 8 |
                               (limit & 0xF0000u) | (uint32_t)(flags & 0xF0u) << 16 |
                               (base & 0xFF000000u));
}

/*
 * Page tables: the first 4 MiB identity mapped (so the tables themselves are
 * reachable and the guest can rewrite them), linear 4-8 MiB aliasing the same
 * frames, and from rights, some pages read-only, supervisor or absent. With
 * PSE, PDE 2 is a 4 MiB page at physical 0; PDE 3 points beyond RAM.
 */
static void build_page_tables(uint32_t rights, bool pse)
{
    for (unsigned i = 0; i < 1024; i++) {
        uint32_t pte = (i * 4096u) | PW_P | PW_RW | PW_US;
        if (i < 16 && (rights >> i & 1))
            pte &= ~PW_RW;
        if (i < 16 && (rights >> (i + 16) & 1))
            pte &= ~(i % 3 ? PW_US : PW_P);
        put32(PGTAB + 4 * i, pte);
    }
    put32(PGDIR + 0, PGTAB | PW_P | PW_RW | PW_US);
    put32(PGDIR + 4, PGTAB | PW_P | PW_RW | PW_US);
    if (pse)
        put32(PGDIR + 8, 0 | PW_P | PW_RW | PW_US | PW_PS);
    put32(PGDIR + 12, 0x00800000u | PW_P | PW_RW | PW_US);  /* a table outside RAM */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    if (!ram) {
        ram = malloc(RAM_SIZE);         /* exactly RAM_SIZE: ASan guards both ends */
        mem = (struct guest_mem){ .fd = -1, .host = ram, .size = RAM_SIZE };
    }
    uint8_t cfg = data[0];
    uint32_t seed;
    memcpy(&seed, data + 1, 4);
    const uint8_t *code = data + 5;
    size_t code_len = size - 5 > CODE_MAX ? CODE_MAX : size - 5;

    memset(ram, 0, RAM_SIZE);
    memcpy(ram + CODE, code, code_len);
    memcpy(ram + ALT_CODE, code, code_len > 0x2000 ? 0x2000 : code_len);
    tlb_init(&tlb);
    work = 0;

    /* The machine of the unit tests: ring-0/3 flat code and data, a TSS. */
    x86_reset_multiboot(&cpu, CODE, 0);
    descriptor(1, 0, 0xFFFFF, 0x9A, (cfg & CFG_CODE16) ? 0x80 : 0xC0);
    descriptor(2, 0, 0xFFFFF, 0x92, 0xC0);
    descriptor(3, 0, 0xFFFFF, 0xFA, 0xC0);
    descriptor(4, 0, 0xFFFFF, 0xF2, 0xC0);
    descriptor(5, TSS, 0x67, 0x89, 0x00);
    descriptor(6, 0, 0xFFFF, 0x9A, 0x00);                   /* 16-bit code */
    x86_load_gdtr(&cpu, GDT, 8 * 8 - 1);
    for (unsigned v = 0; v < 256; v++) {                    /* gates into the code */
        uint32_t target = ALT_CODE + (v * 37u + seed) % 0x2000u;
        uint8_t access = v % 5 == 4 ? 0xEF : 0xEE;          /* trap or interrupt gate */
        put32(IDT + v * 8, (target & 0xFFFF) | 0x08u << 16);
        put32(IDT + v * 8 + 4, (target & 0xFFFF0000u) | (uint32_t)access << 8);
    }
    x86_load_idtr(&cpu, IDT, 256 * 8 - 1);
    put32(TSS + 4, STACK_TOP);
    put32(TSS + 8, 0x10);
    ram[TSS + 0x66] = 0x68;             /* no I/O bitmap */
    x86_load_tr(&cpu, &env, 0x28);
    for (int r = 0; r < 8; r++)
        cpu.gpr[r] = seed * (2u * r + 1);
    cpu.gpr[X86_ESP] = STACK_TOP;

    if (cfg & CFG_PAGING) {
        build_page_tables(seed, cfg & CFG_PSE);
        cpu.cr3 = PGDIR;
        cpu.cr4 = (cfg & CFG_PSE) ? X86_CR4_PSE : 0;
        cpu.cr0 |= X86_CR0_PG | ((cfg & CFG_WP) ? X86_CR0_WP : 0);
    }
    if (cfg & CFG_CODE16)
        cpu.seg[X86_CS].attr &= ~X86_AR_DB;
    if (cfg & CFG_USER) {
        struct x86_segment code_seg = { 0x1B, 0, 0xFFFFFFFF, 0xFB | X86_AR_DB | X86_AR_G };
        struct x86_segment data_seg = { 0x23, 0, 0xFFFFFFFF, 0xF3 | X86_AR_DB | X86_AR_G };
        for (int s = 0; s < X86_SREG_COUNT; s++)
            cpu.seg[s] = data_seg;
        cpu.seg[X86_CS] = code_seg;
        cpu.cpl = 3;
        cpu.gpr[X86_ESP] = USTACK_TOP;
    }
    if (cfg & CFG_IF)
        cpu.eflags |= X86_FLAG_IF;

    /* Run. A halted CPU with IF set gets a timer interrupt, as the PIT would. */
    for (unsigned n = 0; n < MAX_STEPS && work < MAX_WORK; n++) {
        enum x86_status st = x86_step(&cpu, &env);
        if (st == X86_STEP_TRIPLE_FAULT)
            break;
        if (st == X86_STEP_HALT || (n % 97 == 96 && x86_interrupts_enabled(&cpu))) {
            if (!x86_interrupts_enabled(&cpu))
                break;
            if (x86_external_interrupt(&cpu, &env, (uint8_t)(0x20 + n % 16)) ==
                X86_STEP_TRIPLE_FAULT)
                break;
        }
    }
    return 0;
}
