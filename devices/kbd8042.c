/*
 * kbd8042.c - an 8042 keyboard controller with no key ever pressed (chapter
 * 6, "What an MP kernel expects of a PC").
 *
 * Replies to the controller's commands go into the one-byte output buffer
 * and, if the command byte asks for it, pulse IRQ 1. Bytes sent to the
 * keyboard itself (port 0x60) are acknowledged with 0xFA as a keyboard would;
 * a keyboard reset also reports a passed self test (0xAA).
 */
#include "devices/kbd8042.h"

#include <stdio.h>
#include <string.h>

#include "devices/bus.h"
#include "devices/pic8259.h"

/* Put a byte in the output buffer; interrupt if the command byte says so. */
static void reply(struct kbd8042 *kbd, uint8_t byte)
{
    kbd->out = byte;
    kbd->status |= KBD_STATUS_OBF;
    if (kbd->command_byte & 1) {
        pic_set_irq(kbd->pic, KBD_IRQ, 1);
        pic_set_irq(kbd->pic, KBD_IRQ, 0);
    }
}

static void controller_command(struct kbd8042 *kbd, uint8_t cmd)
{
    switch (cmd) {
    case 0x20: reply(kbd, kbd->command_byte); break;        // read command byte
    case 0x60: case 0xD1: case 0xD2: kbd->pending = cmd; break;  // a data byte follows
    case 0xA7: case 0xA8: case 0xAD: case 0xAE: break;      // disable/enable ports
    case 0xA9: case 0xAB: reply(kbd, 0x00); break;          // interface tests pass
    case 0xAA: kbd->status |= KBD_STATUS_SYS; reply(kbd, 0x55); break;   // self test
    case 0xFE:
        if (kbd->warned++ < 2)
            fprintf(stderr, "vmm: 8042: the guest asked for a CPU reset (0xFE); ignored\n");
        break;
    default:
        if (cmd >= 0xF0)
            break;                      // output port pulses: nothing wired
        if (kbd->warned++ < 2)
            fprintf(stderr, "vmm: 8042: controller command 0x%02x not supported; ignored\n",
                    cmd);
    }
}

static void keyboard_write(struct kbd8042 *kbd, uint8_t byte)
{
    uint8_t pending = kbd->pending;
    kbd->pending = 0;
    switch (pending) {
    case 0x60: kbd->command_byte = byte; return;
    case 0xD1: return;                  // output port: A20 and reset lines, nothing to do
    case 0xD2: reply(kbd, byte); return;    // "write keyboard output buffer": echo it
    }
    reply(kbd, 0xFA);                   // the keyboard acknowledges every byte
    if (byte == 0xFF)
        reply(kbd, 0xAA);               // reset: self test passed (the ACK is overwritten)
}

/* Port 0x60: the output buffer (read) or a byte for the keyboard or a pending command. */
static void data_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct kbd8042 *kbd = opaque;
    (void)offset, (void)size;
    if (!is_write) {
        *value = kbd->out;
        kbd->status &= ~KBD_STATUS_OBF;
        return;
    }
    kbd->status &= ~KBD_STATUS_CMD;
    keyboard_write(kbd, (uint8_t)*value);
}

/* Port 0x64: the status register (read) or a controller command. */
static void status_io(void *opaque, uint32_t offset, unsigned size, bool is_write,
                      uint32_t *value)
{
    struct kbd8042 *kbd = opaque;
    (void)offset, (void)size;
    if (!is_write) {
        *value = kbd->status;
        return;
    }
    kbd->status |= KBD_STATUS_CMD;
    controller_command(kbd, (uint8_t)*value);
}

int kbd8042_init(struct kbd8042 *kbd, struct bus *bus, struct pic *pic)
{
    memset(kbd, 0, sizeof(*kbd));
    kbd->pic = pic;
    kbd->status = KBD_STATUS_SYS | KBD_STATUS_UNLOCKED;
    kbd->command_byte = 0x45;           // IRQ 1 on, system flag, scancode translation
    // 0x60-0x64: ports 0x61 (the PIT's speaker port) and 0x62-0x63 sit between.
    if (bus_register_pio(bus, KBD_DATA_PORT, 1, data_io, kbd, "kbd-data") < 0)
        return -1;
    return bus_register_pio(bus, KBD_STATUS_PORT, 1, status_io, kbd, "kbd-status");
}
