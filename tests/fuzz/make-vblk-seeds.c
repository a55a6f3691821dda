/*
 * make-vblk-seeds.c - write seed inputs for fuzz-virtio-blk (chapter 9,
 * "Reliability"): a driver's set-up script and one well-formed request each
 * (read, write, flush, get-id), plus a looping chain and a write to a
 * read-only disk. The input format is fuzz-virtio-blk.c's. Run by
 * tests/fuzz/make-seeds.sh.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio-blk.h"

enum { RING = 0x1000, AVAIL = RING + 2048, HDR = 0x3000, DATA = 0x3100, STATUS = 0x3F00,
       RAM_USED = 0x3F01 };
enum { OP_BAR_WRITE, OP_BAR_READ, OP_PCI_ADDR, OP_PCI_WRITE, OP_PCI_READ, OP_NOTIFY, OP_ISR };
enum { SZ1 = 0 << 3, SZ2 = 1 << 3, SZ4 = 2 << 3 };

static uint8_t in[2 + 6 * 32 + RAM_USED];
static uint8_t *ram;
static unsigned nops;

static void op(uint8_t kind, uint8_t offset, uint32_t value)
{
    uint8_t *o = in + 2 + 6 * nops++;
    o[0] = kind;
    o[1] = offset;
    memcpy(o + 2, &value, 4);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    memcpy(ram + RING + 16 * i, &addr, 8);
    memcpy(ram + RING + 16 * i + 8, &len, 4);
    memcpy(ram + RING + 16 * i + 12, &flags, 2);
    memcpy(ram + RING + 16 * i + 14, &next, 2);
}

/* The set-up every seed shares, the request's chain at descriptor 0, then notify. */
static void start(uint8_t flags, uint32_t type, uint64_t sector)
{
    memset(in, 0, sizeof in);
    nops = 0;
    in[0] = flags;
    ram = in + 2 + 6 * 12;              /* twelve script entries, below */
    op(OP_PCI_ADDR, 0x10, 0);
    op(OP_PCI_READ | SZ4, 0, 0);
    op(OP_BAR_WRITE | SZ1, VIRTIO_PCI_STATUS, 0);
    op(OP_BAR_WRITE | SZ1, VIRTIO_PCI_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    op(OP_BAR_READ | SZ4, VIRTIO_PCI_HOST_FEATURES, 0);
    op(OP_BAR_WRITE | SZ4, VIRTIO_PCI_GUEST_FEATURES, 1u << VIRTIO_BLK_F_FLUSH);
    op(OP_BAR_WRITE | SZ2, VIRTIO_PCI_QUEUE_SEL, 0);
    op(OP_BAR_WRITE | SZ4, VIRTIO_PCI_QUEUE_PFN, RING >> 12);
    op(OP_BAR_WRITE | SZ1, VIRTIO_PCI_STATUS, 7);
    op(OP_BAR_READ | SZ4, VIRTIO_PCI_CONFIG, 0);
    op(OP_NOTIFY, 0, 0);
    op(OP_ISR, 0, 0);
    in[1] = (uint8_t)nops;
    uint32_t hdr[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
    memcpy(ram + HDR, hdr, 16);
    uint16_t avail_idx = 1, head = 0;
    memcpy(ram + AVAIL + 2, &avail_idx, 2);
    memcpy(ram + AVAIL + 4, &head, 2);
    for (unsigned i = 0; i < 1024; i++)
        ram[DATA + i] = (uint8_t)i;
}

static void save(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    size_t len = (size_t)(ram - in) + RAM_USED;
    if (!f || fwrite(in, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make-vblk-seeds DIR\n");
        return 2;
    }
    start(0, VIRTIO_BLK_T_IN, 3);
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, DATA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    desc(2, DATA + 512, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 3);
    desc(3, STATUS, 1, VRING_DESC_F_WRITE, 0);
    save(argv[1], "read");

    start(0, VIRTIO_BLK_T_OUT, 60);
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, DATA, 1024, VRING_DESC_F_NEXT, 2);
    desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
    save(argv[1], "write");

    start(1, VIRTIO_BLK_T_OUT, 0);      /* a read-only disk */
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, DATA, 512, VRING_DESC_F_NEXT, 2);
    desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
    save(argv[1], "write-readonly");

    start(0, VIRTIO_BLK_T_FLUSH, 0);
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, STATUS, 1, VRING_DESC_F_WRITE, 0);
    save(argv[1], "flush");

    start(0, VIRTIO_BLK_T_GET_ID, 0);
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, DATA, 20, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
    save(argv[1], "get-id");

    start(0, VIRTIO_BLK_T_IN, 0);       /* a chain that loops back on itself */
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, DATA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
    save(argv[1], "chain-loop");
    return 0;
}
