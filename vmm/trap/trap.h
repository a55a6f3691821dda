/*
 * trap.h - the pieces of the trap engine and how they meet (chapters 3-4).
 *
 *   trap-stub.c     the guest's own process: its RAM, the shadow mappings,
 *                   a signal handler, a seccomp filter, nothing of ours
 *   trap-stub.h     the page it shares with the VMM
 *   trap-process.c  the VMM's side: start the stub, hand it the turn, wait
 *                   for the exit (signals are the VM exits, in the stub)
 *   trap-host.c     the host half of the shadow page table: the stub's low
 *                   4 GiB, mapped from the guest's memfd, as the shadow asks
 *   engine-trap.c   the engine: run loop, exit dispatch, emulation
 */
#ifndef VMM_TRAP_H
#define VMM_TRAP_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include <sys/types.h>

#include "shadow-mmu/shadow.h"
#include "vmm/trap/trap-stub.h"

#define TRAP_USER32_CS 0x23            /* Linux's 32-bit user code segment */
#define TRAP_USER_DS   0x2B            /* its flat data segment */
#define TRAP_HOST_CS64 0x33            /* its 64-bit code segment */

/* The guest registers a native run starts with. */
struct trap_regs {
    uint32_t gpr[8];                    /* enum x86_gpr order */
    uint32_t eip;
    uint32_t eflags;                    /* as the host CPU should run them */
};

/* The guest's process, seen from the VMM (trap-process.c). */
struct trap_stub {
    pid_t    pid;                       /* 0: not running */
    int      ctl_fd;
    struct trap_stub_ctl *ctl;          /* the shared page */
    uint32_t seen_to_vmm;               /* the stub's last hand-back we took */
    uint32_t nops;                      /* shadow changes queued in this turn */
    bool     ops_failed_now;            /* the host refused one during the last run */
    uint64_t handoffs;
};

enum trap_stub_status {
    TRAP_STUB_EXIT,                     /* the guest left: *out says why */
    TRAP_STUB_TIMEOUT,                  /* the deadline passed (the stub is stopped) */
    TRAP_STUB_GONE,                     /* the stub died or stopped answering: why */
};

/* ---- trap-process.c ---- */
/* Start the guest's process over the guest's RAM. 0, or -1 with err. */
int  trap_stub_start(struct trap_stub *s, int ram_fd, uint64_t ram_size, uint32_t min_addr,
                     unsigned tick_us, char *err, size_t errlen);
void trap_stub_stop(struct trap_stub *s);
/* Queue one change of the shadow for the stub's next turn; prot holds
 * TRAP_PROT_* bits. 0, or -1 (gone). */
int  trap_stub_queue(struct trap_stub *s, enum trap_stub_op_kind kind, uint32_t gva,
                     uint32_t gpa, uint32_t prot);
/* Enter the guest with regs and the selectors cs and ss (DS = ES = ss), and
 * wait for the exit until deadline_ns (exit_stats_now_ns() clock). */
enum trap_stub_status trap_stub_run(struct trap_stub *s, const struct trap_regs *regs,
                                    uint16_t cs, uint16_t ss, uint64_t deadline_ns,
                                    struct trap_stub_exit *out, char *why, size_t len);

/* ---- trap-host.c ---- */
/* Lowest guest-virtual address the host lets us map (vm.mmap_min_addr). */
uint32_t trap_host_min_addr(void);
/* The shadow's host operations, queued for the stub s. */
void trap_host_ops_for(struct trap_stub *s, uint64_t ram_size, struct shadow_host_ops *ops);

/* Breakpoint pages (chapter 7): the pages listed are mapped without
 * PROT_EXEC from now on (the caller has the shadow drop them first, so
 * that they are mapped anew); a fetch from one is a #PF with the I/D bit.
 * break_exec(true) makes them executable while the engine single-steps
 * there (queued for the stub's next turn); 0, or -1 if the stub is gone. */
#define TRAP_MAX_BREAK_PAGES 16
void trap_host_set_break_pages(const uint32_t *pages, unsigned n);
bool trap_host_break_page(uint32_t gva);
/* A breakpoint page that is mapped and not executable now: a fetch fault
 * there is ours, not the guest's. */
bool trap_host_break_page_noexec(uint32_t gva);
int  trap_host_break_exec(bool exec);

#endif
