/*
 * pci.h - PCI bus 0 behind configuration mechanism #1 (chapter 6, "I/O
 * virtualization").
 *
 * The guest finds PCI devices by reading their 256-byte configuration space
 * through two ports: it writes a bus/device/function/register address to
 * 0xCF8, then reads or writes the register at 0xCFC-0xCFF. From there it
 * learns vendor, device, class, the I/O or memory ranges (BARs) the device
 * decodes, and the interrupt line it raises.
 *
 * There is no firmware in the toy PC, so the VMM does what a BIOS would:
 * it assigns each BAR an address, enables decoding in the Command register
 * and fills in the Interrupt Line. The guest may still move a BAR; the
 * device's range on the bus moves with it.
 */
#ifndef DEVICES_PCI_H
#define DEVICES_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"

#define PCI_SLOTS    32
#define PCI_NUM_BARS 6

/* Configuration space registers the VMM and devices name (type 0 header). */
enum {
    PCI_VENDOR_ID = 0x00, PCI_DEVICE_ID = 0x02, PCI_COMMAND = 0x04, PCI_STATUS = 0x06,
    PCI_REVISION = 0x08, PCI_CLASS_PROG = 0x09, PCI_HEADER_TYPE = 0x0E, PCI_BAR0 = 0x10,
    PCI_SUBSYS_VENDOR = 0x2C, PCI_SUBSYS_ID = 0x2E, PCI_INT_LINE = 0x3C, PCI_INT_PIN = 0x3D,
};
enum { PCI_CMD_IO = 0x1, PCI_CMD_MEM = 0x2, PCI_CMD_MASTER = 0x4 };

/* Who a function is: the identification registers. */
struct pci_id {
    uint16_t vendor, device;
    uint16_t subsys_vendor, subsys_id;
    uint32_t class_code;            /* class << 16 | subclass << 8 | programming interface */
    uint8_t  revision;
};

struct pci_bar {
    uint32_t   size;                /* power of two, 0 = BAR not implemented */
    bool       io;                  /* I/O space (else 32-bit memory space) */
    bus_io_fn *fn;
    void      *opaque;
    bool       mapped;              /* registered on the bus at mapped_base */
    uint32_t   mapped_base;
};

/* One PCI function (function 0 of its slot: no multi-function devices). */
struct pci_dev {
    const char    *name;
    uint8_t        cfg[256];        /* configuration space as the guest reads it */
    struct pci_bar bar[PCI_NUM_BARS];
};

struct pci {
    struct bus     *bus;
    uint32_t        addr;           /* the 0xCF8 address register */
    struct pci_dev *slot[PCI_SLOTS];
    struct pci_dev  host_bridge;    /* 00:00.0, an i440FX as on QEMU's pc machine */
};

/* Claim ports 0xCF8-0xCFF and plug the host bridge into slot 0. Returns 0 or -1. */
int  pci_init(struct pci *pci, struct bus *bus);

/* Fill dev's header from id: type 0, nothing decoded yet, no BARs, no interrupt. */
void pci_dev_init(struct pci_dev *dev, const char *name, const struct pci_id *id);

/*
 * Give dev BAR n of size bytes (a power of two, at least 4 for I/O, 16 for
 * memory), placed at base as firmware would, served by fn(opaque, ...).
 */
void pci_dev_set_bar(struct pci_dev *dev, int n, bool io, uint32_t size, uint32_t base,
                     bus_io_fn *fn, void *opaque);

/* Route dev's INTA# to PIC input line, as firmware reports in the Interrupt Line register. */
void pci_dev_set_irq(struct pci_dev *dev, uint8_t line);

/*
 * Plug dev into slot, enable decoding of its BARs (Command register) and put
 * them on the bus. Returns 0, or -1 when the slot is taken or a BAR overlaps
 * another device.
 */
int  pci_register(struct pci *pci, struct pci_dev *dev, unsigned slot);

/* Current address of BAR n as the guest programmed it (type bits removed). */
uint32_t pci_bar_base(const struct pci_dev *dev, int n);

#endif
