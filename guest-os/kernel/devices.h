/*
 * devices.h - the kernel's drivers for the toy PC's devices (chapter 1):
 * the 8259 PICs, the 8254 PIT, PCI configuration space, legacy virtio-blk.
 */
#ifndef KERNEL_DEVICES_H
#define KERNEL_DEVICES_H

#include "kernel/types.h"

void pic_init(void);
void pic_enable(int irq);
void pic_eoi(int irq);
bool pic_spurious(int irq);

void pit_init(int hz);

uint32_t pci_read32(int bus, int dev, int fn, int offset);
void     pci_write32(int bus, int dev, int fn, int offset, uint32_t value);
/* Find a function by vendor and device id. Returns 0 and its place, or -1. */
int      pci_find(uint16_t vendor, uint16_t device, int *bus, int *dev, int *fn);

/* Find and start the virtio-blk device; 0 or -1 if there is none. */
int  vblk_init(void);
int  vblk_irq(void);                    /* its IRQ, or -1 */
void vblk_intr(void);
/* Sectors on the disk, or -1 without a disk. */
int  vblk_capacity(void);
/* Transfer count sectors at sector to/from buf (kernel memory). 0 or -1. */
int  vblk_rw(uint32_t sector, void *buf, uint32_t count, bool write);
/* Ask the disk to make every completed write durable (VIRTIO_BLK_T_FLUSH). 0 or -1. */
int  vblk_flush(void);

#endif
