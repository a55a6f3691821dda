/*
 * selftest - exercise every system call and the kernel's fault paths
 * (chapter 1). Children that misbehave (bad pointer, divide by zero, a
 * privileged instruction) must be killed alone, with a message, while the
 * rest goes on; bad arguments must get an error return. n = rounds.
 */
#include "user/ulib.h"

static unsigned passed, failed;

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("selftest: FAILED: %s\n", what);
    }
}

/* Run fn in a child; return the child's exit status. */
static int in_child(void (*fn)(void))
{
    int pid = fork();
    if (pid == 0) {
        fn();
        exit(0);
    }
    int status = 12345;
    if (pid < 0 || wait(&status) != pid)
        return 12345;
    return status;
}

static void null_write(void) { *(volatile int *)0x1000 = 1; }
static void kernel_write(void) { *(volatile int *)0xC0100000 = 1; }
static void divide(void)
{
    unsigned q, zero = 0;
    // Written in assembly: the compiler may turn a C division by a known
    // divisor into something that does not divide.
    __asm__ volatile("divl %2" : "=a"(q) : "a"(100), "r"(zero), "d"(0));
    printf("%u\n", q);
}
static void privileged(void) { __asm__ volatile("cli"); }
static void exec_hello(void)
{
    char *argv[] = { "hello", "from", "selftest", 0 };
    exec("hello", argv);
    exit(77);                           // only if exec failed
}

static void round_of_checks(void)
{
    char buf[600];
    check(getpid() > 0, "getpid");
    check(write(1, "selftest: write\n", 16) == 16, "write");
    check(syscall5(999, 0, 0, 0, 0, 0) == -1, "unknown system call returns -1");
    check(syscall5(0, 0, 0, 0, 0, 0) == -1, "system call 0 returns -1");
    check(write(1, (void *)0x1000, 4) == -1, "write from an unmapped address");
    check(write(1, (void *)0xC0100000, 4) == -1, "write from a kernel address");
    check(write(1, (void *)0x6FFFFFFF, 4) == -1, "write past the top of user space");
    check(write(7, "x", 1) == -1, "write to a bad fd");
    check(read(1, buf, 1) == -1, "read from a bad fd");
    check(read(0, (void *)0xC0000000, 1) == -1, "read into a kernel address");
    check(wait((int *)0xC0000000) == -1, "wait with a kernel pointer");

    char *heap = sbrk(0);
    check(sbrk(3 * 4096) == heap, "sbrk grows");
    check(heap[5000] == 0, "fresh heap pages read as zero");
    heap[5000] = 42;
    check(heap[5000] == 42, "heap pages keep what is written");
    check(sbrk(-3 * 4096) == heap + 3 * 4096, "sbrk shrinks");
    check(sbrk(0x7FFFFFFF) == (char *)-1, "sbrk beyond user space fails");

    check(in_child(null_write) == -1, "a bad user write kills the child");
    check(in_child(kernel_write) == -1, "a user write to the kernel kills the child");
    check(in_child(divide) == -1, "divide by zero kills the child");
    check(in_child(privileged) == -1, "cli in user mode kills the child");
    check(in_child(exec_hello) == 0, "exec of hello");
    check(exec("no-such-program", (char *[]){ "x", 0 }) == -1, "exec of a missing program");
    check(exec("hello", (char **)0xC0000000) == -1, "exec with a kernel argv");
    check(wait(0) == -1, "wait without children");

    int t0 = uptime();
    check(sleep(2) == 0 && uptime() - t0 >= 2, "sleep 2 ticks");
    check(yield() == 0, "yield");

    int n = progs(buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = 0;
    check(n > 0 && strncmp(buf, "", 1) != 0, "progs lists programs");
    check(progs((char *)0xC0000000, 10) == -1, "progs into a kernel address");

    int sectors = blksize();
    if (sectors > 0) {
        check(blkread(0, buf, 1) == 0, "blkread sector 0");
        check(blkread((unsigned)sectors, buf, 1) == -1, "blkread past the end");
        check(blkread(0, (void *)0xC0000000, 1) == -1, "blkread into a kernel address");
        check(blkwrite(0, buf, 1) == 0, "blkwrite sector 0 back");
    }
}

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 1);
    for (unsigned i = 0; i < n; i++)
        round_of_checks();
    printf("result: selftest n=%u passed=%u failed=%u\n", n, passed, failed);
    return failed ? 1 : 0;
}
