/*
 * native-compute.c - the compute workload's arithmetic as a plain 32-bit
 * Linux program: bare metal, for the benchmarks (chapter 8). Built with the
 * guest's compiler flags from the guest's own source, so both run the same
 * instructions. Usage: native-compute N
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest-os/user/compute-kernel.h"

int main(int argc, char **argv)
{
    unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 1000000;
    printf("result: compute n=%u checksum=%08x\n", n, compute_checksum(n));
    return 0;
}
