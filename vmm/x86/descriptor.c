/*
 * descriptor.c - reading segment descriptors and gates from the GDT, LDT
 * and IDT, and turning them into the hidden part of a segment register
 * (chapter 2, "Protection"; chapter 3 reuses it).
 *
 * A selector is an index (bits 15:3), a table indicator TI (bit 2: 0 = GDT,
 * 1 = LDT) and a requested privilege level RPL (bits 1:0). The CPU reads
 * descriptor tables with supervisor rights whatever the CPL (SDM vol. 3,
 * 4.6.1 "implicit supervisor-mode accesses").
 */
#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/system-internal.h"

/* Linear address of the descriptor sel names, or false if it lies beyond
 * its table's limit or TI names an LDT that is not loaded (SDM vol. 3, 3.5.1). */
static bool desc_address(const struct x86_cpu *cpu, uint16_t sel, uint32_t *lin)
{
    uint32_t offset = sel & ~7u, base, limit;

    if (sel & 4) {
        if (cpu->ldtr.attr & X86_AR_UNUSABLE)
            return false;
        base = cpu->ldtr.base;
        limit = cpu->ldtr.limit;
    } else {
        base = cpu->gdtr.base;
        limit = cpu->gdtr.limit;
    }
    if (offset + 7 > limit)
        return false;
    *lin = base + offset;
    return true;
}

int x86_desc_read(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                  struct x86_desc *d, uint8_t vector, uint32_t ext)
{
    uint32_t lin, raw[2];

    if (!desc_address(cpu, sel, &lin))
        return x86_raise(cpu, vector, true, (sel & ~3u) | ext);
    if (x86_read_linear(cpu, env, lin, raw, 8, X86_ACC_READ, true))
        return -1;
    d->lo = raw[0];                     /* the host is little-endian, like the guest */
    d->hi = raw[1];
    return 0;
}

/* The CPU sets the accessed bit when it loads a segment, and the busy bit
 * when it loads TR; both live in byte 5 of the descriptor (type field).
 * Only that byte is written, as hardware does, with supervisor rights. */
int x86_desc_set_type_bits(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                           struct x86_desc *d, unsigned bits)
{
    uint32_t lin;
    uint8_t byte5;

    if ((d->hi >> 8 & bits) == bits)
        return 0;                       /* already set: no write, as on hardware */
    if (!desc_address(cpu, sel, &lin))
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    d->hi |= bits << 8;
    byte5 = d->hi >> 8;
    return x86_write_linear(cpu, env, lin + 5, &byte5, 1, true);
}

/* Byte 5 (type, S, DPL, P) and the flags nibble of byte 6 (AVL, L, D/B, G)
 * are exactly the VMX access-rights layout, bits 7:0 and 15:12. */
uint32_t x86_desc_attr(const struct x86_desc *d)
{
    return (d->hi >> 8) & 0xF0FFu;
}

void x86_desc_to_segment(const struct x86_desc *d, uint16_t sel, struct x86_segment *s)
{
    uint32_t limit = (d->lo & 0xFFFFu) | (d->hi & 0x000F0000u);

    s->selector = sel;
    s->base = (d->lo >> 16) | (d->hi & 0xFFu) << 16 | (d->hi & 0xFF000000u);
    s->attr = x86_desc_attr(d);
    /* G=1: the limit counts 4 KiB pages, and the low 12 bits read as ones. */
    s->limit = (s->attr & X86_AR_G) ? limit << 12 | 0xFFFu : limit;
}

void x86_desc_to_gate(const struct x86_desc *d, struct x86_gate *g)
{
    g->selector = d->lo >> 16;
    g->offset = (d->lo & 0xFFFFu) | (d->hi & 0xFFFF0000u);
    g->type = (d->hi >> 8) & 0xFu;
    g->dpl = (d->hi >> 13) & 3u;
    g->present = d->hi & 0x8000u;
    g->param_count = d->hi & 0x1Fu;
}
