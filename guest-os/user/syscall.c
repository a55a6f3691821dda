/*
 * syscall - n system call round trips (getpid): guest user/kernel
 * transitions (chapter 8).
 */
#include "user/ulib.h"

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 100000), sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += (unsigned)getpid() ^ i;
    printf("result: syscall n=%u checksum=%08x\n", n, sum);
    return 0;
}
