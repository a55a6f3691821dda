/*
 * compute - pure user-mode integer work: the native-speed baseline
 * (chapter 8). n rounds of a mixing function with multiply, shifts,
 * division and a data-dependent branch (compute-kernel.h); prints a checksum.
 */
#include "user/compute-kernel.h"
#include "user/ulib.h"

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 1000000);
    printf("result: compute n=%u checksum=%08x\n", n, compute_checksum(n));
    return 0;
}
