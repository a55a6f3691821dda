/*
 * system-internal.h - what the files of the protected-mode machinery share
 * with each other (memory.c, descriptor.c, segments.c, far-transfer.c,
 * interrupts.c, control-regs.c). Not for the executor: it speaks memory.h
 * and system.h. Chapter 2, "Protection", explains the ideas.
 */
#ifndef VMM_X86_SYSTEM_INTERNAL_H
#define VMM_X86_SYSTEM_INTERNAL_H

#include "vmm/x86/cpu.h"

/* Error-code bits of a selector error code (SDM vol. 3, 6.13 "Error Code"). */
#define X86_ERR_EXT 0x1u                /* the fault happened while delivering an external event */
#define X86_ERR_IDT 0x2u                /* the index names an IDT gate */

/* Descriptor type field values (SDM vol. 3, 3.4.5.1 and 3.5). */
#define X86_TYPE_ACCESSED   0x1u        /* code/data: set by the CPU on load */
#define X86_TYPE_WRITABLE   0x2u        /* data: writable; code: readable */
#define X86_TYPE_EXPAND_DN  0x4u        /* data: expand-down; code: conforming */
#define X86_TYPE_CODE       0x8u
#define X86_TYPE_LDT        0x2u        /* system types */
#define X86_TYPE_TSS32      0x9u
#define X86_TYPE_TSS32_BUSY 0xBu
#define X86_TYPE_CALL16     0x4u
#define X86_TYPE_TASK       0x5u
#define X86_TYPE_INT16      0x6u
#define X86_TYPE_TRAP16     0x7u
#define X86_TYPE_CALL32     0xCu
#define X86_TYPE_INT32      0xEu
#define X86_TYPE_TRAP32     0xFu

/* ---- segment attributes (cached or freshly decoded) ----------------- */

static inline unsigned x86_attr_type(uint32_t attr) { return attr & X86_AR_TYPE_MASK; }
static inline unsigned x86_attr_dpl(uint32_t attr) { return (attr & X86_AR_DPL_MASK) >> X86_AR_DPL_SHIFT; }
static inline bool x86_attr_present(uint32_t attr) { return attr & X86_AR_P; }
/* A code or data segment (S=1), as opposed to a system descriptor. */
static inline bool x86_attr_codedata(uint32_t attr) { return attr & X86_AR_S; }
static inline bool x86_attr_code(uint32_t attr)
{
    return x86_attr_codedata(attr) && (attr & X86_TYPE_CODE);
}
static inline bool x86_attr_conforming(uint32_t attr)
{
    return x86_attr_code(attr) && (attr & X86_TYPE_EXPAND_DN);
}
static inline bool x86_attr_writable_data(uint32_t attr)
{
    return x86_attr_codedata(attr) && !(attr & X86_TYPE_CODE) && (attr & X86_TYPE_WRITABLE);
}

/* ---- descriptors (descriptor.c) ------------------------------------- */

/* One raw 8-byte descriptor of the GDT, LDT or IDT, as two little-endian words. */
struct x86_desc {
    uint32_t lo, hi;
};

/* Read the descriptor that selector sel names (TI picks GDT or LDT). If the
 * selector lies outside its table, raise vector with error (sel & ~3) | ext. */
int x86_desc_read(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                  struct x86_desc *d, uint8_t vector, uint32_t ext);
/* Set type bits (accessed, busy) in the descriptor sel names, in memory and in *d. */
int x86_desc_set_type_bits(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                           struct x86_desc *d, unsigned bits);
/* The VMX-layout access rights of a descriptor. */
uint32_t x86_desc_attr(const struct x86_desc *d);
/* The hidden part of a segment register, as loading sel with d fills it. */
void x86_desc_to_segment(const struct x86_desc *d, uint16_t sel, struct x86_segment *s);

/* A gate of the IDT (or a call gate of the GDT/LDT), decoded. */
struct x86_gate {
    uint16_t selector;
    uint32_t offset;
    unsigned type, dpl, param_count;
    bool present;
};
void x86_desc_to_gate(const struct x86_desc *d, struct x86_gate *g);

/* ---- segment checks and stacks (memory.c) --------------------------- */

/* Limit and type check of an access of len bytes at offset in segment s
 * (SDM vol. 3, 5.3 and 5.4). On failure raise fault_vector(fault_error). */
int x86_seg_check(struct x86_cpu *cpu, const struct x86_segment *s, uint32_t offset,
                  unsigned len, bool write, uint8_t fault_vector, uint32_t fault_error);

/* A stack being built before it is committed to cpu->seg[X86_SS]/ESP:
 * interrupts, far calls and returns push and pop here first, so that a
 * fault half-way leaves the registers as they were. */
struct x86_stack {
    struct x86_segment ss;
    uint32_t esp;
    bool supervisor;                    /* accesses made at CPL 0-2 */
    uint32_t fault_error;               /* error code of #SS on a limit violation */
};
void x86_stack_current(const struct x86_cpu *cpu, struct x86_stack *st);
/* Push size (2 or 4) bytes of value; st->esp moves only on success. */
int x86_stack_push(struct x86_cpu *cpu, const struct x86_env *env, struct x86_stack *st,
                   uint32_t value, unsigned size);
/* Read size bytes at st->esp + offset (does not move st->esp). */
int x86_stack_peek(struct x86_cpu *cpu, const struct x86_env *env, const struct x86_stack *st,
                   uint32_t offset, unsigned size, uint32_t *value);

/* ---- shared by far returns and iret (far-transfer.c) ---------------- */

/* Check the code segment selector a far return or iret pops (SDM vol. 2,
 * RET and IRET pseudocode); on success *d holds its descriptor. */
int x86_check_return_cs(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                        struct x86_desc *d);
/* Check the SS selector popped on a return to outer privilege level rpl. */
int x86_check_return_ss(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                        unsigned rpl, struct x86_desc *d);
/* Commit a load of CS (RPL forced to cpl) and set the CPL; sets the
 * descriptor's accessed bit first, so a fault there changes nothing. */
int x86_commit_cs(struct x86_cpu *cpu, const struct x86_env *env, uint16_t sel,
                  struct x86_desc *d, unsigned cpl);
/* After a return to an outer level: null DS/ES/FS/GS that the new CPL may not use. */
void x86_null_outer_segments(struct x86_cpu *cpu);

#endif
