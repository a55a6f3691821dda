/*
 * memory.h - how the executor reads and writes guest memory: segment
 * checks, then the engine's translation, page by page (chapter 2, "Memory").
 *
 * Segment-relative accesses check the segment's limit and type and form the
 * linear address; linear accesses go straight to env->translate. Accesses
 * that straddle a page are split. A page fault sets CR2 and raises #PF; an
 * address that is not RAM goes to env->mmio_read/mmio_write.
 * All return 0, or -1 with the exception recorded by x86_raise().
 */
#ifndef VMM_X86_MEMORY_H
#define VMM_X86_MEMORY_H

#include "vmm/x86/cpu.h"

/* Linear accesses. acc is X86_ACC_READ/WRITE/FETCH; the user bit is added
 * when cpu->cpl == 3 unless implicit (descriptor tables, TSS, IDT, which the
 * CPU reads with supervisor rights whatever the CPL). */
int x86_read_linear(struct x86_cpu *cpu, const struct x86_env *env, uint32_t lin,
                    void *buf, unsigned len, unsigned acc, bool implicit);
int x86_write_linear(struct x86_cpu *cpu, const struct x86_env *env, uint32_t lin,
                     const void *buf, unsigned len, bool implicit);

/* Segment-relative data accesses (the normal case for instructions). */
int x86_read_seg(struct x86_cpu *cpu, const struct x86_env *env, enum x86_sreg sreg,
                 uint32_t offset, void *buf, unsigned len);
int x86_write_seg(struct x86_cpu *cpu, const struct x86_env *env, enum x86_sreg sreg,
                  uint32_t offset, const void *buf, unsigned len);

/* Stack helpers on SS:ESP with the stack size given by SS.B (always 32-bit here). */
int x86_push32(struct x86_cpu *cpu, const struct x86_env *env, uint32_t value);
int x86_push16(struct x86_cpu *cpu, const struct x86_env *env, uint16_t value);
int x86_pop32(struct x86_cpu *cpu, const struct x86_env *env, uint32_t *value);
int x86_pop16(struct x86_cpu *cpu, const struct x86_env *env, uint16_t *value);

#endif
