/*
 * x86.h - the public face of the x86 decoder/executor (chapter 2).
 *
 * The interp engine calls x86_step() in a loop; the trap engine calls it to
 * emulate one trapped instruction; the monitor uses x86_decode() to
 * disassemble. Memory, ports and time come from the engine's struct x86_env.
 */
#ifndef VMM_X86_X86_H
#define VMM_X86_X86_H

#include "vmm/x86/cpu.h"

/* Run one instruction (or deliver one pending exception). */
enum x86_status x86_step(struct x86_cpu *cpu, const struct x86_env *env);

/* True when an external interrupt may be taken now (IF=1, no shadow). */
bool x86_interrupts_enabled(const struct x86_cpu *cpu);

/* Deliver an external interrupt with this vector through the IDT; clears
 * cpu->halted. Returns X86_STEP_TRIPLE_FAULT if delivery failed fatally. */
enum x86_status x86_external_interrupt(struct x86_cpu *cpu, const struct x86_env *env,
                                       uint8_t vector);

/* Put the CPU in the state the Multiboot spec promises at the kernel's entry:
 * protected mode, paging off, flat 4 GiB code and data segments, EAX/EBX. */
void x86_reset_multiboot(struct x86_cpu *cpu, uint32_t entry, uint32_t mbi_addr);

/* One decoded instruction, as much as a disassembler or a VMCS needs. */
struct x86_insn_text {
    unsigned length;                    /* bytes, 0 if the bytes do not decode */
    char     text[64];                  /* AT&T syntax, e.g. "movl %eax,%cr3" */
};

/* Decode (without executing) the instruction in bytes[0..avail) in 32-bit mode. */
void x86_disassemble(const uint8_t *bytes, unsigned avail, uint32_t eip,
                     struct x86_insn_text *out);

#endif
