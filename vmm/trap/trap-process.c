/*
 * trap-process.c - the VMM's side of the guest's process (chapter 3, "The
 * guest in its own process").
 *
 * The guest runs in a stub process (trap-stub.c) that holds nothing of
 * ours. This file starts it (fork, then fexecve of the stub program the
 * build embedded in us, with exactly two file descriptors: the guest's RAM
 * and the shared page), queues the shadow's changes for it, hands it the
 * turn to run the guest, and waits for the exit - with a deadline of its
 * own, so that a guest that has taken its process over cannot hang us:
 * --timeout and a dead or silent stub are noticed from outside.
 */
#define _GNU_SOURCE
#include "vmm/trap/trap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vmm/exit-stats.h"

extern const unsigned char trap_stub_elf[], trap_stub_elf_end[];   /* trap-stub-blob.S */

#define SILENCE_NS (3ull * 1000000000ull)   /* a stub that ticks every ms but says nothing */
#define VMM_SPIN   0                        /* see STUB_SPIN in trap-stub.c */
#define GRACE_NS   (50ull * 1000000ull)     /* after the deadline, before we stop waiting */

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
    return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* The child: keep the guest's RAM as fd 3 and the shared page as fd 4,
 * close everything else, die with the VMM, become the stub. */
static void __attribute__((noreturn)) become_stub(int ram_fd, int ctl_fd, int exe_fd,
                                                  pid_t vmm)
{
    int r = fcntl(ram_fd, F_DUPFD, 16), c = fcntl(ctl_fd, F_DUPFD, 16);
    int e = fcntl(exe_fd, F_DUPFD_CLOEXEC, 16);
    if (r < 0 || c < 0 || e < 0 || dup2(r, TRAP_STUB_FD_RAM) < 0 || dup2(c, TRAP_STUB_FD_CTL) < 0)
        _exit(127);
    close_range(0, TRAP_STUB_FD_RAM - 1, 0);
    close_range(TRAP_STUB_FD_CTL + 1, (unsigned)e - 1, 0);
    close_range((unsigned)e + 1, ~0u, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != vmm)               // the VMM died before we asked
        _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    char *argv[] = { "vmm-trap-stub", NULL }, *envp[] = { NULL };
    syscall(SYS_execveat, e, "", argv, envp, AT_EMPTY_PATH);
    _exit(127);
}

/* Why the stub is gone, in words; reaps it. */
static void describe_death(struct trap_stub *s, int wstatus, char *why, size_t len)
{
    if (WIFSIGNALED(wstatus))
        snprintf(why, len, "the guest's process was killed by signal %d (%s)", WTERMSIG(wstatus),
                 strsignal(WTERMSIG(wstatus)));
    else
        snprintf(why, len, "the guest's process exited with status %d", WEXITSTATUS(wstatus));
    s->pid = 0;
}

/* Wait for the stub's turn. 0, or -1 with why (and *timed_out) filled. */
static int wait_turn(struct trap_stub *s, uint64_t deadline_ns, bool *timed_out, char *why,
                     size_t len)
{
    struct trap_stub_ctl *ctl = s->ctl;
    *timed_out = false;
    for (int i = 0; i < VMM_SPIN; i++) {
        if (__atomic_load_n(&ctl->to_vmm, __ATOMIC_ACQUIRE) != s->seen_to_vmm)
            goto mine;
        __builtin_ia32_pause();
    }
    uint64_t start = exit_stats_now_ns();
    while (__atomic_load_n(&ctl->to_vmm, __ATOMIC_ACQUIRE) == s->seen_to_vmm) {
        struct timespec ts = { 0, 10 * 1000000 };
        futex(&ctl->to_vmm, FUTEX_WAIT, s->seen_to_vmm, &ts);
        if (__atomic_load_n(&ctl->to_vmm, __ATOMIC_ACQUIRE) != s->seen_to_vmm)
            break;
        int wstatus;
        if (waitpid(s->pid, &wstatus, WNOHANG) == s->pid) {
            describe_death(s, wstatus, why, len);
            return -1;
        }
        uint64_t now = exit_stats_now_ns();
        if (now > deadline_ns && now - deadline_ns > GRACE_NS) {
            *timed_out = true;
            snprintf(why, len, "timeout");
            trap_stub_stop(s);
            return -1;
        }
        if (now - start > SILENCE_NS) {
            snprintf(why, len, "the guest's process stopped answering (no exit for %llu s)",
                     (unsigned long long)(SILENCE_NS / 1000000000ull));
            trap_stub_stop(s);
            return -1;
        }
    }
mine:
    s->seen_to_vmm = __atomic_load_n(&ctl->to_vmm, __ATOMIC_ACQUIRE);
    return 0;
}

/* End our turn with cmd. */
static void hand_over(struct trap_stub *s, uint32_t cmd)
{
    s->ctl->cmd = cmd;
    s->ctl->nops = s->nops;
    s->nops = 0;
    __atomic_add_fetch(&s->ctl->to_stub, 1, __ATOMIC_RELEASE);
    futex(&s->ctl->to_stub, FUTEX_WAKE, 1, NULL);
    s->handoffs++;
}

int trap_stub_start(struct trap_stub *s, int ram_fd, uint64_t ram_size, uint32_t min_addr,
                    unsigned tick_us, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->ctl_fd = memfd_create("vmm-trap-shared-page", MFD_CLOEXEC);
    int exe_fd = memfd_create("vmm-trap-stub", MFD_CLOEXEC);
    size_t exe_len = (size_t)(trap_stub_elf_end - trap_stub_elf);
    if (s->ctl_fd < 0 || exe_fd < 0 || ftruncate(s->ctl_fd, 4096) < 0 ||
        write(exe_fd, trap_stub_elf, exe_len) != (ssize_t)exe_len) {
        snprintf(err, errlen, "cannot prepare the guest's process: %s", strerror(errno));
        goto fail;
    }
    s->ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s->ctl_fd, 0);
    if (s->ctl == MAP_FAILED) {
        s->ctl = NULL;
        snprintf(err, errlen, "cannot map the shared page: %s", strerror(errno));
        goto fail;
    }
    s->ctl->min_addr = min_addr;
    s->ctl->tick_us = tick_us;
    s->ctl->ram_size = ram_size;
    pid_t vmm = getpid();
    s->pid = fork();
    if (s->pid < 0) {
        s->pid = 0;
        snprintf(err, errlen, "cannot start the guest's process: %s", strerror(errno));
        goto fail;
    }
    if (s->pid == 0)
        become_stub(ram_fd, s->ctl_fd, exe_fd, vmm);
    close(exe_fd);
    exe_fd = -1;
    bool timed_out;
    char why[160];
    if (wait_turn(s, exit_stats_now_ns() + 5000000000ull, &timed_out, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "the guest's process did not start: %s", why);
        goto fail;
    }
    if (s->ctl->ready != 1) {
        snprintf(err, errlen, "the guest's process could not lock itself in: %s",
                 s->ctl->ready < 0 ? strerror(-s->ctl->ready) : "no answer");
        goto fail;
    }
    return 0;
fail:
    if (exe_fd >= 0)
        close(exe_fd);
    trap_stub_stop(s);
    return -1;
}

void trap_stub_stop(struct trap_stub *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    if (s->ctl) {
        munmap(s->ctl, 4096);
        s->ctl = NULL;
    }
    if (s->ctl_fd > 0) {
        close(s->ctl_fd);
        s->ctl_fd = 0;
    }
}

int trap_stub_queue(struct trap_stub *s, enum trap_stub_op_kind kind, uint32_t gva, uint32_t gpa,
                    uint32_t prot)
{
    if (!s->pid)
        return -1;
    if (kind == TRAP_OP_UNMAP_ALL)
        s->nops = 0;                    // everything before it is moot
    if (s->nops == TRAP_STUB_MAX_OPS) {
        // The page is full: let the stub catch up (it hands straight back).
        bool timed_out;
        char why[160];
        hand_over(s, TRAP_CMD_OPS);
        if (wait_turn(s, UINT64_MAX, &timed_out, why, sizeof(why)) < 0)
            return -1;
    }
    s->ctl->ops[s->nops++] = (struct trap_stub_op){ kind, gva, gpa, prot };
    return 0;
}

enum trap_stub_status trap_stub_run(struct trap_stub *s, const struct trap_regs *regs, uint16_t cs,
                                    uint16_t ss, uint64_t deadline_ns,
                                    struct trap_stub_exit *out, char *why, size_t len)
{
    if (!s->pid) {
        snprintf(why, len, "the guest's process is gone");
        return TRAP_STUB_GONE;
    }
    struct trap_stub_ctl *ctl = s->ctl;
    memcpy(ctl->gpr, regs->gpr, sizeof(ctl->gpr));
    ctl->eip = regs->eip;
    ctl->eflags = regs->eflags;
    ctl->entry_cs = cs;
    ctl->entry_ss = ss;
    uint32_t failed_before = ctl->ops_failed;
    hand_over(s, TRAP_CMD_RUN);
    bool timed_out;
    if (wait_turn(s, deadline_ns, &timed_out, why, len) < 0)
        return timed_out ? TRAP_STUB_TIMEOUT : TRAP_STUB_GONE;
    // One copy, then only the copy: the stub may be the guest's by now.
    memcpy(out, (const void *)&ctl->exit, sizeof(*out));
    s->ops_failed_now = ctl->ops_failed != failed_before;
    return TRAP_STUB_EXIT;
}
