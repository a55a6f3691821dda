/*
 * bus.c - dispatch guest port I/O and MMIO to devices (chapter 2, "Devices
 * and interrupts"; chapter 6, "I/O virtualization").
 *
 * A bus is two small tables of address ranges, searched linearly: a toy PC
 * has a handful of devices, and a linear search over a table is easy to read.
 * An access nobody claims is not an error of the VMM: real PCs have plenty of
 * empty ports and guests probe them. We answer as an empty ISA bus does
 * (all ones) and say so once per address, so a guest that polls an absent
 * device does not flood the terminal.
 */
#include "devices/bus.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void bus_init(struct bus *bus)
{
    memset(bus, 0, sizeof(*bus));
    bus->pio.limit  = 0x10000;          /* ports 0x0000-0xFFFF */
    bus->mmio.limit = 1ull << 32;       /* i386 physical addresses */
}

/* All ones in the low size bytes. size must be 1, 2 or 4 (anything else is our bug). */
static uint32_t size_mask(unsigned size)
{
    assert(size == 1 || size == 2 || size == 4);
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

/* Add a range to space s; see bus_register_pio() for the rules. */
static int space_add(struct bus_space *s, uint32_t base, uint32_t len,
                     bus_io_fn *fn, void *opaque, const char *name)
{
    /* Computed in 64 bits, so base+len cannot wrap around. */
    uint64_t end = (uint64_t)base + len;

    if (len == 0 || end > s->limit || s->count == BUS_MAX_REGIONS)
        return -1;
    for (unsigned i = 0; i < s->count; i++) {
        const struct bus_region *r = &s->region[i];
        if (base < (uint64_t)r->base + r->len && r->base < end)
            return -1;                  /* overlap: two devices cannot both answer */
    }
    s->region[s->count++] = (struct bus_region){
        .base = base, .len = len, .fn = fn, .opaque = opaque, .name = name,
    };
    return 0;
}

static int space_remove(struct bus_space *s, uint32_t base)
{
    for (unsigned i = 0; i < s->count; i++) {
        if (s->region[i].base == base) {
            s->region[i] = s->region[--s->count];   /* order does not matter */
            return 0;
        }
    }
    return -1;
}

static struct bus_region *space_find(struct bus_space *s, uint32_t addr)
{
    for (unsigned i = 0; i < s->count; i++) {
        struct bus_region *r = &s->region[i];
        if (addr >= r->base && addr - r->base < r->len)
            return r;
    }
    return NULL;
}

int bus_register_pio(struct bus *bus, uint32_t base, uint32_t len,
                     bus_io_fn *fn, void *opaque, const char *name)
{
    return space_add(&bus->pio, base, len, fn, opaque, name);
}

int bus_register_mmio(struct bus *bus, uint32_t base, uint32_t len,
                      bus_io_fn *fn, void *opaque, const char *name)
{
    return space_add(&bus->mmio, base, len, fn, opaque, name);
}

int bus_unregister_pio(struct bus *bus, uint32_t base)
{
    return space_remove(&bus->pio, base);
}

int bus_unregister_mmio(struct bus *bus, uint32_t base)
{
    return space_remove(&bus->mmio, base);
}

/* Warn about an unassigned address, the first time only. */
static void report_unassigned(struct bus *bus, bool mmio, uint32_t addr)
{
    bus->stats.unassigned++;
    if (bus->quiet)
        return;
    for (unsigned i = 0; i < bus->nreported; i++)
        if (bus->reported[i].addr == addr && bus->reported[i].mmio == mmio)
            return;
    if (bus->nreported == BUS_MAX_REPORTED)
        return;                         /* said enough already */
    bus->reported[bus->nreported].addr = addr;
    bus->reported[bus->nreported].mmio = mmio;
    bus->nreported++;
    if (mmio)
        fprintf(stderr, "vmm: guest accessed unassigned MMIO address 0x%08x\n", addr);
    else
        fprintf(stderr, "vmm: guest accessed unassigned port 0x%04x\n", addr);
    if (bus->nreported == BUS_MAX_REPORTED)
        fprintf(stderr, "vmm: further unassigned accesses are not reported\n");
}

/* One access to space s: find the device, call it, mask the result. */
static bool space_access(struct bus *bus, struct bus_space *s, bool mmio,
                         uint32_t addr, unsigned size, bool is_write, uint32_t *value)
{
    uint32_t mask = size_mask(size);
    uint32_t v = is_write ? *value & mask : 0;
    struct bus_region *r = space_find(s, addr);

    if (!r) {
        report_unassigned(bus, mmio, addr);
        if (!is_write)
            *value = mask;
        return false;
    }
    r->fn(r->opaque, addr - r->base, size, is_write, &v);
    if (!is_write)
        *value = v & mask;
    return true;
}

bool bus_pio(struct bus *bus, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    if (is_write)
        bus->stats.pio_writes++;
    else
        bus->stats.pio_reads++;
    return space_access(bus, &bus->pio, false, port, size, is_write, value);
}

bool bus_mmio(struct bus *bus, uint32_t gpa, unsigned size, bool is_write, uint32_t *value)
{
    if (is_write)
        bus->stats.mmio_writes++;
    else
        bus->stats.mmio_reads++;
    return space_access(bus, &bus->mmio, true, gpa, size, is_write, value);
}
