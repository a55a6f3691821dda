/*
 * pci.c - PCI configuration space, mechanism #1 (chapter 1, chapter 6).
 *
 * Write the address of a configuration register (bus, device, function,
 * offset) to port 0xCF8, then read or write it at 0xCFC. An absent function
 * reads as all ones.
 */
#include "kernel/devices.h"
#include "kernel/x86.h"

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

static uint32_t address(int bus, int dev, int fn, int offset)
{
    return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 |
           (uint32_t)(offset & 0xFC);
}

uint32_t pci_read32(int bus, int dev, int fn, int offset)
{
    outl(PCI_ADDR, address(bus, dev, fn, offset));
    return inl(PCI_DATA);
}

void pci_write32(int bus, int dev, int fn, int offset, uint32_t value)
{
    outl(PCI_ADDR, address(bus, dev, fn, offset));
    outl(PCI_DATA, value);
}

int pci_find(uint16_t vendor, uint16_t device, int *bus, int *dev, int *fn)
{
    for (int d = 0; d < 32; d++) {
        uint32_t id = pci_read32(0, d, 0, 0);
        if ((id & 0xFFFF) == 0xFFFF)
            continue;
        // Bit 7 of the header type: the device has functions 1-7 too.
        int functions = (pci_read32(0, d, 0, 0x0C) >> 16) & 0x80 ? 8 : 1;
        for (int f = 0; f < functions; f++) {
            id = pci_read32(0, d, f, 0);
            if ((id & 0xFFFF) == vendor && (id >> 16) == device) {
                *bus = 0;
                *dev = d;
                *fn = f;
                return 0;
            }
        }
    }
    return -1;
}
