/*
 * trap-signals.c - signals as VM exits (chapter 3, "Leaving the guest").
 *
 * While the guest runs natively, the only way back to the VMM is the CPU
 * raising an exception (Linux turns it into SIGSEGV, SIGILL, SIGTRAP,
 * SIGFPE or SIGBUS) or a timer signal. The handler copies the guest's
 * registers out of the signal frame and jumps back into trap_run_guest()
 * with siglongjmp, never returning into the guest through sigreturn.
 *
 * Handlers run on an alternate stack (the guest's stack is not ours) and
 * with SA_NODEFER, so leaving them by a jump needs no signal-mask repair.
 * A signal that did not come from guest code (below 4 GiB) is the
 * VMM's own: a timer tick while we run is ignored (the run loop reads the
 * clock before every entry), a fault is our bug
 * and is re-raised with the default action, so it dumps core as it should.
 */
#define _GNU_SOURCE
#include "vmm/trap/trap.h"

#include <asm/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <time.h>
#include <unistd.h>

#define USER32_CS 0x23
#define USER64_CS 0x33                  /* a guest can far-jump there: still the guest */
#define ALT_STACK_SIZE (64 * 1024)
#define HWCAP2_FSGSBASE (1u << 1)

uint64_t trap_host_fs_base;
uint8_t  trap_have_fsgsbase;

static sigjmp_buf guest_exit_jump;
static volatile sig_atomic_t in_guest;
static struct trap_exit_info *exit_out;
static timer_t tick_timer;
static bool timer_created;

static const int exit_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS, SIGALRM };
#define NSIGNALS (sizeof(exit_signals) / sizeof(exit_signals[0]))

/* What init took, so that stop gives it back (the monitor's `engine`
 * command destroys this engine and may start it again later). */
static struct sigaction saved_actions[NSIGNALS];
static bool actions_saved;
static stack_t saved_altstack;
static void *alt_stack;

static uint16_t read_ds(void) { uint16_t v; __asm__ volatile("mov %%ds, %0" : "=r"(v)); return v; }
static uint16_t read_es(void) { uint16_t v; __asm__ volatile("mov %%es, %0" : "=r"(v)); return v; }

/* Called by trap_signal_stub, FS base already restored. */
void trap_signal_handler(int sig, siginfo_t *info, void *uc_void);
void trap_signal_handler(int sig, siginfo_t *info, void *uc_void)
{
    ucontext_t *uc = uc_void;
    greg_t *g = uc->uc_mcontext.gregs;
    uint16_t cs = (uint16_t)(g[REG_CSGSFS] & 0xFFFF);

    // Ours is 64-bit code above 4 GiB (trap-host.c keeps the low 4 GiB for
    // the guest). Guest code is 32-bit code anywhere (sysenter even returns
    // it above 4 GiB), or 64-bit code below 4 GiB after a far jump to 0x33.
    uint64_t rip = (uint64_t)g[REG_RIP];
    bool from_guest = in_guest && (cs == USER32_CS || (cs == USER64_CS && rip < 0x100000000ull));
    if (!from_guest) {
        if (sig == SIGALRM)
            return;                     // a tick while we run: the loop looks at the clock anyway
        // A fault in the VMM itself: our bug. Die of it the normal way.
        signal(sig, SIG_DFL);
        return;
    }
    in_guest = 0;
    struct trap_exit_info *e = exit_out;
    e->signal = sig;
    e->trapno = (unsigned)g[REG_TRAPNO];
    e->error_code = (uint32_t)g[REG_ERR];
    e->fault_addr = (uint32_t)g[REG_CR2];
    e->ds = read_ds();                  // DS/ES are not in the signal frame: still the guest's
    e->es = read_es();
    e->cs = cs;
    e->rip = rip;
    e->gs = (uint16_t)((g[REG_CSGSFS] >> 16) & 0xFFFF);
    e->fs = (uint16_t)((g[REG_CSGSFS] >> 32) & 0xFFFF);
    e->syscall_nr = sig == SIGSYS ? (uint64_t)info->si_syscall : 0;
    static const int order[8] = { REG_RAX, REG_RCX, REG_RDX, REG_RBX,
                                  REG_RSP, REG_RBP, REG_RSI, REG_RDI };
    for (int i = 0; i < 8; i++)
        e->regs.gpr[i] = (uint32_t)g[order[i]];
    e->regs.eip = (uint32_t)g[REG_RIP];
    e->regs.eflags = (uint32_t)g[REG_EFL];
    siglongjmp(guest_exit_jump, 1);
}

/* The guest shares our CPU's floating-point control state: it may change
 * the SSE rounding mode or the x87 precision, and our C code (and printf)
 * must not inherit that. Saved before each run, restored after. */
static uint32_t host_mxcsr;
static uint16_t host_fcw;

void trap_run_guest(const struct trap_regs *regs, struct trap_exit_info *exit)
{
    exit_out = exit;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(host_mxcsr), "=m"(host_fcw));
    if (sigsetjmp(guest_exit_jump, 0) == 0) {
        in_guest = 1;
        trap_enter(regs);
    }
    // Back from the guest through the signal handler.
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(host_mxcsr), "m"(host_fcw));
}

int trap_signals_init(unsigned period_us, char *err, size_t errlen)
{
    trap_have_fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
    unsigned long fs_base;
    if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base) < 0) {
        snprintf(err, errlen, "cannot read the FS base: %m");
        return -1;
    }
    trap_host_fs_base = fs_base;

    stack_t ss = { .ss_sp = alt_stack = malloc(ALT_STACK_SIZE), .ss_size = ALT_STACK_SIZE };
    if (!ss.ss_sp || sigaltstack(&ss, &saved_altstack) < 0) {
        snprintf(err, errlen, "cannot set up the alternate signal stack: %m");
        return -1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))trap_signal_stub;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    actions_saved = true;
    for (size_t i = 0; i < NSIGNALS; i++) {
        if (sigaction(exit_signals[i], &sa, &saved_actions[i]) < 0) {
            snprintf(err, errlen, "cannot install the signal handlers: %m");
            return -1;
        }
    }

    struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGALRM };
    if (timer_create(CLOCK_MONOTONIC, &sev, &tick_timer) < 0) {
        snprintf(err, errlen, "cannot create the timer: %m");
        return -1;
    }
    timer_created = true;
    struct itimerspec its = {
        .it_interval = { .tv_sec = 0, .tv_nsec = (long)period_us * 1000 },
        .it_value = { .tv_sec = 0, .tv_nsec = (long)period_us * 1000 },
    };
    if (timer_settime(tick_timer, 0, &its, NULL) < 0) {
        snprintf(err, errlen, "cannot start the timer: %m");
        return -1;
    }
    return 0;
}

/* Give back everything init took: the timer first (so no tick finds the
 * old handler gone), then the handlers, then the alternate stack. */
void trap_signals_stop(void)
{
    if (timer_created) {
        timer_delete(tick_timer);
        timer_created = false;
    }
    signal(SIGALRM, SIG_IGN);           // a tick may still be queued
    if (actions_saved) {
        for (size_t i = 0; i < NSIGNALS; i++)
            if (exit_signals[i] != SIGALRM)
                sigaction(exit_signals[i], &saved_actions[i], NULL);
        actions_saved = false;
    }
    if (alt_stack) {
        sigaltstack(&saved_altstack, NULL);
        free(alt_stack);
        alt_stack = NULL;
    }
}
