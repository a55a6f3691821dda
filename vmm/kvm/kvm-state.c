/*
 * kvm-state.c - KVM's view of the vCPU (struct kvm_regs, struct kvm_sregs)
 * and ours (struct x86_cpu), converted both ways (chapter 05-kvm-and-ept.md,
 * "The vCPU's state").
 *
 * The two agree on almost everything: KVM, like the VMCS, keeps each
 * segment's hidden part (base, byte-granular limit, access rights) next to
 * the selector. They differ in how the access rights are written down: the
 * VMCS (and struct x86_segment) pack them into one word, bits 15:0 as in the
 * descriptor plus bit 16 "unusable"; struct kvm_segment spreads them over
 * one byte per field. Moving a running guest between engines goes through
 * these two functions, so they must lose nothing the guest could notice.
 */
#include "vmm/kvm/kvm.h"

#include <string.h>

#include "vmm/lab.h"

/* Where each field sits in the VMX access-rights word (SDM 24.4.1). */
#define AR_S_SHIFT        4
#define AR_P_SHIFT        7
#define AR_AVL_SHIFT     12
#define AR_L_SHIFT       13
#define AR_DB_SHIFT      14
#define AR_G_SHIFT       15
#define AR_UNUSABLE_SHIFT 16

void kvm_segment_from_x86(const struct x86_segment *in, struct kvm_segment *out)
{
    /* BEGIN SOLUTION(lab=4) */
    uint32_t ar = in->attr;
    memset(out, 0, sizeof(*out));
    out->base = in->base;
    out->limit = in->limit;
    out->selector = in->selector;
    out->type = ar & X86_AR_TYPE_MASK;
    out->s = (ar >> AR_S_SHIFT) & 1;
    out->dpl = (ar & X86_AR_DPL_MASK) >> X86_AR_DPL_SHIFT;
    out->present = (ar >> AR_P_SHIFT) & 1;
    out->avl = (ar >> AR_AVL_SHIFT) & 1;
    out->l = (ar >> AR_L_SHIFT) & 1;
    out->db = (ar >> AR_DB_SHIFT) & 1;
    out->g = (ar >> AR_G_SHIFT) & 1;
    out->unusable = (ar >> AR_UNUSABLE_SHIFT) & 1;
    /* STUB: memset(out, 0, sizeof(*out)); (void)in; lab_todo("LAB 4 task 2: kvm_segment_from_x86"); */
    /* END SOLUTION */
}

void kvm_segment_to_x86(const struct kvm_segment *in, struct x86_segment *out)
{
    /* BEGIN SOLUTION(lab=4) */
    out->base = (uint32_t)in->base;     // an i386 guest: bases fit in 32 bits
    out->limit = in->limit;
    out->selector = in->selector;
    out->attr = (in->type & X86_AR_TYPE_MASK) |
                (uint32_t)(in->s & 1) << AR_S_SHIFT |
                (uint32_t)(in->dpl & 3) << X86_AR_DPL_SHIFT |
                (uint32_t)(in->present & 1) << AR_P_SHIFT |
                (uint32_t)(in->avl & 1) << AR_AVL_SHIFT |
                (uint32_t)(in->l & 1) << AR_L_SHIFT |
                (uint32_t)(in->db & 1) << AR_DB_SHIFT |
                (uint32_t)(in->g & 1) << AR_G_SHIFT |
                (uint32_t)(in->unusable & 1) << AR_UNUSABLE_SHIFT;
    /* STUB: memset(out, 0, sizeof(*out)); (void)in; lab_todo("LAB 4 task 2: kvm_segment_to_x86"); */
    /* END SOLUTION */
}

/* Our general registers are numbered as the instruction encoding numbers
   them; struct kvm_regs names them. One table says which is which. */
static __u64 *gpr_slot(struct kvm_regs *r, int i)
{
    __u64 *slots[8] = { &r->rax, &r->rcx, &r->rdx, &r->rbx,
                        &r->rsp, &r->rbp, &r->rsi, &r->rdi };
    return slots[i];
}

/* struct kvm_sregs holds its six segment registers by name; ours by number. */
static struct kvm_segment *sreg_slot(struct kvm_sregs *s, int i)
{
    struct kvm_segment *slots[X86_SREG_COUNT] = { &s->es, &s->cs, &s->ss,
                                                  &s->ds, &s->fs, &s->gs };
    return slots[i];
}

void kvm_state_from_cpu(const struct x86_cpu *cpu, struct kvm_regs *regs,
                        struct kvm_sregs *sregs)
{
    memset(regs, 0, sizeof(*regs));
    for (int i = 0; i < 8; i++)
        *gpr_slot(regs, i) = cpu->gpr[i];
    regs->rip = cpu->eip;
    regs->rflags = cpu->eflags | X86_FLAG_FIXED;
    for (int i = 0; i < X86_SREG_COUNT; i++)
        kvm_segment_from_x86(&cpu->seg[i], sreg_slot(sregs, i));
    kvm_segment_from_x86(&cpu->ldtr, &sregs->ldt);
    kvm_segment_from_x86(&cpu->tr, &sregs->tr);
    sregs->gdt = (struct kvm_dtable){ .base = cpu->gdtr.base, .limit = cpu->gdtr.limit };
    sregs->idt = (struct kvm_dtable){ .base = cpu->idtr.base, .limit = cpu->idtr.limit };
    sregs->cr0 = cpu->cr0;
    sregs->cr2 = cpu->cr2;
    sregs->cr3 = cpu->cr3;
    sregs->cr4 = cpu->cr4;
    // The CPL is not a register: VT-x takes it from SS.DPL (SDM 24.4.1),
    // and x86_cpu keeps it apart. Say it through SS so the two agree.
    sregs->ss.dpl = cpu->cpl;
    // A pending external interrupt would live in interrupt_bitmap; the PIC
    // is ours (no in-kernel irqchip), so KVM never holds one between exits.
    memset(sregs->interrupt_bitmap, 0, sizeof(sregs->interrupt_bitmap));
}

void kvm_state_to_cpu(const struct kvm_regs *regs, const struct kvm_sregs *sregs,
                      struct x86_cpu *cpu)
{
    struct kvm_regs r = *regs;
    struct kvm_sregs s = *sregs;
    for (int i = 0; i < 8; i++)
        cpu->gpr[i] = (uint32_t)*gpr_slot(&r, i);
    cpu->eip = (uint32_t)regs->rip;
    cpu->eflags = (uint32_t)regs->rflags;
    for (int i = 0; i < X86_SREG_COUNT; i++)
        kvm_segment_to_x86(sreg_slot(&s, i), &cpu->seg[i]);
    kvm_segment_to_x86(&sregs->ldt, &cpu->ldtr);
    kvm_segment_to_x86(&sregs->tr, &cpu->tr);
    cpu->gdtr = (struct x86_dtable){ .base = (uint32_t)sregs->gdt.base,
                                     .limit = sregs->gdt.limit };
    cpu->idtr = (struct x86_dtable){ .base = (uint32_t)sregs->idt.base,
                                     .limit = sregs->idt.limit };
    cpu->cr0 = (uint32_t)sregs->cr0;
    cpu->cr2 = (uint32_t)sregs->cr2;
    cpu->cr3 = (uint32_t)sregs->cr3;
    cpu->cr4 = (uint32_t)sregs->cr4;
    cpu->cpl = (sregs->cr0 & X86_CR0_PE) ? sregs->ss.dpl : 0;
}

/* KVM_X86_SHADOW_INT_*: the one-instruction windows after sti and mov ss
   in which the CPU takes no interrupt. We keep only "there is one". */
void kvm_events_from_cpu(const struct x86_cpu *cpu, struct kvm_vcpu_events *ev)
{
    ev->interrupt.shadow = cpu->interrupt_shadow ? KVM_X86_SHADOW_INT_STI : 0;
    ev->exception.injected = cpu->exception.pending;
    ev->exception.nr = cpu->exception.vector;
    ev->exception.has_error_code = cpu->exception.has_error;
    ev->exception.error_code = cpu->exception.error;
}

void kvm_events_to_cpu(const struct kvm_vcpu_events *ev, struct x86_cpu *cpu)
{
    cpu->interrupt_shadow = ev->interrupt.shadow != 0;
    cpu->exception.pending = ev->exception.injected || ev->exception.pending;
    cpu->exception.vector = ev->exception.nr;
    cpu->exception.has_error = ev->exception.has_error_code;
    cpu->exception.error = ev->exception.error_code;
}
