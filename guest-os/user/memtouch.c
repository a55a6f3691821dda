/*
 * memtouch - grow the heap by n pages and touch each one: n first-touch
 * page faults that the kernel fills on demand (chapter 8).
 */
#include "user/ulib.h"

#define PAGE 4096

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 2000), sum = 0;
    char *base = sbrk((int)(n * PAGE));
    if (base == (char *)-1) {
        printf("memtouch: cannot grow the heap by %u pages\n", n);
        return 1;
    }
    for (unsigned i = 0; i < n; i++)
        *(unsigned *)(base + i * PAGE + (i % 1000) * 4) = i * 2654435761u;
    for (unsigned i = 0; i < n; i++)
        sum = sum * 3 + *(unsigned *)(base + i * PAGE + (i % 1000) * 4);
    sbrk(-(int)(n * PAGE));
    printf("result: memtouch n=%u checksum=%08x\n", n, sum);
    return 0;
}
