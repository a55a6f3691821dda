/*
 * trap-probe.c - can this host run the trap engine at all? (chapter 3,
 * "What the host must offer").
 *
 * The trap engine runs guest code natively in 32-bit compatibility mode at
 * ring 3, entered with iretq to Linux's 32-bit user code selector (0x23).
 * Some 64-bit kernels offer no compatibility mode: built without
 * IA32_EMULATION, booted with ia32_emulation=off (Linux 6.7 and later then
 * mark the 0x23 descriptor not present), or paravirtualized kernels that
 * run 64-bit user code only. There the first entry would die with a #GP on
 * the VMM's own iretq. So before the engine starts we ask, once, in a
 * throw-away child process: iretq to 0x23 at a page holding ud2. SIGILL
 * means the CPU ran 32-bit code (the answer is yes); SIGSEGV means the
 * iretq itself faulted (no).
 */
#include "vmm/trap.h"

#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
/* In the child: jump to 32-bit code that is nothing but ud2. Never returns. */
static void __attribute__((noreturn)) probe_child(void)
{
    uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (page == MAP_FAILED)
        _exit(2);
    page[0] = 0x0F;                     /* ud2 */
    page[1] = 0x0B;
    uint64_t frame[5] = {
        (uint64_t)(uintptr_t)page,      /* rip */
        0x23,                           /* cs: 32-bit user code */
        0x2,                            /* rflags: IF clear is fine here */
        (uint64_t)(uintptr_t)page + 2048, /* rsp */
        0x2B,                           /* ss: user data */
    };
    __asm__ volatile("mov %0, %%rsp\n\tiretq" : : "r"(frame) : "memory");
    __builtin_unreachable();
}
#endif

bool trap_host_runs_32bit(char *why, size_t whylen)
{
    static int cached = -1;             /* -1 unknown, 0 no, 1 yes */
    static char cached_why[160];
#if defined(__x86_64__) && defined(__linux__)
    if (cached < 0) {
        pid_t pid = fork();
        int status = 0;
        if (pid == 0) {
            signal(SIGILL, SIG_DFL);
            signal(SIGSEGV, SIG_DFL);
            probe_child();
        }
        if (pid < 0 || waitpid(pid, &status, 0) != pid) {
            cached = 0;
            snprintf(cached_why, sizeof cached_why, "could not start the probe process");
        } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGILL) {
            cached = 1;
        } else {
            cached = 0;
            snprintf(cached_why, sizeof cached_why,
                     "this host's kernel does not run 32-bit code at ring 3 "
                     "(IA32 emulation off or not built in)");
        }
    }
#else
    cached = 0;
    snprintf(cached_why, sizeof cached_why, "the trap engine needs x86-64 Linux");
#endif
    if (!cached && why)
        snprintf(why, whylen, "%s", cached_why);
    return cached == 1;
}
