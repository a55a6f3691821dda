/*
 * segments.c - loading the segment registers and the descriptor-table
 * registers: mov/pop to DS, ES, FS, GS and SS, lgdt, lidt, ltr, lldt, and
 * the state the Multiboot spec promises at the kernel's entry (chapter 2,
 * "Protection"; chapter 3 reuses it to emulate trapped instructions).
 *
 * Loading a selector copies its descriptor into the register's hidden part
 * after the protection checks that the SDM lists in the pseudocode of MOV
 * (vol. 2) and in vol. 3, 5.5-5.7. CS is loaded only by far transfers and
 * interrupts (far-transfer.c, interrupts.c).
 */
#include <string.h>

#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/system-internal.h"
#include "vmm/x86/x86.h"

/* A null selector loaded into a data segment register: usable for nothing,
 * any access through it faults (SDM vol. 3, 3.4.2). */
static void load_null(struct x86_segment *s, uint16_t selector)
{
    s->selector = selector;
    s->base = 0;
    s->limit = 0;
    s->attr = X86_AR_UNUSABLE;
}

/* mov ss: SDM vol. 2, MOV, "IF SS is loaded". The stack must be a present,
 * writable data segment at exactly the CPL, named with RPL = CPL. */
static int load_ss(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel)
{
    struct x86_desc d;
    uint32_t attr;

    if ((sel & ~3u) == 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if (x86_desc_read(cpu, env, sel, &d, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(&d);
    if ((sel & 3u) != cpu->cpl || !x86_attr_writable_data(attr) || x86_attr_dpl(attr) != cpu->cpl)
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_SS_FAULT, true, sel & ~3u);
    if (x86_desc_set_type_bits(cpu, env, sel, &d, X86_TYPE_ACCESSED))
        return -1;
    x86_desc_to_segment(&d, sel, &cpu->seg[X86_SS]);
    return 0;
}

/* mov ds/es/fs/gs: SDM vol. 2, MOV, "IF DS, ES, FS, or GS is loaded with
 * non-NULL selector". Data or readable code; for data and non-conforming
 * code both RPL and CPL must be numerically <= DPL (vol. 3, 5.6). */
static int load_data(struct x86_cpu *cpu, const struct x86_env *env, enum x86_sreg sreg,
                     uint16_t sel)
{
    struct x86_desc d;
    uint32_t attr;

    if ((sel & ~3u) == 0) {             /* null: allowed, faults on use */
        load_null(&cpu->seg[sreg], sel);
        return 0;
    }
    if (x86_desc_read(cpu, env, sel, &d, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(&d);
    if (!x86_attr_codedata(attr) ||
        (x86_attr_code(attr) && !(attr & X86_TYPE_WRITABLE)))
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (!x86_attr_conforming(attr) &&
        ((sel & 3u) > x86_attr_dpl(attr) || cpu->cpl > x86_attr_dpl(attr)))
        return x86_raise(cpu, X86_GP, true, sel & ~3u);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_NP, true, sel & ~3u);
    if (x86_desc_set_type_bits(cpu, env, sel, &d, X86_TYPE_ACCESSED))
        return -1;
    x86_desc_to_segment(&d, sel, &cpu->seg[sreg]);
    return 0;
}

int x86_load_segment(struct x86_cpu *cpu, const struct x86_env *env,
                     enum x86_sreg sreg, uint16_t selector)
{
    if (sreg == X86_CS)                 /* our bug: mov cs is #UD in the decoder */
        return x86_raise(cpu, X86_UD, false, 0);
    if (sreg == X86_SS)
        return load_ss(cpu, env, selector);
    return load_data(cpu, env, sreg, selector);
}

void x86_load_gdtr(struct x86_cpu *cpu, uint32_t base, uint16_t limit)
{
    cpu->gdtr.base = base;
    cpu->gdtr.limit = limit;
}

void x86_load_idtr(struct x86_cpu *cpu, uint32_t base, uint16_t limit)
{
    cpu->idtr.base = base;
    cpu->idtr.limit = limit;
}

/* ltr: SDM vol. 2, LTR. The selector must name an available 32-bit TSS in
 * the GDT; the CPU marks it busy, so that a second ltr of it faults. CPL 0
 * is checked here as well as in the executor because the trap engine also
 * comes here. 16-bit TSSs (type 1) are not supported: #GP(selector). */
int x86_load_tr(struct x86_cpu *cpu, const struct x86_env *env, uint16_t selector)
{
    struct x86_desc d;
    uint32_t attr;

    if (cpu->cpl != 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if ((selector & ~3u) == 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if (selector & 4)                   /* TI=1: a TSS lives only in the GDT */
        return x86_raise(cpu, X86_GP, true, selector & ~3u);
    if (x86_desc_read(cpu, env, selector, &d, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(&d);
    if (x86_attr_codedata(attr) || x86_attr_type(attr) != X86_TYPE_TSS32)
        return x86_raise(cpu, X86_GP, true, selector & ~3u);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_NP, true, selector & ~3u);
    if (x86_desc_set_type_bits(cpu, env, selector, &d, X86_TYPE_TSS32_BUSY))
        return -1;
    x86_desc_to_segment(&d, selector, &cpu->tr);
    return 0;
}

/* lldt: SDM vol. 2, LLDT. A null selector leaves no LDT (any TI=1 selector
 * then faults); otherwise it must name a present LDT descriptor in the GDT. */
int x86_load_ldtr(struct x86_cpu *cpu, const struct x86_env *env, uint16_t selector)
{
    struct x86_desc d;
    uint32_t attr;

    if (cpu->cpl != 0)
        return x86_raise(cpu, X86_GP, true, 0);
    if ((selector & ~3u) == 0) {
        load_null(&cpu->ldtr, selector);
        return 0;
    }
    if (selector & 4)
        return x86_raise(cpu, X86_GP, true, selector & ~3u);
    if (x86_desc_read(cpu, env, selector, &d, X86_GP, 0))
        return -1;
    attr = x86_desc_attr(&d);
    if (x86_attr_codedata(attr) || x86_attr_type(attr) != X86_TYPE_LDT)
        return x86_raise(cpu, X86_GP, true, selector & ~3u);
    if (!x86_attr_present(attr))
        return x86_raise(cpu, X86_NP, true, selector & ~3u);
    x86_desc_to_segment(&d, selector, &cpu->ldtr);
    return 0;
}

/* A flat 4 GiB segment of the given type, as a boot loader's GDT holds. */
static struct x86_segment flat_segment(uint16_t selector, unsigned type)
{
    return (struct x86_segment){
        .selector = selector, .base = 0, .limit = 0xFFFFFFFFu,
        .attr = type | X86_AR_S | X86_AR_P | X86_AR_DB | X86_AR_G,
    };
}

/* Multiboot v1, "Machine state": 32-bit protected mode, paging off, CS a
 * flat execute/read segment, the data segments flat read/write, IF clear,
 * EAX the magic and EBX the information structure. GDTR and IDTR are
 * "undefined" there: the kernel must load its own before using them. */
void x86_reset_multiboot(struct x86_cpu *cpu, uint32_t entry, uint32_t mbi_addr)
{
    memset(cpu, 0, sizeof(*cpu));
    cpu->cr0 = X86_CR0_PE | X86_CR0_ET;
    cpu->eflags = X86_FLAG_FIXED;
    cpu->eip = entry;
    cpu->gpr[X86_EAX] = 0x2BADB002u;
    cpu->gpr[X86_EBX] = mbi_addr;
    cpu->cpl = 0;
    for (int s = 0; s < X86_SREG_COUNT; s++)
        cpu->seg[s] = flat_segment(0x10, 0x3);  /* read/write, accessed */
    cpu->seg[X86_CS] = flat_segment(0x08, 0xB); /* execute/read, accessed */
    cpu->gdtr = (struct x86_dtable){ .base = 0, .limit = 0xFFFF };
    cpu->idtr = (struct x86_dtable){ .base = 0, .limit = 0xFFFF };
    /* No TSS yet: an empty busy 32-bit TSS, so that an interrupt taken
     * before ltr (at CPL 0, no stack switch) still finds a well-formed TR. */
    cpu->tr = (struct x86_segment){ .selector = 0, .base = 0, .limit = 0x67,
                                    .attr = X86_TYPE_TSS32_BUSY | X86_AR_P };
    load_null(&cpu->ldtr, 0);
}
