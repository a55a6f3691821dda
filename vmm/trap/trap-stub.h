/*
 * trap-stub.h - the one page the VMM and the guest's stub process share
 * (chapter 3, "The guest in its own process").
 *
 * The stub (trap-stub.c) is a tiny program of its own: it holds the guest's
 * RAM (the memfd), the shadow mappings of the low 4 GiB, a signal handler,
 * and this page. The VMM (trap-process.c) hands it work through the page
 * and waits for the next exit there. Turns are two counters used as futex
 * words: the VMM bumps to_stub when the stub may go on, the stub bumps
 * to_vmm when the VMM may. Everything the VMM reads here was written by a
 * process the guest may control: it copies it once, then checks it.
 */
#ifndef VMM_TRAP_STUB_H
#define VMM_TRAP_STUB_H

#include <stdint.h>

#define TRAP_STUB_FD_RAM 3              /* the guest's RAM, in the stub */
#define TRAP_STUB_FD_CTL 4              /* this page, in the stub */
#define TRAP_STUB_MAX_OPS 160           /* host operations queued per turn */

/* What the VMM asks when it ends its turn. */
enum trap_stub_cmd {
    TRAP_CMD_OPS = 1,                   /* run the queued operations, hand back */
    TRAP_CMD_RUN,                       /* run them, then enter the guest */
};

/* One change to the shadow (the host half of shadow-mmu/shadow.c). */
enum trap_stub_op_kind {
    TRAP_OP_MAP = 1,                    /* gva page -> gpa page of RAM */
    TRAP_OP_PROTECT,                    /* read-only or writable */
    TRAP_OP_UNMAP,                      /* inaccessible again */
    TRAP_OP_UNMAP_ALL,                  /* the whole window inaccessible */
};

/* What a MAP or PROTECT op's page allows besides reading. Pages are
   executable unless NOEXEC: i386 without PAE has no NX bit; only the
   debugger's breakpoint pages lose it (chapter 7). */
#define TRAP_PROT_WRITE  1u
#define TRAP_PROT_NOEXEC 2u

struct trap_stub_op {
    uint32_t kind, gva, gpa, prot;      /* prot: TRAP_PROT_* bits */
};

/* Why the guest stopped running: what the stub's signal handler saw. */
struct trap_stub_exit {
    int32_t  signal;                    /* SIGSEGV, SIGALRM, SIGSYS, ... */
    uint32_t trapno;                    /* the CPU's exception vector */
    uint32_t error_code;
    uint32_t pad;
    uint64_t fault_addr;                /* CR2, for #PF */
    uint64_t rip;                       /* the full instruction pointer */
    uint16_t cs, ds, es, fs, gs, ss;    /* the selectors at the exit */
    uint32_t gpr[8];                    /* enum x86_gpr order */
    uint32_t eflags;
    int32_t  syscall_nr;                /* SIGSYS: the refused system call */
    uint32_t syscall_arch;              /*   and its ABI (AUDIT_ARCH_*) */
};

struct trap_stub_ctl {
    uint32_t to_stub;                   /* futex: bumped by the VMM */
    uint32_t to_vmm;                    /* futex: bumped by the stub */
    int32_t  ready;                     /* 1 once locked down, -errno if start-up failed */
    uint32_t cpuid_faulting;            /* the stub's cpuid traps */
    /* Set by the VMM before the stub starts. */
    uint32_t min_addr;                  /* lowest page Linux lets us map */
    uint32_t tick_us;                   /* the stub's timer period */
    uint64_t ram_size;
    /* Written by the VMM in its turn. */
    uint32_t cmd;                       /* enum trap_stub_cmd */
    uint32_t nops;
    uint32_t entry_cs, entry_ss;        /* the selectors the guest runs with */
    uint32_t gpr[8];                    /* the guest's registers to enter with */
    uint32_t eip, eflags;
    /* Written by the stub in its turn. */
    uint32_t ops_failed;                /* operations the host refused */
    int32_t  op_errno;                  /*   the errno of the last one */
    struct trap_stub_exit exit;
    struct trap_stub_op ops[TRAP_STUB_MAX_OPS];
};

_Static_assert(sizeof(struct trap_stub_ctl) <= 4096, "the shared page is one page");

#endif
