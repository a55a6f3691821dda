/*
 * trap-stub.c - the guest's own process (chapter 3, "The guest in its own
 * process").
 *
 * Guest code runs natively at host ring 3, and nothing on x86 stops ring-3
 * code from far-jumping to Linux's 64-bit code segment and reaching every
 * byte of its process. So the guest does not run in the VMM's process but
 * in this one: a freestanding program of a few KiB (no C library; built by
 * vmm/vmm.mk, embedded in the VMM, started with fexecve) that holds only
 *   - the guest's RAM (file descriptor 3) mapped at guest-virtual addresses
 *     in the low 4 GiB: the shadow page table, as the VMM asks;
 *   - the page it shares with the VMM (descriptor 4, trap-stub.h);
 *   - its own code, stack and signal handler;
 * and a seccomp filter that lets through only the system calls this file
 * makes, from its one `syscall` instruction, on its own memory. A guest
 * that takes the process over can hurt nobody but itself: what it writes
 * in the shared page the VMM checks, and everything else is refused.
 *
 * The loop: the VMM ends its turn (a counter and a futex in the shared
 * page); we apply the queued shadow changes and iretq into the guest. The
 * guest leaves only by a signal (a fault, or our timer's tick); the handler
 * writes what it saw into the shared page, hands the turn back and waits.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/sigcontext.h>
#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>

#include "vmm/trap/trap-stub.h"

#define SIGILL  4
#define SIGTRAP 5
#define SIGBUS  7
#define SIGFPE  8
#define SIGSEGV 11
#define SIGALRM 14
#define SIGSYS  31
#define SA_SIGINFO  0x00000004
#define SA_ONSTACK  0x08000000
#define SA_RESTORER 0x04000000
#define SA_NODEFER  0x40000000
#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4
#define MAP_SHARED    0x01
#define MAP_PRIVATE   0x02
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define MAP_FIXED_NOREPLACE 0x100000
#define ITIMER_REAL 0
#define PR_SET_NO_NEW_PRIVS 38
#define ARCH_SET_CPUID 0x1012
#define HOST_CS64 0x33
#define WINDOW_END 0x100000000ul
#define ALT_STACK_SIZE 16384
/* How long to spin for the VMM's answer before sleeping on the futex.
 * Spinning pays only where the VMM has a core of its own: on a busy
 * 2-core host it kept the VMM off the core and cost 120 us a hop. */
#define STUB_SPIN 0

/* The one door to the kernel (the filter allows no other), and the signal
 * restorer, which goes through the same door. */
long stub_syscall(long nr, long a, long b, long c, long d, long e, long f)
    __attribute__((visibility("hidden")));
void stub_restorer(void) __attribute__((visibility("hidden")));
extern const char stub_syscall_ret[] __attribute__((visibility("hidden")));
/* iretq into the guest; regs: gpr[8], eip, eflags, cs, ss. */
void stub_enter(const uint32_t *regs) __attribute__((visibility("hidden"), noreturn));
extern const char __executable_start[] __attribute__((visibility("hidden")));
extern const char __etext[] __attribute__((visibility("hidden")));

__asm__(
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "    xor %ebp, %ebp\n"
    "    and $-16, %rsp\n"
    "    call stub_main\n"
    "    ud2\n"
    ".globl stub_syscall\n"
    "stub_syscall:\n"
    "    mov %rdi, %rax\n"
    "    mov %rsi, %rdi\n"
    "    mov %rdx, %rsi\n"
    "    mov %rcx, %rdx\n"
    "    mov %r8, %r10\n"
    "    mov %r9, %r8\n"
    "    mov 8(%rsp), %r9\n"
    "stub_syscall_insn:\n"
    "    syscall\n"
    ".globl stub_syscall_ret\n"
    "stub_syscall_ret:\n"
    "    ret\n"
    ".globl stub_restorer\n"
    "stub_restorer:\n"
    "    mov $15, %eax\n"                   /* rt_sigreturn */
    "    jmp stub_syscall_insn\n"
    ".globl stub_enter\n"
    "stub_enter:\n"
    "    mov 44(%rdi), %eax\n"              /* SS */
    "    push %rax\n"
    "    mov 16(%rdi), %eax\n"              /* ESP, zero-extended */
    "    push %rax\n"
    "    mov 36(%rdi), %eax\n"              /* EFLAGS */
    "    push %rax\n"
    "    mov 40(%rdi), %eax\n"              /* CS */
    "    push %rax\n"
    "    mov 32(%rdi), %eax\n"              /* EIP */
    "    push %rax\n"
    "    mov 44(%rdi), %eax\n"              /* DS = ES = SS: a flat data segment */
    "    mov %ax, %ds\n"
    "    mov %ax, %es\n"
    "    xor %eax, %eax\n"                  /* FS = GS = null: every access through */
    "    mov %ax, %fs\n"                    /* them traps, and the VMM emulates it */
    "    mov %ax, %gs\n"                    /* with the guest's own segment */
    "    xor %r8d, %r8d\n"                  /* nothing of ours in the upper registers */
    "    xor %r9d, %r9d\n"
    "    xor %r10d, %r10d\n"
    "    xor %r11d, %r11d\n"
    "    xor %r12d, %r12d\n"
    "    xor %r13d, %r13d\n"
    "    xor %r14d, %r14d\n"
    "    xor %r15d, %r15d\n"
    "    mov 0(%rdi), %eax\n"
    "    mov 4(%rdi), %ecx\n"
    "    mov 8(%rdi), %edx\n"
    "    mov 12(%rdi), %ebx\n"
    "    mov 20(%rdi), %ebp\n"
    "    mov 24(%rdi), %esi\n"
    "    mov 28(%rdi), %edi\n"
    "    iretq\n"
    ".globl stub_enter_end\n"
    "stub_enter_end:\n");


struct kucontext {                      /* the kernel's struct ucontext, x86-64 */
    unsigned long uc_flags;
    void *uc_link;
    struct { void *sp; int flags; unsigned long size; } uc_stack;
    struct sigcontext mc;
};

struct ksiginfo {                       /* the parts of siginfo we read */
    int signo, errno_, code, pad;
    void *call_addr;                    /* SIGSYS: _sigsys */
    int syscall;
    unsigned arch;
};

struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static struct trap_stub_ctl *ctl;
static uint32_t min_addr;
static uint32_t seen_to_stub;
static char alt_stack[ALT_STACK_SIZE] __attribute__((aligned(16)));

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
    return stub_syscall(nr, a, b, c, d, e, f);
}

/* ---- turns ---- */

static void hand_back(void)
{
    __atomic_add_fetch(&ctl->to_vmm, 1, __ATOMIC_RELEASE);
    sys(__NR_futex, (long)&ctl->to_vmm, FUTEX_WAKE, 1, 0, 0, 0);
}

/* Wait until the VMM ends its turn (spinning STUB_SPIN times first). */
static void wait_turn(void)
{
    for (int i = 0; i < STUB_SPIN; i++) {
        if (__atomic_load_n(&ctl->to_stub, __ATOMIC_ACQUIRE) != seen_to_stub)
            goto mine;
        __builtin_ia32_pause();
    }
    while (__atomic_load_n(&ctl->to_stub, __ATOMIC_ACQUIRE) == seen_to_stub)
        sys(__NR_futex, (long)&ctl->to_stub, FUTEX_WAIT, seen_to_stub, 0, 0, 0);
mine:
    seen_to_stub = __atomic_load_n(&ctl->to_stub, __ATOMIC_ACQUIRE);
}

/* ---- the shadow: the VMM's queued changes ---- */

static long reserve(uint64_t start, uint64_t len, int extra)
{
    return sys(__NR_mmap, (long)start, (long)len, PROT_NONE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | extra, -1, 0);
}

static void run_ops(void)
{
    uint32_t n = ctl->nops;
    if (n > TRAP_STUB_MAX_OPS)
        n = TRAP_STUB_MAX_OPS;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t kind = ctl->ops[i].kind, gva = ctl->ops[i].gva & ~0xFFFu;
        uint32_t gpa = ctl->ops[i].gpa & ~0xFFFu;
        uint32_t want = ctl->ops[i].prot;
        int prot = PROT_READ | ((want & TRAP_PROT_NOEXEC) ? 0 : PROT_EXEC) |
                   ((want & TRAP_PROT_WRITE) ? PROT_WRITE : 0);
        long r = 0;
        if (kind != TRAP_OP_UNMAP_ALL && gva < min_addr)
            r = -22;                    // EINVAL: Linux keeps the lowest pages
        else if (kind == TRAP_OP_MAP)
            r = sys(__NR_mmap, gva, 4096, prot, MAP_SHARED | MAP_FIXED, TRAP_STUB_FD_RAM, gpa);
        else if (kind == TRAP_OP_PROTECT)
            r = sys(__NR_mprotect, gva, 4096, prot, 0, 0, 0);
        else if (kind == TRAP_OP_UNMAP)
            r = reserve(gva, 4096, MAP_FIXED);
        else if (kind == TRAP_OP_UNMAP_ALL)
            r = reserve(min_addr, WINDOW_END - min_addr, MAP_FIXED);
        if (r < 0 && r > -4096) {
            ctl->ops_failed++;
            ctl->op_errno = (int32_t)-r;
        }
    }
    ctl->nops = 0;
}

/* Serve the VMM until it says run, then enter the guest. */
static void __attribute__((noreturn)) serve(void)
{
    for (;;) {
        wait_turn();
        run_ops();
        if (ctl->cmd == TRAP_CMD_RUN) {
            uint32_t regs[12];
            for (int i = 0; i < 8; i++)
                regs[i] = ctl->gpr[i];
            regs[8] = ctl->eip;
            regs[9] = ctl->eflags;
            regs[10] = ctl->entry_cs;
            regs[11] = ctl->entry_ss;
            stub_enter(regs);
        }
        hand_back();
    }
}

/* ---- exits ---- */

static void handler(int sig, struct ksiginfo *info, struct kucontext *uc)
{
    struct sigcontext *m = &uc->mc;
    // Our own code runs at 0x33 above 4 GiB. A tick there (while we wait,
    // or just before the iretq) is nothing: the guest gets the next one.
    bool ours = m->cs == HOST_CS64 && m->rip >= (uint64_t)__executable_start &&
                m->rip < (uint64_t)__etext;
    if (ours && sig == SIGALRM)
        return;
    struct trap_stub_exit *e = &ctl->exit;
    uint16_t ds, es;
    __asm__ volatile("mov %%ds, %0\n\tmov %%es, %1" : "=r"(ds), "=r"(es));
    e->signal = sig;
    e->trapno = (uint32_t)m->trapno;
    e->error_code = (uint32_t)m->err;
    e->fault_addr = m->cr2;
    e->rip = m->rip;
    e->cs = m->cs;
    e->ss = m->ss;
    e->ds = ds;                         // DS/ES are not in the frame: still the guest's
    e->es = es;
    e->fs = m->fs;
    e->gs = m->gs;
    e->gpr[0] = (uint32_t)m->rax;
    e->gpr[1] = (uint32_t)m->rcx;
    e->gpr[2] = (uint32_t)m->rdx;
    e->gpr[3] = (uint32_t)m->rbx;
    e->gpr[4] = (uint32_t)m->rsp;
    e->gpr[5] = (uint32_t)m->rbp;
    e->gpr[6] = (uint32_t)m->rsi;
    e->gpr[7] = (uint32_t)m->rdi;
    e->eflags = (uint32_t)m->eflags;
    e->syscall_nr = sig == SIGSYS ? info->syscall : -1;
    e->syscall_arch = sig == SIGSYS ? info->arch : 0;
    hand_back();
    serve();                            // leaves the handler by iretq, not sigreturn
}

/* ---- start-up: lock ourselves in, then serve ---- */

static int install_filter(void)
{
    uint64_t door = (uint64_t)stub_syscall_ret, page = (uint64_t)ctl;
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
    struct sock_filter prog[] = {
        /*  0 */ LD(offsetof(struct seccomp_data, arch)),
        /*  1 */ JEQ(AUDIT_ARCH_X86_64, 0, 19),                 // i386 ABI: refuse
        /*  2 */ LD(offsetof(struct seccomp_data, instruction_pointer) + 4),
        /*  3 */ JEQ((uint32_t)(door >> 32), 0, 17),            // not from our door: refuse
        /*  4 */ LD(offsetof(struct seccomp_data, instruction_pointer)),
        /*  5 */ JEQ((uint32_t)door, 0, 15),
        /*  6 */ LD(offsetof(struct seccomp_data, nr)),
        /*  7 */ JEQ(__NR_futex, 4, 0),
        /*  8 */ JEQ(__NR_mmap, 8, 0),
        /*  9 */ JEQ(__NR_mprotect, 7, 0),
        /* 10 */ JEQ(__NR_rt_sigreturn, 11, 0),
        /* 11 */ JEQ(__NR_exit_group, 10, 9),
        /* 12 */ LD(ARG_HI(0)),                                 // futex: on the shared page only
        /* 13 */ JEQ((uint32_t)(page >> 32), 0, 7),
        /* 14 */ LD(ARG_LO(0)),
        /* 15 */ BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xFFFFF000u),
        /* 16 */ JEQ((uint32_t)page, 5, 4),
        /* 17 */ LD(ARG_HI(0)),                                 // mmap, mprotect: below 4 GiB,
        /* 18 */ JEQ(0, 0, 2),                                  //   less than 4 GiB long
        /* 19 */ LD(ARG_HI(1)),
        /* 20 */ JEQ(0, 1, 0),
        /* 21 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        /* 22 */ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog fprog = { .len = sizeof(prog) / sizeof(prog[0]), .filter = prog };
    long r = sys(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
    if (r < 0)
        return (int)r;
    return (int)sys(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&fprog, 0, 0, 0);
}

static void __attribute__((noreturn)) fail(long r)
{
    ctl->ready = (int32_t)r;
    hand_back();
    sys(__NR_exit_group, 1, 0, 0, 0, 0, 0);
    __builtin_unreachable();
}

void stub_main(void) __attribute__((noreturn, used));
void stub_main(void)
{
    long r = sys(__NR_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, TRAP_STUB_FD_CTL, 0);
    if (r < 0 && r > -4096)
        sys(__NR_exit_group, 2, 0, 0, 0, 0, 0);
    ctl = (struct trap_stub_ctl *)r;
    min_addr = (ctl->min_addr + 4095) & ~4095u;

    // The guest's 4 GiB window: inaccessible until the shadow fills it.
    r = reserve(min_addr, WINDOW_END - min_addr, MAP_FIXED_NOREPLACE);
    if (r != (long)min_addr)
        fail(r < 0 ? r : -17);

    struct { void *sp; int flags; unsigned long size; } ss = { alt_stack, 0, ALT_STACK_SIZE };
    if ((r = sys(__NR_sigaltstack, (long)&ss, 0, 0, 0, 0, 0)) < 0)
        fail(r);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS, SIGALRM };
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct ksigaction sa = {
            .handler = (void *)handler,
            .flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTORER,
            .restorer = (void *)stub_restorer,
            .mask = 0,
        };
        if ((r = sys(__NR_rt_sigaction, sigs[i], (long)&sa, 0, 8, 0, 0)) < 0)
            fail(r);
    }
    struct { long isec, iusec, vsec, vusec; } it = { 0, ctl->tick_us, 0, ctl->tick_us };
    if ((r = sys(__NR_setitimer, ITIMER_REAL, (long)&it, 0, 0, 0, 0)) < 0)
        fail(r);
    // cpuid is not privileged; where the host offers CPUID faulting it traps
    // here and the VMM answers with the virtual CPU (chapter 3, "The x86 holes").
    ctl->cpuid_faulting = sys(__NR_arch_prctl, ARCH_SET_CPUID, 0, 0, 0, 0, 0) == 0;
    if ((r = install_filter()) < 0)
        fail(r);
    ctl->ready = 1;
    seen_to_stub = __atomic_load_n(&ctl->to_stub, __ATOMIC_ACQUIRE);
    hand_back();
    serve();
}
