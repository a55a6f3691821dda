/*
 * fuzz-virtio-blk.c - libFuzzer target: a hostile guest driver for the
 * virtio-blk device (devices/virtio-blk.c; chapter 6, "I/O virtualization";
 * the fuzzing is in chapter 9, "Reliability").
 *
 * The device reads descriptor tables and requests from guest RAM the guest
 * controls. Here the fuzzer controls all of it: the RAM contents (rings,
 * descriptors, headers) and a short script of register accesses (BAR0 ports
 * and PCI configuration space). What must hold: no crash, no access outside
 * the 64 KiB of RAM (an exact-size malloc block, watched by AddressSanitizer),
 * and the disk file never grows: every request stays inside the disk.
 *
 * Input: byte 0 = flags (bit 0: a read-only disk), byte 1 = number of
 * script entries k, then k entries of 6 bytes {kind, offset, value u32},
 * then the initial contents of guest RAM.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/bus.h"
#include "devices/pci.h"
#include "devices/pic8259.h"
#include "devices/virtio-blk.h"
#include "vmm/guest-mem.h"

#define RAM_SIZE   0x10000u
#define DISK_BYTES (64 * 512)
#define IO_BASE    0xC000
#define IRQ        11

/* Script entry kinds (low 3 bits of kind; bits 3-4 give the access size). */
enum { OP_BAR_WRITE, OP_BAR_READ, OP_PCI_ADDR, OP_PCI_WRITE, OP_PCI_READ, OP_NOTIFY, OP_ISR };

static uint8_t *ram;
static int disk_fd = -1;

static void bug(const char *what)
{
    fprintf(stderr, "fuzz-virtio-blk: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct bus bus;
    static struct pic pic;
    static struct pci pci;
    static struct vblk blk;
    static const unsigned sizes[4] = { 1, 2, 4, 4 };

    if (size < 2)
        return 0;
    if (!ram) {
        ram = malloc(RAM_SIZE);
        disk_fd = memfd_create("fuzz-disk", MFD_CLOEXEC);   /* a temp file in RAM */
    }
    unsigned nops = data[1];
    size_t script = 2 + 6 * (size_t)nops;
    if (script > size)
        return 0;

    /* A fresh machine and a fresh disk for every input: crashes reproduce. */
    struct guest_mem mem = { .fd = -1, .host = ram, .size = RAM_SIZE };
    memset(ram, 0, RAM_SIZE);
    memcpy(ram, data + script, size - script > RAM_SIZE ? RAM_SIZE : size - script);
    if (ftruncate(disk_fd, 0) < 0 || ftruncate(disk_fd, DISK_BYTES) < 0)
        bug("cannot size the disk");
    bus_init(&bus);
    pic_init(&pic, &bus);
    pci_init(&pci, &bus);
    struct vblk_config cfg = { .fd = disk_fd, .read_only = data[0] & 1, .pci_slot = 4,
                               .io_base = IO_BASE, .irq = IRQ, .serial = "fuzz" };
    if (vblk_init(&blk, &pci, &pic, &mem, &cfg) < 0)
        bug("vblk_init failed");

    for (unsigned i = 0; i < nops; i++) {
        const uint8_t *op = data + 2 + 6 * i;
        unsigned sz = sizes[(op[0] >> 3) & 3];
        uint32_t v;
        memcpy(&v, op + 2, 4);
        switch (op[0] & 7) {
        case OP_BAR_WRITE:
            bus_pio(&bus, IO_BASE + op[1] % VBLK_BAR_SIZE, sz, true, &v);
            break;
        case OP_BAR_READ:
            bus_pio(&bus, IO_BASE + op[1] % VBLK_BAR_SIZE, sz, false, &v);
            break;
        case OP_PCI_ADDR:               /* enable bit, bus 0, our slot, register op[1] */
            v = 0x80000000u | 4u << 11 | (op[1] & 0xFC);
            bus_pio(&bus, 0xCF8, 4, true, &v);
            break;
        case OP_PCI_WRITE:
            bus_pio(&bus, 0xCFC + (op[1] & 3), sz, true, &v);
            break;
        case OP_PCI_READ:
            bus_pio(&bus, 0xCFC + (op[1] & 3), sz, false, &v);
            break;
        case OP_NOTIFY:                 /* the common case, made easy to hit */
            v = 0;
            bus_pio(&bus, IO_BASE + VIRTIO_PCI_QUEUE_NOTIFY, 2, true, &v);
            break;
        default:                        /* OP_ISR and the rest: acknowledge */
            bus_pio(&bus, IO_BASE + VIRTIO_PCI_ISR, 1, false, &v);
            break;
        }
    }

    struct stat st;
    if (fstat(disk_fd, &st) < 0 || st.st_size != DISK_BYTES)
        bug("the disk image changed size: a request went past its end");
    return 0;
}
