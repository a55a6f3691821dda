/*
 * bus.h - one bus for port I/O and MMIO (chapter 2, "Devices and interrupts";
 * chapter 6, "I/O virtualization").
 *
 * Every engine turns a guest `in`/`out` or a guest access to device memory
 * into one call, bus_pio() or bus_mmio(). The bus finds the device whose range
 * holds the address and calls its handler. Port I/O and MMIO use the same
 * handler signature, so a device does not care how the guest reached it
 * (kvmtool and kvm-host do the same).
 */
#ifndef DEVICES_BUS_H
#define DEVICES_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A device's handler. offset is relative to the base the device registered;
 * size is 1, 2 or 4. On a write *value holds the data (already masked to
 * size); on a read the handler stores the result in *value (pre-set to 0, the
 * bus masks it to size afterwards).
 */
typedef void bus_io_fn(void *opaque, uint32_t offset, unsigned size,
                       bool is_write, uint32_t *value);

#define BUS_MAX_REGIONS  32     /* devices per address space: a toy PC has few */
#define BUS_MAX_REPORTED 16     /* distinct unassigned addresses we warn about */

struct bus_region {
    uint32_t    base, len;      /* [base, base+len) */
    bus_io_fn  *fn;
    void       *opaque;
    const char *name;           /* for messages and the monitor */
};

/* One address space: the 64 KiB of ports, or the 4 GiB of physical addresses. */
struct bus_space {
    struct bus_region region[BUS_MAX_REGIONS];
    unsigned          count;
    uint64_t          limit;    /* one past the highest address */
};

struct bus_stats {
    uint64_t pio_reads, pio_writes;
    uint64_t mmio_reads, mmio_writes;
    uint64_t unassigned;        /* accesses no device claimed */
};

struct bus {
    struct bus_space pio, mmio;
    bool             quiet;     /* true: do not warn about unassigned accesses */
    struct { uint32_t addr; bool mmio; } reported[BUS_MAX_REPORTED];
    unsigned         nreported;
    struct bus_stats stats;
};

void bus_init(struct bus *bus);

/*
 * Claim [base, base+len) for a device. Returns 0, or -1 when the range is
 * empty, runs past the address space, overlaps a registered range, or the
 * table is full.
 */
int bus_register_pio(struct bus *bus, uint32_t base, uint32_t len,
                     bus_io_fn *fn, void *opaque, const char *name);
int bus_register_mmio(struct bus *bus, uint32_t base, uint32_t len,
                      bus_io_fn *fn, void *opaque, const char *name);

/* Release the range that starts at base (a PCI BAR moved). Returns 0, or -1 if none. */
int bus_unregister_pio(struct bus *bus, uint32_t base);
int bus_unregister_mmio(struct bus *bus, uint32_t base);

/*
 * Perform one guest access. Returns true when a device claimed it. An
 * unclaimed read gives all ones (what an ISA bus with nobody driving it
 * returns), an unclaimed write is dropped.
 */
bool bus_pio(struct bus *bus, uint16_t port, unsigned size, bool is_write, uint32_t *value);
bool bus_mmio(struct bus *bus, uint32_t gpa, unsigned size, bool is_write, uint32_t *value);

#endif
