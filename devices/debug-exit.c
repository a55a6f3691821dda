/*
 * debug-exit.c - QEMU's isa-debug-exit at port 0xF4 (chapter 2, "Devices
 * and interrupts").
 *
 * A write of V asks the VMM to stop with exit status V. QEMU exits with
 * (V << 1) | 1 instead, so that a guest can never fake QEMU's own status 0;
 * our VMM reports V itself, and the tests that compare the two know this.
 */
#include "devices/debug-exit.h"
#include "devices/bus.h"

#include <string.h>

/* Any write, at any of the four ports and of any width, is an exit request; reads give 0. */
static void debug_exit_io(void *opaque, uint32_t offset, unsigned size, bool is_write,
                          uint32_t *value)
{
    struct debug_exit *dx = opaque;
    (void)offset, (void)size;
    if (!is_write)
        return;                     /* *value is already 0, as QEMU answers */
    if (!dx->requested) {           /* the first request wins */
        dx->requested = true;
        dx->code = *value;
    }
}

int debug_exit_init(struct debug_exit *dx, struct bus *bus)
{
    memset(dx, 0, sizeof(*dx));
    return bus_register_pio(bus, DEBUG_EXIT_PORT, DEBUG_EXIT_SIZE, debug_exit_io, dx,
                            "debug-exit");
}
