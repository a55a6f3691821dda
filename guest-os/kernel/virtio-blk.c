/*
 * virtio-blk.c - a driver for the legacy virtio block device (chapter 6,
 * "A virtio-blk request, step by step"; chapter 1 for where it sits).
 *
 * The walkthrough of the course notes, in code:
 *  1. find the PCI function 1AF4:1001 and its I/O BAR and IRQ line;
 *  2. reset, ACKNOWLEDGE, DRIVER; negotiate features (we take only FLUSH);
 *  3. give the device one virtqueue: a descriptor table, an available ring
 *     (driver -> device) and a used ring (device -> driver) in guest memory;
 *  4. DRIVER_OK;
 *  5. per request: three descriptors (header, data, status byte) chained,
 *     the head put in the available ring, a write to QUEUE_NOTIFY;
 *  6. the device processes it, fills the used ring, raises its interrupt;
 *     reading ISR acknowledges it, and the driver finds the request done.
 * A flush (chapter 9, "Durable disks") is a request of two descriptors,
 * header and status: when it completes, every write before it is durable.
 * One request at a time: the kernel is not preemptible and sleeps until the
 * interrupt comes.
 */
#include "guest-os/include/string.h"
#include "kernel/console.h"
#include "kernel/devices.h"
#include "kernel/memlayout.h"
#include "kernel/proc.h"
#include "kernel/x86.h"

/* Legacy virtio PCI registers, offsets in BAR0 (I/O space). */
#define VIRTIO_HOST_FEATURES  0x00
#define VIRTIO_GUEST_FEATURES 0x04
#define VIRTIO_QUEUE_PFN      0x08
#define VIRTIO_QUEUE_SIZE     0x0C
#define VIRTIO_QUEUE_SELECT   0x0E
#define VIRTIO_QUEUE_NOTIFY   0x10
#define VIRTIO_STATUS         0x12
#define VIRTIO_ISR            0x13
#define VIRTIO_BLK_CAPACITY   0x14      /* u64, in 512-byte sectors */

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER      2
#define STATUS_DRIVER_OK   4

#define VRING_DESC_F_NEXT  1
#define VRING_DESC_F_WRITE 2            /* the device writes this buffer */

#define VIRTIO_BLK_T_IN    0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_F_FLUSH 9            /* feature bit: the device takes flushes */

#define MAX_QUEUE 256                   /* what vring_mem below has room for */

struct vring_desc {
    uint64_t addr;                      /* guest-physical */
    uint32_t len;
    uint16_t flags, next;
};

struct vring_used_elem {
    uint32_t id, len;
};

struct blk_request_header {
    uint32_t type, ioprio;
    uint64_t sector;
};

/* The virtqueue's memory: 4 KiB aligned, physically contiguous (it is in the
 * kernel image, which the direct map places at contiguous physical pages). */
static uint8_t vring_mem[4 * PGSIZE] __attribute__((aligned(PGSIZE)));

static struct {
    uint16_t io;                        /* BAR0 */
    int      irq;
    uint16_t qsize;
    struct vring_desc *desc;
    volatile uint16_t *avail_flags, *avail_idx, *avail_ring;
    volatile uint16_t *used_idx;
    volatile struct vring_used_elem *used_ring;
    uint16_t last_used;
    uint32_t capacity;
    bool     has_flush;                 /* VIRTIO_BLK_F_FLUSH negotiated */
    struct blk_request_header header;
    volatile uint8_t status;
} vblk = { .irq = -1 };

int vblk_init(void)
{
    int bus, dev, fn;
    if (pci_find(0x1AF4, 0x1001, &bus, &dev, &fn) < 0)
        return -1;
    uint32_t bar0 = pci_read32(bus, dev, fn, 0x10);
    if (!(bar0 & 1))
        panic("virtio-blk: BAR0 is not an I/O BAR");
    vblk.io = (uint16_t)(bar0 & ~3u);
    vblk.irq = (int)(pci_read32(bus, dev, fn, 0x3C) & 0xFF);
    // Command register: I/O space and bus mastering (the device does DMA).
    pci_write32(bus, dev, fn, 0x04, pci_read32(bus, dev, fn, 0x04) | 0x5);

    outb(vblk.io + VIRTIO_STATUS, 0);   // reset
    outb(vblk.io + VIRTIO_STATUS, STATUS_ACKNOWLEDGE);
    outb(vblk.io + VIRTIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    // FLUSH is the one feature we take: without it a device must write
    // through, and then there is nothing to flush.
    vblk.has_flush = (inl(vblk.io + VIRTIO_HOST_FEATURES) >> VIRTIO_BLK_F_FLUSH) & 1;
    outl(vblk.io + VIRTIO_GUEST_FEATURES, vblk.has_flush ? 1u << VIRTIO_BLK_F_FLUSH : 0);

    outw(vblk.io + VIRTIO_QUEUE_SELECT, 0);
    vblk.qsize = inw(vblk.io + VIRTIO_QUEUE_SIZE);
    if (vblk.qsize == 0 || vblk.qsize > MAX_QUEUE)
        panic("virtio-blk: queue size %u not supported", vblk.qsize);

    // Legacy layout: descriptors, then the available ring; the used ring
    // starts at the next 4 KiB boundary.
    uint8_t *base = vring_mem;
    vblk.desc = (struct vring_desc *)base;
    uint8_t *avail = base + 16 * vblk.qsize;
    vblk.avail_flags = (uint16_t *)avail;
    vblk.avail_idx = (uint16_t *)(avail + 2);
    vblk.avail_ring = (uint16_t *)(avail + 4);
    uint8_t *used = base + PGROUNDUP(16u * vblk.qsize + 6 + 2u * vblk.qsize);
    vblk.used_idx = (uint16_t *)(used + 2);
    vblk.used_ring = (struct vring_used_elem *)(used + 4);
    outl(vblk.io + VIRTIO_QUEUE_PFN, v2p(base) >> 12);

    outb(vblk.io + VIRTIO_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_DRIVER_OK);
    uint32_t cap_hi = inl(vblk.io + VIRTIO_BLK_CAPACITY + 4);
    vblk.capacity = cap_hi ? 0x7FFFFFFF : inl(vblk.io + VIRTIO_BLK_CAPACITY);
    pic_enable(vblk.irq);
    return 0;
}

int vblk_irq(void)
{
    return vblk.irq;
}

int vblk_capacity(void)
{
    return vblk.io ? (int)vblk.capacity : -1;
}

void vblk_intr(void)
{
    // Reading ISR acknowledges the interrupt (and lowers the line).
    if (inb(vblk.io + VIRTIO_ISR) & 1)
        wakeup(&vblk);
}

/* Offer the chain that starts at descriptor 0, notify, sleep until the
 * device has used it. 0 if its status byte says OK, else -1. */
static int submit(void)
{
    vblk.avail_ring[*vblk.avail_idx % vblk.qsize] = 0;
    __asm__ volatile("" ::: "memory");  // the ring entry before the index
    (*vblk.avail_idx)++;
    __asm__ volatile("" ::: "memory");
    outw(vblk.io + VIRTIO_QUEUE_NOTIFY, 0);

    while (*vblk.used_idx == vblk.last_used)
        sleep(&vblk);
    vblk.last_used++;
    return vblk.status == 0 ? 0 : -1;
}

int vblk_rw(uint32_t sector, void *buf, uint32_t count, bool write)
{
    if (!vblk.io || sector >= vblk.capacity || count > vblk.capacity - sector)
        return -1;
    vblk.header.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
    vblk.header.ioprio = 0;
    vblk.header.sector = sector;
    vblk.status = 0xFF;

    struct vring_desc *d = vblk.desc;
    d[0].addr = v2p(&vblk.header);
    d[0].len = sizeof(vblk.header);
    d[0].flags = VRING_DESC_F_NEXT;
    d[0].next = 1;
    d[1].addr = v2p(buf);
    d[1].len = count * 512;
    d[1].flags = VRING_DESC_F_NEXT | (write ? 0 : VRING_DESC_F_WRITE);
    d[1].next = 2;
    d[2].addr = v2p((const void *)&vblk.status);
    d[2].len = 1;
    d[2].flags = VRING_DESC_F_WRITE;
    d[2].next = 0;
    return submit();
}

int vblk_flush(void)
{
    if (!vblk.io)
        return -1;
    if (!vblk.has_flush)
        return 0;                       // a write-through disk: already durable
    vblk.header.type = VIRTIO_BLK_T_FLUSH;
    vblk.header.ioprio = 0;
    vblk.header.sector = 0;
    vblk.status = 0xFF;

    struct vring_desc *d = vblk.desc;
    d[0].addr = v2p(&vblk.header);
    d[0].len = sizeof(vblk.header);
    d[0].flags = VRING_DESC_F_NEXT;
    d[0].next = 1;
    d[1].addr = v2p((const void *)&vblk.status);
    d[1].len = 1;
    d[1].flags = VRING_DESC_F_WRITE;
    d[1].next = 0;
    return submit();
}
