/*
 * virtio-blk.h - a legacy (virtio 0.9.5) block device on PCI (chapter 6,
 * "I/O virtualization").
 *
 * The paravirtual disk: instead of emulating a disk controller register by
 * register, the guest puts requests in a ring in its own memory (a
 * virtqueue) and writes one port to say "look". One exit per batch of
 * requests instead of several per sector.
 */
#ifndef DEVICES_VIRTIO_BLK_H
#define DEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

struct guest_mem;
struct pic;

/* The legacy register layout at BAR0 (I/O space), as the guest driver sees it. */
enum {
    VIRTIO_PCI_HOST_FEATURES  = 0x00,   /* u32, read-only */
    VIRTIO_PCI_GUEST_FEATURES = 0x04,   /* u32 */
    VIRTIO_PCI_QUEUE_PFN      = 0x08,   /* u32: ring address >> 12, 0 = none */
    VIRTIO_PCI_QUEUE_NUM      = 0x0C,   /* u16, read-only: ring size */
    VIRTIO_PCI_QUEUE_SEL      = 0x0E,   /* u16 */
    VIRTIO_PCI_QUEUE_NOTIFY   = 0x10,   /* u16, write: queue index */
    VIRTIO_PCI_STATUS         = 0x12,   /* u8 */
    VIRTIO_PCI_ISR            = 0x13,   /* u8, read clears */
    VIRTIO_PCI_CONFIG         = 0x14,   /* struct virtio_blk_config follows */
    VBLK_BAR_SIZE             = 0x40,
};

enum {
    VIRTIO_STATUS_ACKNOWLEDGE = 0x01, VIRTIO_STATUS_DRIVER = 0x02,
    VIRTIO_STATUS_DRIVER_OK = 0x04, VIRTIO_STATUS_FEATURES_OK = 0x08,
    VIRTIO_STATUS_NEEDS_RESET = 0x40, VIRTIO_STATUS_FAILED = 0x80,
};

enum {  /* feature bits we offer (RO only for a read-only disk) */
    VIRTIO_BLK_F_SEG_MAX = 2, VIRTIO_BLK_F_RO = 5, VIRTIO_BLK_F_BLK_SIZE = 6,
    VIRTIO_BLK_F_FLUSH = 9,
};

enum {  /* request types and status bytes */
    VIRTIO_BLK_T_IN = 0, VIRTIO_BLK_T_OUT = 1, VIRTIO_BLK_T_FLUSH = 4, VIRTIO_BLK_T_GET_ID = 8,
    VIRTIO_BLK_S_OK = 0, VIRTIO_BLK_S_IOERR = 1, VIRTIO_BLK_S_UNSUPP = 2,
};

enum {
    VRING_DESC_F_NEXT = 1, VRING_DESC_F_WRITE = 2, VRING_DESC_F_INDIRECT = 4,
    VRING_AVAIL_F_NO_INTERRUPT = 1,
    VBLK_QUEUE_SIZE = 128,              /* entries in our one virtqueue */
    VBLK_VRING_ALIGN = 4096,            /* legacy: the used ring starts on a page */
    VBLK_ID_BYTES = 20,                 /* GET_ID answer, NUL-padded */
    VBLK_SECTOR = 512,
};

/* How the VMM wires the disk in. */
struct vblk_config {
    int         fd;                     /* raw image, opened read-write ... */
    bool        read_only;              /* ... or read-only: writes get IOERR */
    unsigned    pci_slot;
    uint16_t    io_base;                /* BAR0, as firmware would assign it */
    uint8_t     irq;                    /* PIC input for INTA# */
    const char *serial;                 /* GET_ID answer (up to 20 bytes) */
};

struct vblk_stats {
    uint64_t notifies, interrupts;
    uint64_t reads, writes, flushes, get_ids, unsupported, errors;
    uint64_t bytes_read, bytes_written;
};

struct vblk {
    struct pci_dev    pci;
    struct guest_mem *mem;
    struct pic       *pic;
    uint8_t           irq;
    int               fd;
    bool              read_only;        /* offers VIRTIO_BLK_F_RO, refuses OUT */
    uint64_t          capacity;         /* in 512-byte sectors */
    char              serial[VBLK_ID_BYTES];
    /* Guest-visible state, cleared by a reset. */
    uint32_t          guest_features;
    uint32_t          queue_pfn;
    uint16_t          queue_sel;
    uint16_t          last_avail;       /* next avail ring entry we will take */
    uint16_t          used_idx;         /* next used ring entry we will fill */
    uint8_t           status, isr;
    struct vblk_stats stats;
};

/*
 * Create the disk on cfg->fd (capacity: file size / 512) and plug it into
 * PCI slot cfg->pci_slot. Returns 0, or -1 with errno set (EINVAL: slot
 * taken or I/O range busy).
 */
int vblk_init(struct vblk *blk, struct pci *pci, struct pic *pic, struct guest_mem *mem,
              const struct vblk_config *cfg);

/* Process every request the guest has made available (what a notify does). */
void vblk_process_queue(struct vblk *blk);

#endif
