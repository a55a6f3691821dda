/*
 * trap.h - the pieces of the trap engine and how they meet (chapters 3-4).
 *
 *   trap-entry.S    the doors: trap_enter (iretq into the guest) and
 *                   trap_signal_stub (back out, FS base first)
 *   trap-signals.c  signals as VM exits: the handler, the alternate stack,
 *                   the timer that interrupts a running guest
 *   trap-host.c     the host side of the shadow page table: the low 4 GiB
 *                   of our own address space, mapped from the guest's memfd
 *   trap-seccomp.c  the filter that keeps guest code from reaching Linux
 *   engine-trap.c   the engine: run loop, exit dispatch, emulation
 */
#ifndef VMM_TRAP_H
#define VMM_TRAP_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "shadow-mmu/shadow.h"

/* The guest registers trap_enter loads (layout known to trap-entry.S). */
struct trap_regs {
    uint32_t gpr[8];                    /* enum x86_gpr order */
    uint32_t eip;
    uint32_t eflags;                    /* as the host CPU should run them */
};

/* What the signal handler saw when the guest left. */
struct trap_exit_info {
    int      signal;                    /* SIGSEGV, SIGILL, SIGALRM, ... */
    unsigned trapno;                    /* the CPU's exception vector */
    uint32_t error_code;
    uint32_t fault_addr;                /* for #PF */
    uint16_t cs, ds, es, fs, gs;        /* the guest's real selectors at exit */
    struct trap_regs regs;
    uint64_t syscall_nr;                /* for SIGSYS: what the guest tried */
    uint64_t rip;                       /* the full instruction pointer */
};

/* ---- trap-entry.S ---- */
void trap_enter(const struct trap_regs *regs) __attribute__((noreturn));
void trap_signal_stub(int sig, void *info, void *ucontext);
extern uint64_t trap_host_fs_base;
extern uint8_t  trap_have_fsgsbase;

/* ---- trap-signals.c ---- */
/* Install the handlers and the alternate stack; start a timer that fires
 * every period_us while the engine runs. 0, or -1 with a message in err. */
int  trap_signals_init(unsigned period_us, char *err, size_t errlen);
void trap_signals_stop(void);
/* Run the guest from regs until it leaves; fills *exit. */
void trap_run_guest(const struct trap_regs *regs, struct trap_exit_info *exit);

/* ---- trap-host.c ---- */
/* Reserve the guest's 4 GiB window in our address space (everything but the
 * lowest pages, which Linux keeps). 0, or -1 with a message in err. */
int  trap_host_init(int memfd, uint64_t ram_size, char *err, size_t errlen);
void trap_host_destroy(void);
extern const struct shadow_host_ops trap_host_ops;
/* Lowest guest-virtual address the host lets us map (vm.mmap_min_addr). */
uint32_t trap_host_min_addr(void);

/* Breakpoint pages (chapter 7): the pages listed are mapped without
 * PROT_EXEC from now on (the caller has the shadow drop them first, so
 * that they are mapped anew); a fetch from one is a #PF with the I/D bit.
 * break_exec(true) makes them executable while the engine single-steps
 * there; 0, or -1 if mprotect failed. */
#define TRAP_MAX_BREAK_PAGES 16
void trap_host_set_break_pages(const uint32_t *pages, unsigned n);
bool trap_host_break_page(uint32_t gva);
/* A breakpoint page that is mapped and not executable now: a fetch fault
 * there is ours, not the guest's. */
bool trap_host_break_page_noexec(uint32_t gva);
int  trap_host_break_exec(bool exec);

/* ---- trap-seccomp.c ---- */
/* Refuse (with SIGSYS) every system call made from guest code: i386 system
 * calls, and x86-64 ones whose instruction pointer is below 4 GiB. */
int trap_seccomp_install(char *err, size_t errlen);

#endif
