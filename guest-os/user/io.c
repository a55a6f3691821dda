/*
 * io - write n sectors of a known pattern to the virtio-blk disk, read them
 * back, verify (chapter 6). The checksum covers what was read.
 */
#include "user/ulib.h"

static unsigned char buf[SECTOR_SIZE];

static void fill(unsigned sector, unsigned round)
{
    unsigned state = (sector + 1) * 2654435761u ^ round;
    for (int i = 0; i < SECTOR_SIZE; i++)
        buf[i] = (unsigned char)xorshift(&state);
}

int main(int argc, char **argv)
{
    unsigned n = arg_uint(argc, argv, "n", 256), sum = 0, bad = 0;
    int size = blksize();
    if (size <= 0) {
        printf("io: no disk\n");
        return 1;
    }
    unsigned sectors = (unsigned)size;
    for (unsigned i = 0; i < n; i++) {
        fill(i % sectors, n);
        if (blkwrite(i % sectors, buf, 1) < 0) {
            printf("io: write of sector %u failed\n", i % sectors);
            return 1;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        unsigned char expect[SECTOR_SIZE];
        // Only the last write of a sector survives when n wraps the disk.
        unsigned sector = i % sectors;
        if (blkread(sector, buf, 1) < 0) {
            printf("io: read of sector %u failed\n", sector);
            return 1;
        }
        memcpy(expect, buf, SECTOR_SIZE);
        fill(sector, n);
        if (memcmp(expect, buf, SECTOR_SIZE) != 0)
            bad++;
        for (int j = 0; j < SECTOR_SIZE; j += 4)
            sum = sum * 31 + *(unsigned *)(expect + j);
    }
    printf("result: io n=%u sectors=%u bad=%u checksum=%08x\n", n, sectors, bad, sum);
    return bad ? 1 : 0;
}
