/*
 * vm.h - one virtual machine: guest RAM, the device bus with every device of
 * the toy PC, the virtual clock, the vCPU state and the engine that runs it
 * (chapter 2, "The machine").
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/debug-exit.h"
#include "devices/pci.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/uart16550.h"
#include "devices/virtio-blk.h"
#include "vmm/engine.h"
#include "vmm/exit-stats.h"
#include "vmm/guest-mem.h"
#include "vmm/vmcs.h"
#include "vmm/x86/cpu.h"

/* Where the VMM puts what firmware would have assigned. */
#define VM_VBLK_SLOT    4
#define VM_VBLK_IO_BASE 0xC000
#define VM_VBLK_IRQ     11

struct vm_config {
    uint64_t    mem_bytes;
    const char *disk_path;              /* NULL: no disk */
    bool        trace_exits;            /* print every exit to stderr */
    double      timeout_s;              /* 0: none */
    const char *shadow;                 /* trap engine: "vtlb" or "traced" (default) */
};

struct vm {
    struct vm_config   config;
    struct guest_mem   mem;
    struct bus         bus;
    struct pic         pic;
    struct pit         pit;
    struct uart        uart;
    struct pci         pci;
    struct vblk        vblk;
    bool               has_disk;
    struct debug_exit  debug_exit;
    uint64_t           now_ns;          /* virtual time, advanced by the engine */
    struct x86_cpu     cpu;             /* the vCPU, for engines that keep it here */
    struct vmcs        vmcs;            /* filled at every exit */
    struct exit_stats  exits;
    const struct engine *engine;
    void              *engine_state;
    uint64_t           start_host_ns;   /* for --timeout and the statistics */
};

/* Build the machine: RAM, bus, devices. 0, or -1 with a message in err. */
int  vm_create(struct vm *vm, const struct vm_config *config, char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/* Record one exit in the statistics (and trace it if asked). */
void vm_record_exit(struct vm *vm, unsigned reason, uint64_t host_ns);

#endif
