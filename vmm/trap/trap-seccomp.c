/*
 * trap-seccomp.c - keep guest code away from Linux (chapter 3, "What the
 * CPU does not stop").
 *
 * The guest runs natively in our process at host ring 3, so the CPU lets it
 * make system calls to the host kernel: `int $0x80` and `sysenter` (32-bit
 * system calls), or a far jump to the 64-bit code segment followed by
 * `syscall`. No trap-and-emulate engine on x86 can stop that by itself;
 * a seccomp filter can. Ours answers SIGSYS (the engine stops the guest with
 * a message) for:
 *   - every system call of the i386 ABI (the VMM itself is x86-64 only);
 *   - every x86-64 system call whose instruction pointer is below 4 GiB,
 *     where only guest code lives (trap-host.c reserves that window).
 * This is a seatbelt for the course's own guests, not isolation: the KVM
 * engine is the one to run a guest you do not trust (see the chapter).
 */
#define _GNU_SOURCE
#include "vmm/trap/trap.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#define DATA(field) offsetof(struct seccomp_data, field)

int trap_seccomp_install(char *err, size_t errlen)
{
    static bool installed;
    if (installed)
        return 0;                       // a filter lasts as long as the process
    struct sock_filter program[] = {
        /* i386 system call: refuse. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        /* x86-64, instruction pointer below 4 GiB (its high half is 0): refuse. */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, DATA(instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
        /* Anything else is the VMM's own: allow. */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {
        .len = sizeof(program) / sizeof(program[0]),
        .filter = program,
    };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
        snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(errno));
        return -1;
    }
    installed = true;
    return 0;
}
