/*
 * syscall.h - system call numbers, shared by the kernel and user programs.
 *
 * A user program puts the number in EAX and up to five arguments in EBX,
 * ECX, EDX, ESI and EDI, then executes `int $0x40`; the result comes back in
 * EAX (negative means error). Chapter 1, "System calls", says why the vector
 * is 0x40 and not Linux's 0x80.
 */
#ifndef GUEST_SYSCALL_H
#define GUEST_SYSCALL_H

#define T_SYSCALL     0x40      /* the interrupt vector of system calls */

#define SYS_exit       1        /* exit(status) */
#define SYS_fork       2        /* fork() -> child pid / 0 */
#define SYS_exec       3        /* exec(name, argv) -> only on error */
#define SYS_wait       4        /* wait(&status) -> pid of a dead child */
#define SYS_getpid     5
#define SYS_sbrk       6        /* sbrk(delta) -> old break */
#define SYS_sleep      7        /* sleep(ticks) */
#define SYS_yield      8
#define SYS_uptime     9        /* ticks since boot (100 Hz) */
#define SYS_read      10        /* read(fd 0, buf, n): serial console */
#define SYS_write     11        /* write(fd 1 or 2, buf, n): serial console */
#define SYS_blkread   12        /* blkread(sector, buf, count) */
#define SYS_blkwrite  13        /* blkwrite(sector, buf, count) */
#define SYS_blksize   14        /* blksize() -> sectors on the disk, or -1 */
#define SYS_poweroff  15        /* poweroff(code) */
#define SYS_progs     16        /* progs(buf, n): names of the programs, '\n' separated */
#define SYS_popftest  17        /* popftest(cycles, &report): the popf demo, in the kernel */
#define SYS_nanobench 18        /* nanobench(op, n, va): a privileged op n times (chapter 8) */
#define SYS_blkflush  19        /* blkflush(): written sectors reach stable storage */
#define SYS_MAX       19

/* The operations of nanobench: what user code cannot do itself. */
#define NANO_CLISTI    1        /* cli; sti */
#define NANO_PIO       2        /* inb from an unassigned port */
#define NANO_CR3       3        /* reload CR3 (a context switch's MMU half) */
#define NANO_PTEMOD    4        /* change the PTE of user page va, invlpg, read va */
#define NANO_DIVZERO   5        /* a divide error, taken and resumed in the kernel */

#define SECTOR_SIZE   512

#ifndef __ASSEMBLER__
/* What the kernel reports back for the popf demo (see user/popf.c). */
struct popf_report {
    unsigned if_before;         /* IF as pushf shows it after sti */
    unsigned if_after_popf;     /* IF as pushf shows it after popf cleared it */
    unsigned ticks_masked;      /* timer ticks handled while IF was meant to be 0 */
};
#endif

#endif
