/*
 * syscall.c - the system calls (chapter 1, "System calls").
 *
 * User code does `int $0x40` with the number in EAX and arguments in EBX,
 * ECX, EDX, ESI, EDI. Every pointer a program hands in is checked with
 * user_range_ok() before the kernel touches it: a bad pointer gets -1, it
 * never makes the kernel fault.
 */
#include "kernel/syscall.h"

#include "guest-os/include/ramfs.h"
#include "guest-os/include/string.h"
#include "guest-os/include/syscall.h"
#include "kernel/console.h"
#include "kernel/devices.h"
#include "kernel/nanobench.h"
#include "kernel/proc.h"
#include "kernel/x86.h"

#define MAXARG  16
#define MAXARGLEN 128
#define MAX_IO  4096

extern const char ramfs_image[], ramfs_image_end[];

/* Copy a NUL-terminated user string into buf[max]. 0, or -1 if bad/too long. */
static int fetch_string(uint32_t va, char *buf, uint32_t max)
{
    for (uint32_t i = 0; i < max; i++) {
        if (!user_range_ok(va + i, 1, false))
            return -1;
        buf[i] = *(const char *)(va + i);
        if (buf[i] == 0)
            return 0;
    }
    return -1;
}

static int sys_exit(struct trapframe *tf) { exit((int)tf->ebx); }
static int sys_fork(struct trapframe *tf) { (void)tf; return fork(); }
static int sys_getpid(struct trapframe *tf) { (void)tf; return current->pid; }
static int sys_uptime(struct trapframe *tf) { (void)tf; return (int)ticks; }
static int sys_blksize(struct trapframe *tf) { (void)tf; return vblk_capacity(); }
static int sys_poweroff(struct trapframe *tf) { poweroff((int)tf->ebx); }

static int sys_yield(struct trapframe *tf)
{
    (void)tf;
    yield();
    return 0;
}

static int sys_exec(struct trapframe *tf)
{
    static char name[RAMFS_NAME_MAX], args[MAXARG][MAXARGLEN];
    char *argv[MAXARG + 1];
    if (fetch_string(tf->ebx, name, sizeof(name)) < 0)
        return -1;
    uint32_t uargv = tf->ecx;
    int argc = 0;
    for (;; argc++) {
        uint32_t p;
        if (argc == MAXARG || !user_range_ok(uargv + 4 * (uint32_t)argc, 4, false))
            return -1;
        p = *(const uint32_t *)(uargv + 4 * (uint32_t)argc);
        if (p == 0)
            break;
        if (fetch_string(p, args[argc], MAXARGLEN) < 0)
            return -1;
        argv[argc] = args[argc];
    }
    argv[argc] = NULL;
    return exec(name, argv);
}

static int sys_wait(struct trapframe *tf)
{
    int status;
    if (tf->ebx && !user_range_ok(tf->ebx, 4, true))
        return -1;
    int pid = wait(&status);
    if (pid > 0 && tf->ebx)
        *(int *)tf->ebx = status;
    return pid;
}

static int sys_sbrk(struct trapframe *tf)
{
    uint32_t old;
    if (proc_sbrk((int)tf->ebx, &old) < 0)
        return -1;
    return (int)old;
}

static int sys_sleep(struct trapframe *tf)
{
    uint32_t start = ticks;
    while (ticks - start < tf->ebx) {
        if (current->killed)
            return -1;
        sleep((const void *)&ticks);
    }
    return 0;
}

static int sys_read(struct trapframe *tf)
{
    uint32_t n = tf->edx > MAX_IO ? MAX_IO : tf->edx;
    if (tf->ebx != 0 || !user_range_ok(tf->ecx, n, true))
        return -1;
    return n ? console_read((char *)tf->ecx, (int)n) : 0;
}

static int sys_write(struct trapframe *tf)
{
    uint32_t n = tf->edx > MAX_IO ? MAX_IO : tf->edx;
    if ((tf->ebx != 1 && tf->ebx != 2) || !user_range_ok(tf->ecx, n, false))
        return -1;
    console_write((const char *)tf->ecx, (int)n);
    return (int)n;
}

/* Move count sectors between user address va and the disk, 8 at a time. */
static int block_transfer(uint32_t sector, uint32_t va, uint32_t count, bool write, char *bounce)
{
    while (count > 0) {
        uint32_t chunk = count > 8 ? 8 : count;
        if (write)
            memcpy(bounce, (const void *)va, chunk * SECTOR_SIZE);
        if (vblk_rw(sector, bounce, chunk, write) < 0)
            return -1;
        if (!write)
            memcpy((void *)va, bounce, chunk * SECTOR_SIZE);
        sector += chunk;
        va += chunk * SECTOR_SIZE;
        count -= chunk;
    }
    return 0;
}

/* blkread/blkwrite: bounce through a kernel buffer, the device DMAs there.
 * The driver sleeps while the disk works, and another process may then come
 * here: the buffer and the device are one at a time, so a process waits for
 * them (a sleep lock; no spin lock is needed with interrupts off). */
static bool blk_busy;

static int block_io(struct trapframe *tf, bool write)
{
    static char bounce[8 * SECTOR_SIZE];
    uint32_t sector = tf->ebx, va = tf->ecx, count = tf->edx;
    if (count > 128 || !user_range_ok(va, count * SECTOR_SIZE, !write))
        return -1;
    while (blk_busy)
        sleep(&blk_busy);
    blk_busy = true;
    int result = block_transfer(sector, va, count, write, bounce);
    blk_busy = false;
    wakeup(&blk_busy);
    return result;
}

/* blkflush: returns once the device says the writes are on stable storage
 * (chapter 9, "Durable disks"). The same one-at-a-time rule as above. */
static int sys_blkflush(struct trapframe *tf)
{
    (void)tf;
    while (blk_busy)
        sleep(&blk_busy);
    blk_busy = true;
    int result = vblk_flush();
    blk_busy = false;
    wakeup(&blk_busy);
    return result;
}

static int sys_blkread(struct trapframe *tf) { return block_io(tf, false); }
static int sys_blkwrite(struct trapframe *tf) { return block_io(tf, true); }

static int sys_progs(struct trapframe *tf)
{
    uint32_t size = (uint32_t)(ramfs_image_end - ramfs_image), len = 0;
    if (!user_range_ok(tf->ebx, tf->ecx, true))
        return -1;
    char *out = (char *)tf->ebx;
    const char *name;
    for (uint32_t i = 0; (name = ramfs_name(ramfs_image, size, i)) != NULL; i++) {
        uint32_t n = strlen(name);
        if (len + n + 1 > tf->ecx)
            break;
        memcpy(out + len, name, n);
        out[len + n] = '\n';
        len += n + 1;
    }
    return (int)len;
}

/*
 * The popf demo (chapter 3, "The x86 holes"). The ONE place this kernel uses
 * popf, on purpose: with interrupts enabled, clear IF with popf, read it back
 * with pushf, and count timer interrupts taken while IF should be 0, waiting
 * up to `cycles` time-stamp-counter cycles (or until 3 ticks came). On real
 * hardware, QEMU and our interpreter, popf at CPL 0 clears IF. De-privileged
 * to ring 3 (the trap engine), popf silently ignores IF, and pushf shows the
 * host's IF: the guest kernel cannot tell, and interrupts keep coming.
 */
static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static int sys_popftest(struct trapframe *tf)
{
    struct popf_report r;
    uint32_t flags;
    if (!user_range_ok(tf->ecx, sizeof(r), true))
        return -1;
    sti();
    __asm__ volatile("pushfl; popl %0" : "=r"(flags));
    r.if_before = (flags >> 9) & 1;
    __asm__ volatile("pushfl; popl %0\n"
                     "andl $~0x200, %0\n"
                     "pushl %0; popfl\n"
                     "pushfl; popl %0" : "=r"(flags) : : "memory", "cc");
    r.if_after_popf = (flags >> 9) & 1;
    ticks_in_popf_test = 0;
    uint64_t start = rdtsc();
    while (rdtsc() - start < tf->ebx && ticks_in_popf_test < 3)
        ;
    r.ticks_masked = ticks_in_popf_test;
    cli();
    memcpy((void *)tf->ecx, &r, sizeof(r));
    return 0;
}

typedef int (*syscall_fn)(struct trapframe *);

static const syscall_fn syscalls[SYS_MAX + 1] = {
    [SYS_exit] = sys_exit,         [SYS_fork] = sys_fork,
    [SYS_exec] = sys_exec,         [SYS_wait] = sys_wait,
    [SYS_getpid] = sys_getpid,     [SYS_sbrk] = sys_sbrk,
    [SYS_sleep] = sys_sleep,       [SYS_yield] = sys_yield,
    [SYS_uptime] = sys_uptime,     [SYS_read] = sys_read,
    [SYS_write] = sys_write,       [SYS_blkread] = sys_blkread,
    [SYS_blkwrite] = sys_blkwrite, [SYS_blksize] = sys_blksize,
    [SYS_poweroff] = sys_poweroff, [SYS_progs] = sys_progs,
    [SYS_popftest] = sys_popftest, [SYS_nanobench] = sys_nanobench,
    [SYS_blkflush] = sys_blkflush,
};

void syscall_dispatch(struct trapframe *tf)
{
    uint32_t n = tf->eax;
    if (n <= SYS_MAX && syscalls[n])
        tf->eax = (uint32_t)syscalls[n](tf);
    else
        tf->eax = (uint32_t)-1;         // unknown system call: an error, not a kill
}
