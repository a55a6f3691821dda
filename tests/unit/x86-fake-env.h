/*
 * x86-fake-env.h - a fake engine for the unit tests of vmm/x86/: guest RAM
 * is one flat buffer with paging off (linear = physical), pages can be
 * marked absent to provoke page faults, addresses at or above FAKE_RAM_SIZE
 * are MMIO, and every callback is counted. Used by test_x86_memory.c and
 * test_x86_system.c (chapter 2's tests).
 */
#ifndef TESTS_UNIT_X86_FAKE_ENV_H
#define TESTS_UNIT_X86_FAKE_ENV_H

#include <string.h>

#include "vmm/x86/cpu.h"

#define FAKE_RAM_SIZE  0x100000u        /* 1 MiB of RAM at guest-physical 0 */
#define FAKE_MAX_MMIO  16

struct fake_mmio_access {
    uint32_t gpa;
    unsigned size;
    uint32_t value;
    bool write;
};

struct fake_machine {
    uint8_t ram[FAKE_RAM_SIZE];
    bool absent[FAKE_RAM_SIZE / 4096];  /* true: translate gives a page fault */
    unsigned translates, flushes, invlpgs;
    unsigned last_acc;                  /* acc of the latest translate call */
    struct fake_mmio_access mmio[FAKE_MAX_MMIO];
    unsigned mmio_count;
};

static struct fake_machine fake;

/* Page-fault error code as the walker would build it (SDM vol. 3, 4.7):
 * P=0 (not present), W/R from the access, U/S from the user bit. */
static inline uint8_t *fake_translate(void *ctx, uint32_t lin, unsigned acc,
                                      struct x86_xlate_fault *f)
{
    (void)ctx;
    fake.translates++;
    fake.last_acc = acc;
    if (lin >= FAKE_RAM_SIZE) {
        f->page_fault = false;
        f->gpa = lin;
        return NULL;
    }
    if (fake.absent[lin / 4096]) {
        f->page_fault = true;
        f->error_code = ((acc & X86_ACC_WRITE) ? 2u : 0u) | ((acc & X86_ACC_USER) ? 4u : 0u);
        return NULL;
    }
    return fake.ram + lin;
}

/* MMIO reads return a recognisable pattern: the low bytes of 0xA0B0C0D0 + gpa. */
static inline uint32_t fake_mmio_read(void *ctx, uint32_t gpa, unsigned size)
{
    (void)ctx;
    uint32_t v = (0xA0B0C0D0u + gpa) & (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
    if (fake.mmio_count < FAKE_MAX_MMIO)
        fake.mmio[fake.mmio_count++] = (struct fake_mmio_access){ gpa, size, v, false };
    return v;
}

static inline void fake_mmio_write(void *ctx, uint32_t gpa, unsigned size, uint32_t value)
{
    (void)ctx;
    if (fake.mmio_count < FAKE_MAX_MMIO)
        fake.mmio[fake.mmio_count++] = (struct fake_mmio_access){ gpa, size, value, true };
}

static inline void fake_flush_tlb(void *ctx) { (void)ctx; fake.flushes++; }
static inline void fake_invlpg(void *ctx, uint32_t lin) { (void)ctx; (void)lin; fake.invlpgs++; }

static const struct x86_env fake_env = {
    .ctx = NULL,
    .translate = fake_translate,
    .mmio_read = fake_mmio_read,
    .mmio_write = fake_mmio_write,
    .flush_tlb = fake_flush_tlb,
    .invlpg = fake_invlpg,
};

static inline void fake_reset(void)
{
    memset(&fake, 0, sizeof(fake));
}

static inline uint32_t fake_read32(uint32_t pa)
{
    uint32_t v;
    memcpy(&v, fake.ram + pa, 4);
    return v;
}

static inline void fake_write32(uint32_t pa, uint32_t v)
{
    memcpy(fake.ram + pa, &v, 4);
}

/* A code/data or system descriptor: access is byte 5 (P, DPL, S, type),
 * flags the high nibble of byte 6 (G, D/B, L, AVL). */
static inline void fake_descriptor(uint32_t table, unsigned index, uint32_t base,
                                   uint32_t limit, uint8_t access, uint8_t flags)
{
    uint32_t lo = (limit & 0xFFFFu) | base << 16;
    uint32_t hi = (base >> 16 & 0xFFu) | (uint32_t)access << 8 | (limit & 0xF0000u) |
                  (uint32_t)(flags & 0xF0u) << 16 | (base & 0xFF000000u);
    fake_write32(table + index * 8, lo);
    fake_write32(table + index * 8 + 4, hi);
}

/* An interrupt, trap or call gate: access byte as above (type 0xE, 0xF, 0xC...). */
static inline void fake_gate(uint32_t table, unsigned index, uint16_t selector,
                             uint32_t offset, uint8_t access)
{
    fake_write32(table + index * 8, (offset & 0xFFFFu) | (uint32_t)selector << 16);
    fake_write32(table + index * 8 + 4, (offset & 0xFFFF0000u) | (uint32_t)access << 8);
}

#endif
