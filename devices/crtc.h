/*
 * crtc.h - the CRT controller of a colour text display (the 6845 of the CGA,
 * kept by every VGA) at ports 0x3D4/0x3D5 (chapter 6, "What an MP kernel
 * expects of a PC").
 *
 * We show no screen: text written to video memory at 0xB8000 lands in RAM
 * and nobody looks. But kernels keep their cursor position in the CRTC's
 * registers 14 and 15 and trust what they read back, so the registers must
 * hold what was written (an unassigned port reads 0xFF, which sent xv6's
 * console into a "pos under/overflow" panic).
 */
#ifndef DEVICES_CRTC_H
#define DEVICES_CRTC_H

#include <stdint.h>

struct bus;

#define CRTC_INDEX_PORT 0x3D4
#define CRTC_REGS       0x19            /* 6845/VGA registers 0x00-0x18 */

struct crtc {
    uint8_t index;
    uint8_t reg[CRTC_REGS];
};

/* Reset (cursor at 0) and claim ports 0x3D4-0x3D5. Returns 0 or -1. */
int crtc_init(struct crtc *crtc, struct bus *bus);

#endif
