/*
 * control-regs.c - the control registers (mov to/from CR0, CR2, CR3, CR4)
 * and the I/O permission check of in/out (chapter 2, "Protection";
 * chapter 3 emulates exactly these instructions when they trap).
 *
 * The vCPU is an i386 with what the i486 and Pentium added to CR0 and CR4,
 * always in protected mode: there is no real mode and no virtual-8086 mode,
 * so the bits that would enter them are refused with #GP(0).
 */
#include "vmm/x86/memory.h"
#include "vmm/x86/system.h"
#include "vmm/x86/system-internal.h"

#define CR0_NW 0x20000000u              /* not write-through (cache control) */
#define CR0_CD 0x40000000u              /* cache disable */
/* CR0 bits that exist; writes to the others are ignored (SDM vol. 3, 2.5). */
#define CR0_DEFINED (X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | \
                     X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | CR0_NW | CR0_CD | X86_CR0_PG)
/* Changing these changes how linear addresses translate. */
#define CR0_PAGING (X86_CR0_PE | X86_CR0_WP | X86_CR0_PG)

#define CR4_TSD 0x004u                  /* rdtsc only at CPL 0 */
#define CR4_DE  0x008u                  /* debug extensions */
#define CR4_MCE 0x040u                  /* machine-check enable */
#define CR4_PCE 0x100u                  /* rdpmc at any CPL */
/* The P5-era CR4 bits this vCPU implements. VME and PVI (virtual-8086 and
 * protected-mode virtual interrupts) and PAE are not: writing them is #GP(0). */
#define CR4_SUPPORTED (CR4_TSD | CR4_DE | X86_CR4_PSE | CR4_MCE | X86_CR4_PGE | CR4_PCE)
#define CR4_PAGING (X86_CR4_PSE | X86_CR4_PGE)

#define CR3_DEFINED 0xFFFFF018u         /* page-directory base, PCD, PWT */

static void flush(const struct x86_env *env)
{
    if (env->flush_tlb)
        env->flush_tlb(env->ctx);
}

/* mov to CR0: SDM vol. 2, "MOV—Move to/from Control Registers", #GP(0) if
 * PG is set without PE or NW without CD. ET is hardwired to 1 (i486+). */
static int write_cr0(struct x86_cpu *cpu, const struct x86_env *env, uint32_t value)
{
    value = (value & CR0_DEFINED) | X86_CR0_ET;
    if ((value & X86_CR0_PG) && !(value & X86_CR0_PE))
        return x86_raise(cpu, X86_GP, true, 0);
    if ((value & CR0_NW) && !(value & CR0_CD))
        return x86_raise(cpu, X86_GP, true, 0);
    if (!(value & X86_CR0_PE))          /* real mode: this vCPU has none */
        return x86_raise(cpu, X86_GP, true, 0);
    uint32_t changed = cpu->cr0 ^ value;
    cpu->cr0 = value;
    if (changed & CR0_PAGING)
        flush(env);
    return 0;
}

/* mov to CR4: setting a reserved (or here unimplemented) bit is #GP(0). */
static int write_cr4(struct x86_cpu *cpu, const struct x86_env *env, uint32_t value)
{
    if (value & ~CR4_SUPPORTED)
        return x86_raise(cpu, X86_GP, true, 0);
    uint32_t changed = cpu->cr4 ^ value;
    cpu->cr4 = value;
    if (changed & CR4_PAGING)
        flush(env);
    return 0;
}

int x86_write_cr(struct x86_cpu *cpu, const struct x86_env *env, unsigned n, uint32_t value)
{
    switch (n) {
    case 0:
        return write_cr0(cpu, env, value);
    case 2:
        cpu->cr2 = value;
        return 0;
    case 3:
        /* Every CR3 load flushes the (non-global) TLB, even of the same
         * value; that is how guests flush it on purpose. */
        cpu->cr3 = value & CR3_DEFINED;
        flush(env);
        return 0;
    case 4:
        return write_cr4(cpu, env, value);
    default:                            /* CR1, CR5-CR7 do not exist */
        return x86_raise(cpu, X86_UD, false, 0);
    }
}

int x86_read_cr(struct x86_cpu *cpu, unsigned n, uint32_t *value)
{
    switch (n) {
    case 0: *value = cpu->cr0 | X86_CR0_ET; return 0;
    case 2: *value = cpu->cr2; return 0;
    case 3: *value = cpu->cr3; return 0;
    case 4: *value = cpu->cr4; return 0;
    default: return x86_raise(cpu, X86_UD, false, 0);
    }
}

/* The I/O permission bitmap of the 32-bit TSS (SDM vol. 1, 19.5.2): its
 * offset is the 16-bit word at 0x66; one bit per port, 1 = denied. The CPU
 * reads the two bytes that hold the bits of port..port+size-1, and bits it
 * cannot read (beyond the TSS limit) deny. A TSS that cannot be read (page
 * fault) also denies: the caller then raises #GP(0), as for any denial. */
bool x86_io_allowed(struct x86_cpu *cpu, const struct x86_env *env, uint16_t port, unsigned size)
{
    struct x86_event saved = cpu->exception;
    uint32_t saved_cr2 = cpu->cr2, byte;
    uint16_t map_base, bits;
    bool ok;

    if (cpu->cpl <= (cpu->eflags & X86_FLAG_IOPL) >> 12)
        return true;
    if ((cpu->tr.attr & X86_AR_UNUSABLE) || x86_attr_codedata(cpu->tr.attr) ||
        (x86_attr_type(cpu->tr.attr) & ~X86_TYPE_WRITABLE) != X86_TYPE_TSS32 ||
        cpu->tr.limit < 0x67)
        return false;
    if (x86_read_linear(cpu, env, cpu->tr.base + 0x66, &map_base, 2, X86_ACC_READ, true))
        goto unreadable;
    byte = (uint32_t)map_base + port / 8;
    if (byte + 1 > cpu->tr.limit)
        return false;
    if (x86_read_linear(cpu, env, cpu->tr.base + byte, &bits, 2, X86_ACC_READ, true))
        goto unreadable;
    ok = ((bits >> (port % 8)) & ((1u << size) - 1)) == 0;
    return ok;

unreadable:
    cpu->exception = saved;             /* the denial, not the #PF, is what the guest sees */
    cpu->cr2 = saved_cr2;
    return false;
}
