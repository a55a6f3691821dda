/*
 * flushtest - write a pattern to the disk, flush, say so, then wait to be
 * killed (chapter 9, "Durable disks"). The test kills the VMM with SIGKILL
 * as soon as the line "flushtest: flushed" appears, and checks that the
 * image holds the pattern: a write the guest has flushed must survive.
 * Sector s (from sector=START, n=COUNT of them) is filled with the letter
 * 'A' + s % 26.
 */
#include "user/ulib.h"

static unsigned char buf[SECTOR_SIZE];

int main(int argc, char **argv)
{
    unsigned start = arg_uint(argc, argv, "sector", 100), n = arg_uint(argc, argv, "n", 8);
    for (unsigned s = start; s < start + n; s++) {
        memset(buf, 'A' + s % 26, SECTOR_SIZE);
        if (blkwrite(s, buf, 1) < 0) {
            printf("flushtest: write of sector %u failed\n", s);
            return 1;
        }
    }
    if (blkflush() < 0) {
        printf("flushtest: flush failed\n");
        return 1;
    }
    printf("flushtest: flushed sectors %u..%u\n", start, start + n - 1);
    for (;;)                            // wait here for the SIGKILL
        sleep(100);
}
