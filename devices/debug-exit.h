/*
 * debug-exit.h - QEMU's isa-debug-exit device at port 0xF4 (chapter 2,
 * "Devices and interrupts").
 *
 * The toy PC has no ACPI to power off with. The guest writes its exit code
 * to port 0xF4 instead; the device only records the request, and the run
 * loop checks it after each I/O exit and stops the VM.
 */
#ifndef DEVICES_DEBUG_EXIT_H
#define DEVICES_DEBUG_EXIT_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

#define DEBUG_EXIT_PORT 0xF4
#define DEBUG_EXIT_SIZE 4          /* QEMU's -device isa-debug-exit,iobase=0xf4,iosize=4 */

struct debug_exit {
    bool     requested;             /* the guest asked to stop */
    uint32_t code;                  /* the value it wrote: our VMM exits with it */
};

/* Claim ports 0xF4-0xF7. Returns 0 or -1. */
int debug_exit_init(struct debug_exit *dx, struct bus *bus);

#endif
