/*
 * cpu.h - the architectural state of one i386 vCPU, and the interface
 * through which the x86 executor reaches memory, ports and time.
 *
 * This state is engine-neutral: every engine's get_state/set_state speaks it,
 * which is what lets a running guest move from one engine to another
 * (chapter 2, "The vCPU"; chapter 7, "Switching engines"). Segment access
 * rights use the VMX layout (SDM vol. 3, "Guest Register State"), so that the
 * software VMCS can show them unchanged.
 */
#ifndef VMM_X86_CPU_H
#define VMM_X86_CPU_H

#include <stdbool.h>
#include <stdint.h>

/* General registers, in the order the instruction encoding numbers them. */
enum x86_gpr { X86_EAX, X86_ECX, X86_EDX, X86_EBX, X86_ESP, X86_EBP, X86_ESI, X86_EDI };

/* Segment registers, in the order of the ModRM "sreg" field. */
enum x86_sreg { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_SREG_COUNT };

/* EFLAGS bits. */
#define X86_FLAG_CF   0x00000001u
#define X86_FLAG_FIXED 0x00000002u      /* bit 1 always reads as 1 */
#define X86_FLAG_PF   0x00000004u
#define X86_FLAG_AF   0x00000010u
#define X86_FLAG_ZF   0x00000040u
#define X86_FLAG_SF   0x00000080u
#define X86_FLAG_TF   0x00000100u
#define X86_FLAG_IF   0x00000200u
#define X86_FLAG_DF   0x00000400u
#define X86_FLAG_OF   0x00000800u
#define X86_FLAG_IOPL 0x00003000u
#define X86_FLAG_NT   0x00004000u
#define X86_FLAG_RF   0x00010000u
#define X86_FLAG_VM   0x00020000u
#define X86_FLAG_AC   0x00040000u
#define X86_FLAG_ID   0x00200000u

/* Control register bits the VMM cares about. */
#define X86_CR0_PE 0x00000001u
#define X86_CR0_MP 0x00000002u
#define X86_CR0_EM 0x00000004u
#define X86_CR0_TS 0x00000008u
#define X86_CR0_ET 0x00000010u
#define X86_CR0_NE 0x00000020u
#define X86_CR0_WP 0x00010000u
#define X86_CR0_AM 0x00040000u
#define X86_CR0_PG 0x80000000u
#define X86_CR4_PSE 0x00000010u
#define X86_CR4_PGE 0x00000080u

/* Segment access rights, VMX layout. */
#define X86_AR_TYPE_MASK 0x000Fu        /* type field of the descriptor */
#define X86_AR_S         0x0010u        /* 1 = code/data, 0 = system */
#define X86_AR_DPL_SHIFT 5
#define X86_AR_DPL_MASK  0x0060u
#define X86_AR_P         0x0080u        /* present */
#define X86_AR_AVL       0x1000u
#define X86_AR_DB        0x4000u        /* default operation size 32-bit */
#define X86_AR_G         0x8000u        /* limit in 4 KiB units */
#define X86_AR_UNUSABLE  0x10000u       /* null selector loaded */

/* Exception vectors. */
enum x86_vector {
    X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OF = 4, X86_BR = 5,
    X86_UD = 6, X86_NM = 7, X86_DF = 8, X86_TS = 10, X86_NP = 11, X86_SS_FAULT = 12,
    X86_GP = 13, X86_PF = 14, X86_MF = 16, X86_AC = 17,
};

/* A segment register: the visible selector and the hidden descriptor cache. */
struct x86_segment {
    uint16_t selector;
    uint32_t base;
    uint32_t limit;                     /* in bytes: already scaled by G */
    uint32_t attr;                      /* access rights, VMX layout */
};

/* GDTR and IDTR. */
struct x86_dtable {
    uint32_t base;
    uint16_t limit;
};

/* An event waiting to be delivered through the IDT. */
struct x86_event {
    bool     pending;
    uint8_t  vector;
    bool     has_error;
    uint32_t error;
};

struct x86_cpu {
    uint32_t gpr[8];                    /* indexed by enum x86_gpr */
    uint32_t eip;
    uint32_t eflags;
    uint32_t cr0, cr2, cr3, cr4;
    struct x86_segment seg[X86_SREG_COUNT];
    struct x86_segment ldtr, tr;
    struct x86_dtable gdtr, idtr;
    uint8_t  cpl;                       /* current privilege level, 0..3 */
    bool     halted;                    /* executed hlt, waiting for an interrupt */
    bool     interrupt_shadow;          /* sti / mov ss: no interrupt before the next instruction */
    struct x86_event exception;         /* raised during the current instruction */
    uint64_t instructions;              /* retired instructions */
};

/* Kinds of memory access, passed to x86_env.translate. */
#define X86_ACC_READ   0u
#define X86_ACC_WRITE  1u
#define X86_ACC_FETCH  2u
#define X86_ACC_USER   4u               /* CPL 3 access (not an implicit supervisor one) */

/* Why a translation gave no host pointer. */
struct x86_xlate_fault {
    bool     page_fault;                /* true: raise #PF with error_code, CR2 = the address */
    uint32_t error_code;
    uint32_t gpa;                       /* when !page_fault: the guest-physical address, not RAM (MMIO) */
};

/*
 * What the executor needs from an engine. The interp engine answers from its
 * software MMU and the device bus; the trap engine from the shadow and the
 * same bus. All callbacks get env->ctx.
 */
struct x86_env {
    void *ctx;
    /* Host pointer to the byte at linear address lin for an access of kind acc
     * (X86_ACC_*), valid up to the end of its 4 KiB page; or NULL with *f filled. */
    uint8_t *(*translate)(void *ctx, uint32_t lin, unsigned acc, struct x86_xlate_fault *f);
    uint32_t (*mmio_read)(void *ctx, uint32_t gpa, unsigned size);
    void     (*mmio_write)(void *ctx, uint32_t gpa, unsigned size, uint32_t value);
    uint32_t (*io_in)(void *ctx, uint16_t port, unsigned size);
    void     (*io_out)(void *ctx, uint16_t port, unsigned size, uint32_t value);
    /* CR0.PG/WP, CR3 or CR4 changed: drop every cached translation. */
    void     (*flush_tlb)(void *ctx);
    /* invlpg: drop the translation of one page. */
    void     (*invlpg)(void *ctx, uint32_t lin);
    uint64_t (*rdtsc)(void *ctx);
    /* Optional (NULL: none): a data access of len bytes at lin retired
     * its memory part - the debugger's watchpoints (chapter 7). */
    void     (*watch)(void *ctx, uint32_t lin, unsigned len, bool write);
};

/* What x86_step reports back to the engine's loop. */
enum x86_status {
    X86_STEP_OK,                        /* one instruction retired (or an event delivered) */
    X86_STEP_HALT,                      /* hlt executed: cpu->halted is set */
    X86_STEP_TRIPLE_FAULT,              /* an exception while delivering a double fault */
};

#endif
