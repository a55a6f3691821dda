/*
 * workload-oracle.c - compute on the host the result line each guest
 * workload must print, from the same arithmetic as the programs in guest-os/user/.
 *
 * The integration tests compare the guest's line, on QEMU and on every
 * engine, with this host-side computation, so a checksum is checked, not
 * merely copied from an earlier run. The other workloads' checksums are
 * recomputed here from their definitions; compute's comes from the guest's
 * own source built for the host. Usage: workload-oracle NAME N [SECTORS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-os/user/compute-kernel.h"

/* compute: the guest's own arithmetic, compiled for the host. The check is
 * then that the engine executes it as this CPU does. */
static unsigned compute(unsigned n)
{
    return compute_checksum(n);
}

static unsigned syscall_sum(unsigned n)
{
    unsigned sum = 0, init_pid = 1;     /* the workload runs as the first process */
    for (unsigned i = 0; i < n; i++)
        sum += init_pid ^ i;
    return sum;
}

static unsigned forkwait(unsigned n)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum = sum * 7 + i % 97;
    return sum;
}

static unsigned memtouch(unsigned n)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum = sum * 3 + i * 2654435761u;
    return sum;
}

static unsigned spin(unsigned n, unsigned seed)
{
    unsigned h = seed;
    for (unsigned i = 0; i < n; i++)
        h = h * 33 + i;
    return h;
}

static unsigned pgtable(unsigned n)
{
    unsigned sum = 0;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < 4; j++)
            sum = sum * 5 + (i + j);
    return sum;
}

static unsigned io(unsigned n, unsigned sectors)
{
    unsigned sum = 0;
    unsigned char buf[512];
    for (unsigned i = 0; i < n; i++) {
        unsigned sector = i % sectors;
        unsigned state = (sector + 1) * 2654435761u ^ n;
        for (int k = 0; k < 512; k++)
            buf[k] = (unsigned char)compute_xorshift(&state);
        for (int j = 0; j < 512; j += 4) {
            unsigned w;
            memcpy(&w, buf + j, 4);
            sum = sum * 31 + w;
        }
    }
    return sum;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: workload-oracle NAME N [SECTORS]\n");
        return 2;
    }
    const char *name = argv[1];
    unsigned n = (unsigned)strtoul(argv[2], NULL, 0);
    unsigned sectors = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 2048;
    if (strcmp(name, "compute") == 0)
        printf("result: compute n=%u checksum=%08x\n", n, compute(n));
    else if (strcmp(name, "syscall") == 0)
        printf("result: syscall n=%u checksum=%08x\n", n, syscall_sum(n));
    else if (strcmp(name, "forkwait") == 0)
        printf("result: forkwait n=%u checksum=%08x\n", n, forkwait(n));
    else if (strcmp(name, "memtouch") == 0)
        printf("result: memtouch n=%u checksum=%08x\n", n, memtouch(n));
    else if (strcmp(name, "ctxsw") == 0)
        printf("result: ctxsw n=%u checksum=%08x\n", n, spin(n, 5) ^ (spin(n, 7) & 0x3F));
    else if (strcmp(name, "pgtable") == 0)
        printf("result: pgtable n=%u checksum=%08x\n", n, pgtable(n));
    else if (strcmp(name, "io") == 0)
        printf("result: io n=%u sectors=%u bad=0 checksum=%08x\n", n, sectors, io(n, sectors));
    else {
        fprintf(stderr, "workload-oracle: unknown workload %s\n", name);
        return 2;
    }
    return 0;
}
