/*
 * pci.c - PCI configuration mechanism #1, bus 0 (chapter 6, "I/O
 * virtualization").
 *
 * Configuration space is an array of 256 bytes per function. Reads return
 * those bytes; writes go through a per-register write mask, because most of
 * the header is read-only. Two registers have side effects: Command (turns
 * I/O and memory decoding on and off) and the BARs. A BAR is sized by the
 * guest writing all ones and reading back: the bits below the size read as
 * zero, so the value read is the negated size plus the type bits. After
 * every write we recompute where each BAR should be decoded and move its
 * range on the bus if it changed.
 */
#include "devices/pci.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

enum {
    PCI_ADDR_PORT = 0xCF8,
    PCI_DATA_PORT = 0xCFC,
    PCI_ADDR_ENABLE = 0x80000000u,
    PCI_ADDR_MASK = 0x80FFFFFCu,        /* bits 30-24 reserved, 1-0 are always 0 */
};

static uint32_t cfg_read32(const struct pci_dev *dev, unsigned reg)
{
    const uint8_t *p = &dev->cfg[reg];
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void cfg_write32(struct pci_dev *dev, unsigned reg, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        dev->cfg[reg + i] = v >> (8 * i);
}

static void cfg_write16(struct pci_dev *dev, unsigned reg, uint16_t v)
{
    dev->cfg[reg] = v;
    dev->cfg[reg + 1] = v >> 8;
}

/*
 * Which bits of configuration byte reg the guest may change. Command:
 * I/O, memory, bus master. BARs: all, then masked by the BAR's size.
 * Cache line size, latency timer and Interrupt Line are plain storage.
 */
static uint8_t cfg_wmask(unsigned reg)
{
    if (reg >= PCI_BAR0 && reg < PCI_BAR0 + 4 * PCI_NUM_BARS)
        return 0xFF;
    switch (reg) {
    case PCI_COMMAND:   return PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER;
    case 0x0C:          return 0xFF;    /* cache line size */
    case 0x0D:          return 0xFF;    /* latency timer */
    case PCI_INT_LINE:  return 0xFF;
    default:            return 0x00;
    }
}

uint32_t pci_bar_base(const struct pci_dev *dev, int n)
{
    uint32_t v = cfg_read32(dev, PCI_BAR0 + 4 * n);
    return dev->bar[n].io ? v & ~0x3u : v & ~0xFu;
}

/* Force the read-only bits of BAR n: address bits below its size are zero, type bits fixed. */
static void bar_fixup(struct pci_dev *dev, int n)
{
    const struct pci_bar *b = &dev->bar[n];
    uint32_t v = cfg_read32(dev, PCI_BAR0 + 4 * n);

    if (b->size == 0)
        v = 0;
    else if (b->io)
        v = (v & ~(b->size - 1) & ~0x3u) | 0x1;     /* bit 0: I/O space */
    else
        v = v & ~(b->size - 1) & ~0xFu;             /* 32-bit, not prefetchable */
    cfg_write32(dev, PCI_BAR0 + 4 * n, v);
}

static void bar_unmap(struct pci *pci, struct pci_bar *b)
{
    if (!b->mapped)
        return;
    if (b->io)
        bus_unregister_pio(pci->bus, b->mapped_base);
    else
        bus_unregister_mmio(pci->bus, b->mapped_base);
    b->mapped = false;
}

/*
 * Put BAR n on the bus where Command and the BAR register say, or take it
 * off. A BAR the guest parks outside the address space (as during sizing)
 * or on top of another device is simply not decoded.
 */
static void bar_update(struct pci *pci, struct pci_dev *dev, int n)
{
    struct pci_bar *b = &dev->bar[n];
    uint16_t cmd = dev->cfg[PCI_COMMAND];
    uint32_t base = pci_bar_base(dev, n);
    uint64_t limit = b->io ? 0x10000 : 1ull << 32;
    bool want = b->size && (cmd & (b->io ? PCI_CMD_IO : PCI_CMD_MEM)) &&
                base != 0 && (uint64_t)base + b->size <= limit;

    if (b->mapped && want && b->mapped_base == base)
        return;
    bar_unmap(pci, b);
    if (!want)
        return;
    int rc = b->io ? bus_register_pio(pci->bus, base, b->size, b->fn, b->opaque, dev->name)
                   : bus_register_mmio(pci->bus, base, b->size, b->fn, b->opaque, dev->name);
    if (rc < 0) {
        fprintf(stderr, "vmm: pci %s: BAR%d at 0x%x overlaps another device, not decoded\n",
                dev->name, n, base);
        return;
    }
    b->mapped = true;
    b->mapped_base = base;
}

/* Configuration write of size bytes at reg (reg + size may run past 255: those bytes go nowhere). */
static void cfg_write(struct pci *pci, struct pci_dev *dev, unsigned reg, unsigned size,
                      uint32_t value)
{
    for (unsigned i = 0; i < size && reg + i < sizeof(dev->cfg); i++) {
        uint8_t mask = cfg_wmask(reg + i);
        uint8_t byte = value >> (8 * i);
        dev->cfg[reg + i] = (dev->cfg[reg + i] & ~mask) | (byte & mask);
    }
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        bar_fixup(dev, n);
        bar_update(pci, dev, n);
    }
}

static uint32_t cfg_read(const struct pci_dev *dev, unsigned reg, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint8_t byte = reg + i < sizeof(dev->cfg) ? dev->cfg[reg + i] : 0xFF;
        v |= (uint32_t)byte << (8 * i);
    }
    return v;
}

/* The function the address register points at, or NULL (absent: reads all ones). */
static struct pci_dev *addressed_dev(struct pci *pci)
{
    uint32_t a = pci->addr;
    unsigned bus = (a >> 16) & 0xFF, slot = (a >> 11) & 0x1F, fn = (a >> 8) & 0x7;

    if (!(a & PCI_ADDR_ENABLE) || bus != 0 || fn != 0)
        return NULL;
    return pci->slot[slot];
}

/* Port 0xCF8: only whole 32-bit accesses reach the address register. */
static void addr_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct pci *pci = opaque;

    if (offset != 0 || size != 4) {
        /* Byte ports 0xCF9 (PIIX reset control) and friends: not here. */
        if (!is_write)
            *value = 0xFFFFFFFF;
        return;
    }
    if (is_write)
        pci->addr = *value & PCI_ADDR_MASK;
    else
        *value = pci->addr;
}

/* Ports 0xCFC-0xCFF: a window onto the addressed dword, any width at any offset. */
static void data_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct pci *pci = opaque;
    struct pci_dev *dev = addressed_dev(pci);
    unsigned reg = (pci->addr & 0xFC) + offset;

    if (!dev) {
        if (!is_write)
            *value = 0xFFFFFFFF;
        return;
    }
    if (is_write)
        cfg_write(pci, dev, reg, size, *value);
    else
        *value = cfg_read(dev, reg, size);
}

void pci_dev_init(struct pci_dev *dev, const char *name, const struct pci_id *id)
{
    memset(dev, 0, sizeof(*dev));
    dev->name = name;
    cfg_write16(dev, PCI_VENDOR_ID, id->vendor);
    cfg_write16(dev, PCI_DEVICE_ID, id->device);
    cfg_write16(dev, PCI_SUBSYS_VENDOR, id->subsys_vendor);
    cfg_write16(dev, PCI_SUBSYS_ID, id->subsys_id);
    dev->cfg[PCI_REVISION] = id->revision;
    dev->cfg[PCI_CLASS_PROG] = id->class_code;
    dev->cfg[PCI_CLASS_PROG + 1] = id->class_code >> 8;
    dev->cfg[PCI_CLASS_PROG + 2] = id->class_code >> 16;
    dev->cfg[PCI_HEADER_TYPE] = 0x00;   /* type 0, single function */
}

void pci_dev_set_bar(struct pci_dev *dev, int n, bool io, uint32_t size, uint32_t base,
                     bus_io_fn *fn, void *opaque)
{
    assert(n >= 0 && n < PCI_NUM_BARS);
    assert(size >= (io ? 4u : 16u) && (size & (size - 1)) == 0);
    dev->bar[n] = (struct pci_bar){ .size = size, .io = io, .fn = fn, .opaque = opaque };
    cfg_write32(dev, PCI_BAR0 + 4 * n, base);
    bar_fixup(dev, n);
}

void pci_dev_set_irq(struct pci_dev *dev, uint8_t line)
{
    dev->cfg[PCI_INT_LINE] = line;
    dev->cfg[PCI_INT_PIN] = 1;          /* INTA# */
}

int pci_register(struct pci *pci, struct pci_dev *dev, unsigned slot)
{
    if (slot >= PCI_SLOTS || pci->slot[slot])
        return -1;
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        if (dev->bar[n].size)
            dev->cfg[PCI_COMMAND] |= dev->bar[n].io ? PCI_CMD_IO : PCI_CMD_MEM;
    }
    pci->slot[slot] = dev;
    for (int n = 0; n < PCI_NUM_BARS; n++) {
        bar_update(pci, dev, n);
        if (dev->bar[n].size && !dev->bar[n].mapped)
            goto fail;                  /* firmware's own assignment must fit */
    }
    return 0;
fail:
    for (int n = 0; n < PCI_NUM_BARS; n++)
        bar_unmap(pci, &dev->bar[n]);
    pci->slot[slot] = NULL;
    return -1;
}

int pci_init(struct pci *pci, struct bus *bus)
{
    static const struct pci_id i440fx = {
        .vendor = 0x8086, .device = 0x1237,     /* Intel 82441FX, QEMU's pc machine */
        .class_code = 0x060000, .revision = 0x02,   /* bridge, host bridge */
    };

    memset(pci, 0, sizeof(*pci));
    pci->bus = bus;
    pci_dev_init(&pci->host_bridge, "i440fx", &i440fx);
    pci->slot[0] = &pci->host_bridge;
    if (bus_register_pio(bus, PCI_ADDR_PORT, 4, addr_io, pci, "pci-addr") < 0 ||
        bus_register_pio(bus, PCI_DATA_PORT, 4, data_io, pci, "pci-data") < 0)
        return -1;
    return 0;
}
