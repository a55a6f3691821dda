/*
 * kbd8042.h - the 8042 keyboard controller at ports 0x60/0x64 (chapter 6,
 * "What an MP kernel expects of a PC").
 *
 * The toy PC has no keyboard: console input arrives through the UART. But
 * PC kernels look at the 8042 anyway (xv6 takes IRQ 1 and reads port 0x64),
 * so the controller answers as one with no key pressed: the status port says
 * "output buffer empty", and the controller's own commands (self test, the
 * command byte, the interface test) get their proper replies.
 */
#ifndef DEVICES_KBD8042_H
#define DEVICES_KBD8042_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct pic;

#define KBD_DATA_PORT   0x60
#define KBD_STATUS_PORT 0x64
#define KBD_IRQ         1

enum {  /* status register bits */
    KBD_STATUS_OBF = 0x01,              /* output buffer full: port 0x60 has a byte */
    KBD_STATUS_IBF = 0x02,
    KBD_STATUS_SYS = 0x04,              /* self test passed */
    KBD_STATUS_CMD = 0x08,              /* last write was to 0x64 */
    KBD_STATUS_UNLOCKED = 0x10,
};

struct kbd8042 {
    uint8_t status;
    uint8_t out;                        /* the byte waiting at port 0x60 */
    uint8_t command_byte;               /* bit 0: IRQ 1 on output */
    uint8_t pending;                    /* controller command waiting for its data byte */
    struct pic *pic;
    unsigned warned;
};

/* Reset and claim ports 0x60 and 0x64. Returns 0 or -1. */
int kbd8042_init(struct kbd8042 *kbd, struct bus *bus, struct pic *pic);

#endif
