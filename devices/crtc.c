/*
 * crtc.c - the text display's CRT controller registers (chapter 6, "What an
 * MP kernel expects of a PC"): an index port and a data port over a small
 * register file. Registers past the last read 0 and drop writes.
 */
#include "devices/crtc.h"

#include <string.h>

#include "devices/bus.h"

static void crtc_io(void *opaque, uint32_t offset, unsigned size, bool is_write,
                    uint32_t *value)
{
    struct crtc *crtc = opaque;
    // A 16-bit write to 0x3D4 sets index and data at once (a common idiom).
    if (offset == 0 && size == 2 && is_write) {
        crtc->index = (uint8_t)*value;
        if (crtc->index < CRTC_REGS)
            crtc->reg[crtc->index] = (uint8_t)(*value >> 8);
        return;
    }
    if (offset == 0) {
        if (is_write)
            crtc->index = (uint8_t)*value;
        else
            *value = crtc->index;
        return;
    }
    if (crtc->index >= CRTC_REGS)
        return;
    if (is_write)
        crtc->reg[crtc->index] = (uint8_t)*value;
    else
        *value = crtc->reg[crtc->index];
}

int crtc_init(struct crtc *crtc, struct bus *bus)
{
    memset(crtc, 0, sizeof(*crtc));
    return bus_register_pio(bus, CRTC_INDEX_PORT, 2, crtc_io, crtc, "crtc");
}
