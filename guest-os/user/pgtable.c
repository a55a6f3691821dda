/*
 * pgtable - map/unmap churn: n times grow the heap by 4 pages, touch them,
 * and give them back; every round writes page-table entries and invalidates
 * TLB entries (chapter 8).
 */
#include "user/ulib.h"

#define PAGE 4096
#define PAGES 4

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 2000), sum = 0;
    for (unsigned i = 0; i < n; i++) {
        char *p = sbrk(PAGES * PAGE);
        if (p == (char *)-1) {
            printf("pgtable: sbrk failed at %u\n", i);
            return 1;
        }
        for (unsigned j = 0; j < PAGES; j++) {
            unsigned *w = (unsigned *)(p + j * PAGE);
            sum += *w;                  // a fresh page reads as zero
            *w = i + j;
            sum = sum * 5 + *w;
        }
        sbrk(-PAGES * PAGE);
    }
    printf("result: pgtable n=%u checksum=%08x\n", n, sum);
    return 0;
}
