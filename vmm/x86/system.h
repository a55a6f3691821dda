/*
 * system.h - the protected-mode machinery the executor calls: segment loads
 * with their checks, far transfers, interrupt and exception delivery through
 * the IDT and the TSS, iret, and the system registers (chapter 2,
 * "Protection"; chapter 3 reuses all of it to emulate trapped instructions).
 *
 * Convention: a function that can fault returns 0 on success, or -1 after
 * recording the exception with x86_raise(); the instruction then has no
 * further effect and x86_step() delivers the exception.
 */
#ifndef VMM_X86_SYSTEM_H
#define VMM_X86_SYSTEM_H

#include "vmm/x86/cpu.h"

/* Record exception vector (with error code if has_error) in cpu->exception.
 * Always returns -1, so callers can write `return x86_raise(...)`. */
int x86_raise(struct x86_cpu *cpu, uint8_t vector, bool has_error, uint32_t error);

/* mov/pop to a data or stack segment register (not CS): checks of the SDM's
 * MOV instruction (null selector, limits, type, privilege, present). */
int x86_load_segment(struct x86_cpu *cpu, const struct x86_env *env,
                     enum x86_sreg sreg, uint16_t selector);

/* jmp far / call far / ret far / iret. op32 selects 32- or 16-bit operands.
 * next_eip is the address of the following instruction (for call). */
int x86_far_jump(struct x86_cpu *cpu, const struct x86_env *env,
                 uint16_t selector, uint32_t offset, bool op32);
int x86_far_call(struct x86_cpu *cpu, const struct x86_env *env,
                 uint16_t selector, uint32_t offset, bool op32, uint32_t next_eip);
int x86_far_return(struct x86_cpu *cpu, const struct x86_env *env,
                   bool op32, uint16_t pop_bytes);
int x86_iret(struct x86_cpu *cpu, const struct x86_env *env, bool op32);

/* How an event enters the IDT delivery (decides DPL checks and saved EIP). */
enum x86_event_kind {
    X86_EVENT_EXTERNAL,                 /* hardware interrupt from the PIC */
    X86_EVENT_EXCEPTION,                /* fault or trap raised by an instruction */
    X86_EVENT_SOFTWARE,                 /* int n, int3, into: gate DPL checked against CPL */
};

/* Deliver vector through the IDT: gate checks, stack switch through the TSS
 * on a privilege change, push of SS:ESP (if switched), EFLAGS, CS:EIP and the
 * error code; IF cleared for interrupt gates. return_eip is the EIP pushed.
 * A fault during delivery becomes #DF; a fault while delivering #DF returns
 * X86_STEP_TRIPLE_FAULT. */
enum x86_status x86_deliver_event(struct x86_cpu *cpu, const struct x86_env *env,
                                  uint8_t vector, enum x86_event_kind kind,
                                  bool has_error, uint32_t error, uint32_t return_eip);

/* lgdt/lidt take their operand from memory already read by the executor. */
void x86_load_gdtr(struct x86_cpu *cpu, uint32_t base, uint16_t limit);
void x86_load_idtr(struct x86_cpu *cpu, uint32_t base, uint16_t limit);
int  x86_load_tr(struct x86_cpu *cpu, const struct x86_env *env, uint16_t selector);
int  x86_load_ldtr(struct x86_cpu *cpu, const struct x86_env *env, uint16_t selector);

/* mov to/from CRn (CPL 0 checked by the caller); a write that changes paging
 * calls env->flush_tlb. Reserved CR numbers or bits raise #UD/#GP. */
int x86_write_cr(struct x86_cpu *cpu, const struct x86_env *env, unsigned n, uint32_t value);
int x86_read_cr(struct x86_cpu *cpu, unsigned n, uint32_t *value);

/* True when the current privilege level may use in/out on port..port+size-1:
 * CPL <= IOPL, or the TSS I/O permission bitmap allows it. */
bool x86_io_allowed(struct x86_cpu *cpu, const struct x86_env *env, uint16_t port, unsigned size);

#endif
