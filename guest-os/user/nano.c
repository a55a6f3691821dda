/*
 * nano - one operation n times, for the nanobenchmarks of chapter
 * 08-shadow-vs-ept.md: `nano op=NAME n=COUNT`. The host harness boots the
 * guest with n and with 2n and takes (T(2n) - T(n)) / n, so boot and
 * power-off cancel and what is left is the cost of one operation.
 *
 *   syscall  a system call round trip (getpid)
 *   callret  a call and a return (the native-speed control)
 *   pgfault  a first touch of a heap page, filled by the kernel on demand
 *   pio      inb from an unassigned port            \
 *   clisti   cli; sti in the kernel                  |
 *   cr3      a CR3 load of the same directory        | one nanobench
 *   ptemod   change a PTE, invlpg, read through it   | system call
 *   divzero  a divide error taken by the kernel     /
 *
 * Adams & Agesen (ASPLOS 2006) measured the same kinds of operations.
 */
#include "user/ulib.h"

#define PAGE  4096
#define CHUNK 256                       /* pgfault: pages per sbrk */

/* One call and one return; the asm keeps the compiler from inlining it
 * away or folding the loop. */
__attribute__((noinline)) static unsigned step(unsigned x)
{
    __asm__ volatile("" : "+r"(x));
    return x * 3 + 1;
}

/* n first touches of fresh heap pages, CHUNK at a time so that memory
 * stays bounded; the sbrk calls are 2 per CHUNK faults. */
static int page_faults(unsigned n, unsigned *sum)
{
    while (n > 0) {
        unsigned pages = n < CHUNK ? n : CHUNK;
        char *p = sbrk((int)(pages * PAGE));
        if (p == (char *)-1)
            return -1;
        for (unsigned i = 0; i < pages; i++) {
            p[i * PAGE] = (char)i;
            *sum += (unsigned char)p[i * PAGE];
        }
        sbrk(-(int)(pages * PAGE));
        n -= pages;
    }
    return 0;
}

static const struct { const char *name; int op; } kernel_ops[] = {
    { "pio", NANO_PIO },       { "clisti", NANO_CLISTI }, { "cr3", NANO_CR3 },
    { "ptemod", NANO_PTEMOD }, { "divzero", NANO_DIVZERO },
};

/* A page of our own for ptemod: the kernel swaps the frame under it. */
static char ptemod_page[PAGE] __attribute__((aligned(PAGE)));

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 10000), sum = 0;
    const char *op = "syscall";
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "op=", 3) == 0)
            op = argv[i] + 3;

    if (strcmp(op, "syscall") == 0) {
        for (unsigned i = 0; i < n; i++)
            sum += (unsigned)getpid() ^ i;
    } else if (strcmp(op, "callret") == 0) {
        for (unsigned i = 0; i < n; i++)
            sum = step(sum);
    } else if (strcmp(op, "pgfault") == 0) {
        if (page_faults(n, &sum) < 0) {
            printf("nano: cannot grow the heap\n");
            return 1;
        }
    } else {
        unsigned k = 0;
        while (k < sizeof(kernel_ops) / sizeof(kernel_ops[0]) && strcmp(op, kernel_ops[k].name))
            k++;
        if (k == sizeof(kernel_ops) / sizeof(kernel_ops[0])) {
            printf("nano: unknown op '%s' (syscall callret pgfault pio clisti cr3 ptemod divzero)\n",
                   op);
            return 2;
        }
        ptemod_page[0] = 0;             // mapped and present before the kernel looks
        int r = nanobench(kernel_ops[k].op, n, ptemod_page);
        if (r < 0) {
            printf("nano: %s failed\n", op);
            return 1;
        }
        sum = (unsigned)r;
    }
    printf("result: nano op=%s n=%u checksum=%08x\n", op, n, sum);
    return 0;
}
