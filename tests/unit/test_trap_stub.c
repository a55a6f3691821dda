/*
 * test_trap_stub.c - the trap engine's guest process (vmm/trap/trap-stub.c,
 * trap-process.c; chapter 3, "The guest in its own process"), driven
 * directly: tiny guests of 64-bit code below 4 GiB (what a guest that
 * far-jumped to the host's 64-bit segment runs, and what any x86-64 host can
 * run) enter the stub, and each exit must come back through the shared
 * page - faults, ticks, and every attempt to reach the host kernel refused.
 * Nothing here needs a 32-bit code segment, so it runs on every x86-64 host.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <linux/audit.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/exit-stats.h"
#include "vmm/trap/trap.h"

#define RAM_SIZE (1u << 20)
#define CODE_GVA 0x100000u              /* RAM page 0, mapped here */
#define DATA_GVA 0x200000u              /* not mapped until a test maps it */

struct fixture {
    int ram_fd;
    uint8_t *ram;
    struct trap_stub stub;
    struct trap_stub_exit exit;
    char why[200];
};

static int setup(void **state)
{
    static struct fixture f;
    char err[200];
    memset(&f, 0, sizeof(f));
    f.ram_fd = memfd_create("test-ram", MFD_CLOEXEC);
    assert_true(f.ram_fd >= 0);
    assert_int_equal(ftruncate(f.ram_fd, RAM_SIZE), 0);
    f.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f.ram_fd, 0);
    assert_true(f.ram != MAP_FAILED);
    if (trap_stub_start(&f.stub, f.ram_fd, RAM_SIZE, trap_host_min_addr(), 1000, err,
                        sizeof(err)) < 0)
        fail_msg("%s", err);
    assert_int_equal(trap_stub_queue(&f.stub, TRAP_OP_MAP, CODE_GVA, 0, TRAP_PROT_WRITE), 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    trap_stub_stop(&f->stub);
    munmap(f->ram, RAM_SIZE);
    close(f->ram_fd);
    return 0;
}

/* Put code at CODE_GVA and run it in 64-bit mode with eax..edi = regs. */
static enum trap_stub_status run_code(struct fixture *f, const void *code, size_t len,
                                      const uint32_t *gpr)
{
    memcpy(f->ram, code, len);
    struct trap_regs r = { .eip = CODE_GVA, .eflags = 0x202 };
    if (gpr)
        memcpy(r.gpr, gpr, sizeof(r.gpr));
    r.gpr[4] = CODE_GVA + 0x800;        // a stack inside the page
    return trap_stub_run(&f->stub, &r, TRAP_HOST_CS64, TRAP_USER_DS,
                         exit_stats_now_ns() + 5000000000ull, &f->exit, f->why, sizeof(f->why));
}

/* Run from r, going on after timer ticks (as the engine does) until another exit. */
static enum trap_stub_status rerun(struct fixture *f, struct trap_regs r)
{
    enum trap_stub_status st;
    for (int i = 0; i < 1000; i++) {
        st = trap_stub_run(&f->stub, &r, TRAP_HOST_CS64, TRAP_USER_DS, UINT64_MAX, &f->exit,
                           f->why, sizeof(f->why));
        if (st != TRAP_STUB_EXIT || f->exit.signal != SIGALRM)
            break;
        r = (struct trap_regs){ .eip = (uint32_t)f->exit.rip, .eflags = f->exit.eflags };
        memcpy(r.gpr, f->exit.gpr, sizeof(r.gpr));
    }
    return st;
}

/* run_code, going on after timer ticks (as the engine does) until another exit. */
static enum trap_stub_status run_to_exit(struct fixture *f, const void *code, size_t len,
                                         const uint32_t *gpr)
{
    enum trap_stub_status st = run_code(f, code, len, gpr);
    for (int i = 0; i < 1000 && st == TRAP_STUB_EXIT && f->exit.signal == SIGALRM; i++) {
        struct trap_regs r = { .eip = (uint32_t)f->exit.rip, .eflags = f->exit.eflags };
        memcpy(r.gpr, f->exit.gpr, sizeof(r.gpr));
        st = trap_stub_run(&f->stub, &r, TRAP_HOST_CS64, TRAP_USER_DS, UINT64_MAX, &f->exit,
                           f->why, sizeof(f->why));
    }
    return st;
}

static void test_ud2_exits_with_the_registers(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = { 0x0F, 0x0B };                  // ud2
    const uint32_t gpr[8] = { 1, 2, 3, 4, 0, 6, 7, 8 };
    assert_int_equal(run_to_exit(f, code, sizeof(code), gpr), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.signal, SIGILL);
    assert_int_equal(f->exit.trapno, 6);
    assert_int_equal(f->exit.rip, CODE_GVA);
    assert_int_equal(f->exit.cs, TRAP_HOST_CS64);
    assert_int_equal(f->exit.gpr[0], 1);
    assert_int_equal(f->exit.gpr[3], 4);
    assert_int_equal(f->exit.gpr[7], 8);
}

static void test_page_fault_then_mapping(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = {
        0x89, 0x03,                                                 // mov %eax, (%rbx)
        0x0F, 0x0B,                                                 // ud2
    };
    const uint32_t gpr[8] = { 0xCAFEF00D, 0, 0, DATA_GVA + 8 };
    assert_int_equal(run_to_exit(f, code, sizeof(code), gpr), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.signal, SIGSEGV);
    assert_int_equal(f->exit.trapno, 14);
    assert_int_equal(f->exit.fault_addr, DATA_GVA + 8);
    // Map it (RAM page 1) and run the store again: it lands in guest RAM.
    assert_int_equal(trap_stub_queue(&f->stub, TRAP_OP_MAP, DATA_GVA, 0x1000, TRAP_PROT_WRITE), 0);
    struct trap_regs r = { .eip = CODE_GVA, .eflags = 0x202 };
    memcpy(r.gpr, gpr, sizeof(r.gpr));
    r.gpr[4] = CODE_GVA + 0x800;
    assert_int_equal(rerun(f, r), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.signal, SIGILL);
    uint32_t v;
    memcpy(&v, f->ram + 0x1008, 4);
    assert_int_equal(v, 0xCAFEF00D);
    // Read-only now: the same store faults again, a write (error code bit 1).
    assert_int_equal(trap_stub_queue(&f->stub, TRAP_OP_PROTECT, DATA_GVA, 0, 0), 0);
    assert_int_equal(rerun(f, r), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.trapno, 14);
    assert_true(f->exit.error_code & 2);
    assert_int_equal(trap_stub_queue(&f->stub, TRAP_OP_UNMAP_ALL, 0, 0, 0), 0);
}

/* A page mapped TRAP_PROT_NOEXEC (a debugger's breakpoint page, chapter 7):
   a jump there faults as a fetch (#PF, error code I/D and P); protected
   executable again, the same code runs. */
static void test_a_noexec_page_faults_on_fetch(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = { 0xFF, 0xE3 };                  // jmp *%rbx
    static const uint8_t there[] = { 0x0F, 0x0B };                 // ud2
    const uint32_t gpr[8] = { 0, 0, 0, DATA_GVA };
    memcpy(f->ram + 0x1000, there, sizeof(there));
    assert_int_equal(trap_stub_queue(&f->stub, TRAP_OP_MAP, DATA_GVA, 0x1000, TRAP_PROT_NOEXEC), 0);
    assert_int_equal(run_to_exit(f, code, sizeof(code), gpr), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.trapno, 14);
    assert_int_equal(f->exit.fault_addr, DATA_GVA);
    assert_int_equal(f->exit.error_code & 0x11, 0x11);             // a fetch, from a present page
    assert_int_equal(trap_stub_queue(&f->stub, TRAP_OP_PROTECT, DATA_GVA, 0, 0), 0);
    assert_int_equal(run_to_exit(f, code, sizeof(code), gpr), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.signal, SIGILL);
    assert_int_equal(f->exit.rip, DATA_GVA);
    assert_int_equal(trap_stub_queue(&f->stub, TRAP_OP_UNMAP_ALL, 0, 0, 0), 0);
}

static void test_a_spinning_guest_is_interrupted(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = { 0xEB, 0xFE };                  // jmp .
    uint64_t t0 = exit_stats_now_ns();
    assert_int_equal(run_code(f, code, sizeof(code), NULL), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.signal, SIGALRM);
    assert_int_equal(f->exit.rip, CODE_GVA);
    assert_true(exit_stats_now_ns() - t0 < 1000000000ull);
}

static void test_the_upper_registers_hold_nothing(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = {
        0x4C, 0x89, 0xC0,                                           // mov %r8, %rax
        0x4C, 0x09, 0xC8, 0x4C, 0x09, 0xD0, 0x4C, 0x09, 0xD8,       // or %r9..%r11, %rax
        0x4C, 0x09, 0xE0, 0x4C, 0x09, 0xE8, 0x4C, 0x09, 0xF0,       // or %r12..%r14, %rax
        0x4C, 0x09, 0xF8,                                           // or %r15, %rax
        0x48, 0x89, 0xC2, 0x48, 0xC1, 0xEA, 0x20, 0x09, 0xD0,       // fold the high half in
        0x0F, 0x0B,                                                 // ud2
    };
    const uint32_t gpr[8] = { 0xFFFFFFFF };
    assert_int_equal(run_to_exit(f, code, sizeof(code), gpr), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.signal, SIGILL);
    assert_int_equal(f->exit.gpr[0], 0);
}

/* Each attempt to reach the host kernel comes back as SIGSYS (seccomp), or
 * as the #GP of a host that has no such gate at all (int $0x80 where
 * IA-32 emulation is off); never back in the guest, and the file it asked
 * for is not there. */
static void expect_refused(struct fixture *f, const uint8_t *code, size_t len, unsigned arch)
{
    unlink("stub-escape-marker");
    assert_int_equal(run_to_exit(f, code, len, NULL), TRAP_STUB_EXIT);
    assert_int_equal(access("stub-escape-marker", F_OK), -1);
    if (f->exit.signal == SIGSEGV && f->exit.trapno == 13 && arch == AUDIT_ARCH_I386)
        return;
    if (f->exit.signal != SIGSYS)
        fail_msg("signal %d, vector %u, rip 0x%llx, eax 0x%x", f->exit.signal, f->exit.trapno,
                 (unsigned long long)f->exit.rip, f->exit.gpr[0]);
    assert_int_equal(f->exit.syscall_arch, arch);
    assert_int_equal(access("stub-escape-marker", F_OK), -1);
}

static void test_raw_syscall_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t code[64] = {
        0xB8, 0x02, 0, 0, 0,                                        // mov $2, %eax (open)
        0xBF, 0x20, 0x00, 0x10, 0x00,                               // mov $path, %edi
        0xBE, 0x41, 0, 0, 0,                                        // O_WRONLY|O_CREAT
        0xBA, 0xA4, 0x01, 0, 0,                                     // 0644
        0x0F, 0x05,                                                 // syscall
        0x0F, 0x0B,
    };
    memcpy(code + 0x20, "stub-escape-marker", 19);
    expect_refused(f, code, sizeof(code), AUDIT_ARCH_X86_64);
    assert_int_equal(f->exit.syscall_nr, 2);
}

static void test_int80_is_refused(void **state)
{
    struct fixture *f = *state;
    uint8_t code[64] = {
        0xB8, 0x05, 0, 0, 0,                                        // mov $5, %eax (i386 open)
        0xBB, 0x20, 0x00, 0x10, 0x00,                               // mov $path, %ebx
        0xB9, 0x41, 0, 0, 0,
        0xBA, 0xA4, 0x01, 0, 0,
        0xCD, 0x80,                                                 // int $0x80
        0x0F, 0x0B,
    };
    memcpy(code + 0x20, "stub-escape-marker", 19);
    expect_refused(f, code, sizeof(code), AUDIT_ARCH_I386);
}

static void test_vsyscall_page_is_refused(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = {
        0x31, 0xFF, 0x31, 0xF6,                                     // gettimeofday(NULL, NULL)
        0x48, 0xC7, 0xC0, 0x00, 0x00, 0x60, 0xFF,                   // mov $0xff..600000, %rax
        0xFF, 0xD0,                                                 // call *%rax
        0x0F, 0x0B,
    };
    assert_int_equal(run_to_exit(f, code, sizeof(code), NULL), TRAP_STUB_EXIT);
    // Emulated vsyscall: refused by the filter. No vsyscall page: a fault.
    // Never a return into the guest (that would be SIGILL at the ud2).
    if (f->exit.signal != SIGSYS && f->exit.signal != SIGSEGV)
        fail_msg("signal %d, vector %u, rip 0x%llx, eax 0x%x", f->exit.signal, f->exit.trapno,
                 (unsigned long long)f->exit.rip, f->exit.gpr[0]);
}

static void test_a_jump_above_4g_is_an_exit(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = {
        0x48, 0xB8, 0, 0, 0, 0, 0, 0x7F, 0, 0,                     // movabs $0x7f0000000000, %rax
        0xFF, 0xE0,                                                 // jmp *%rax
    };
    assert_int_equal(run_to_exit(f, code, sizeof(code), NULL), TRAP_STUB_EXIT);
    assert_int_equal(f->exit.signal, SIGSEGV);
    assert_int_equal(f->exit.rip, 0x7F0000000000ull);
}

/* The guest's process holds the RAM, the shared page and itself: no file
 * descriptor but 3 and 4, nothing of the VMM's binary or its libraries. */
static void test_nothing_of_ours_in_the_stub(void **state)
{
    struct fixture *f = *state;
    char path[64], line[512];
    snprintf(path, sizeof(path), "/proc/%d/maps", (int)f->stub.pid);
    FILE *maps = fopen(path, "r");
    assert_non_null(maps);
    char self[256] = "";
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(n > 0);
    self[n] = 0;
    int lines = 0;
    while (fgets(line, sizeof(line), maps)) {
        lines++;
        if (strstr(line, "libc") || strstr(line, "[heap]") || strstr(line, self))
            fail_msg("the stub maps something of ours: %s", line);
    }
    fclose(maps);
    assert_true(lines > 0);
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)f->stub.pid);
    DIR *d = opendir(path);
    assert_non_null(d);
    int fds = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        fds++;
        assert_true(strcmp(e->d_name, "3") == 0 || strcmp(e->d_name, "4") == 0);
    }
    closedir(d);
    assert_int_equal(fds, 2);
}

static void test_a_dead_stub_is_noticed(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = { 0x0F, 0x0B };
    kill(f->stub.pid, SIGKILL);
    assert_int_equal(run_code(f, code, sizeof(code), NULL), TRAP_STUB_GONE);
    assert_non_null(strstr(f->why, "killed by signal 9"));
}

/* One exit round trip: hand the turn over, the stub enters the guest, the
 * guest's ud2 is a signal in the stub, the turn comes back. Reported, not
 * asserted (make bench-trap runs it long: TRAP_STUB_BENCH=N). */
static void test_exit_round_trip(void **state)
{
    struct fixture *f = *state;
    static const uint8_t code[] = { 0x0F, 0x0B };
    const char *env = getenv("TRAP_STUB_BENCH");
    long n = env ? atol(env) : 2000;
    memcpy(f->ram, code, sizeof(code));
    struct trap_regs r = { .eip = CODE_GVA, .eflags = 0x202 };
    uint64_t t0 = exit_stats_now_ns();
    long ticks = 0;
    for (long i = 0; i < n; i++) {
        assert_int_equal(trap_stub_run(&f->stub, &r, TRAP_HOST_CS64, TRAP_USER_DS, UINT64_MAX,
                                       &f->exit, f->why, sizeof(f->why)), TRAP_STUB_EXIT);
        ticks += f->exit.signal == SIGALRM;
    }
    double us = (double)(exit_stats_now_ns() - t0) / 1000.0 / (double)n;
    print_message("exit round trip through the guest's process: %.2f us (%ld runs, %ld ticks)\n",
                  us, n, ticks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ud2_exits_with_the_registers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_page_fault_then_mapping, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_noexec_page_faults_on_fetch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_spinning_guest_is_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_the_upper_registers_hold_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_syscall_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_int80_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vsyscall_page_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_jump_above_4g_is_an_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_of_ours_in_the_stub, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_dead_stub_is_noticed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
