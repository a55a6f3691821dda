/*
 * vm.h - one virtual machine: guest RAM, the device bus with every device of
 * the toy PC, the virtual clock, the vCPU state and the engine that runs it
 * (chapter 2, "The machine").
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/bus.h"
#include "devices/crtc.h"
#include "devices/debug-exit.h"
#include "devices/ide.h"
#include "devices/ioapic.h"
#include "devices/kbd8042.h"
#include "devices/lapic.h"
#include "devices/pci.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"
#include "devices/rtc.h"
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
    bool        disk_readonly;          /* --disk FILE,readonly */
    const char *ide_path[IDE_DRIVES];   /* --disk FILE,if=ide,index=N; NULL: no drive */
    bool        ide_readonly[IDE_DRIVES];
    bool        trace_exits;            /* print every exit to stderr */
    double      timeout_s;              /* 0: none */
    const char *shadow;                 /* trap engine: "vtlb" or "traced" (default) */
    const char *mmu_model;              /* interp: "shadow", "nested", "both" or NULL */
};

/* Why an engine returned VM_STOP_DEBUG (chapter 7, "Stopping the guest"). */
enum vm_debug_why {
    VM_DEBUG_NONE,
    VM_DEBUG_BREAK,                     /* EIP reached a breakpoint */
    VM_DEBUG_STEP,                      /* the instructions of `step N` ran */
    VM_DEBUG_EXIT,                      /* the exit `break exit REASON` waits for happened */
    VM_DEBUG_REQUEST,                   /* the user asked (Ctrl-A c, gdb's Ctrl-C) */
    VM_DEBUG_WATCH,                     /* an instruction touched a watched range */
};

#define VM_MAX_BREAKPOINTS 16
#define VM_MAX_WATCHPOINTS 4            /* as x86's debug registers */

/* A watchpoint: stop after an instruction that reads or writes (kind) any
 * byte of [addr, addr+len). Guest-virtual, as the guest sees it now. */
enum { VM_WATCH_READ = 1, VM_WATCH_WRITE = 2 };
struct vm_watch {
    uint32_t addr, len;                 /* len 1..8 */
    unsigned kind;                      /* VM_WATCH_* */
    unsigned id;                        /* numbered with the breakpoints */
    uint64_t old;                       /* the value last seen, for "old/new" */
    bool     old_known;                 /* false: not mapped when last looked at */
};

/* The monitor's and the gdb stub's hold on the running guest (chapter 7).
 * Engines look at it only while `active` is set, so a run without a
 * debugger pays one flag test per instruction (interp) or entry (trap). */
struct vm_debug {
    bool     active;                    /* any of the below: vm_debug_update() */
    uint32_t breaks[VM_MAX_BREAKPOINTS];/* EIPs to stop before, oldest first */
    unsigned break_ids[VM_MAX_BREAKPOINTS]; /* their numbers: never reused, never renumbered */
    unsigned nbreaks;
    unsigned last_break_id;
    uint64_t steps;                     /* instructions still to run; 0: not stepping */
    int      stop_exit;                 /* basic exit reason to stop after; -1: none */
    struct vm_watch watches[VM_MAX_WATCHPOINTS];
    unsigned nwatches;
    int      watch_hit;                 /* VM_DEBUG_WATCH: which one */
    uint32_t watch_lin;                 /*   the access that hit: address, */
    bool     watch_write;               /*   and whether it wrote */
    bool     resuming;                  /* no breakpoint before the first instruction */
    bool     step_irqs;                 /* `set step-irqs on`: timer ticks and interrupts
                                           go on during `step` (default off, as QEMU's
                                           gdbstub: a step runs the next instruction) */
    enum vm_debug_why why;              /* set: the engine must stop */
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
    struct lapic       lapic;           /* the CPU's local APIC; the 8259s on its LINT0 */
    struct ioapic      ioapic;
    struct ide         ide;             /* IDE controller, drives from --disk ...,if=ide */
    struct kbd8042     kbd;             /* keyboard controller with no key pressed */
    struct rtc         rtc;             /* CMOS clock */
    struct crtc        crtc;            /* the text display's cursor registers */
    uint64_t           now_ns;          /* virtual time, advanced by the engine */
    struct x86_cpu     cpu;             /* the vCPU, for engines that keep it here */
    struct vmcs        vmcs;            /* filled at every exit */
    struct exit_stats  exits;
    const struct engine *engine;
    void              *engine_state;
    uint64_t           start_host_ns;   /* for --timeout and the statistics */
    struct vm_debug    debug;           /* breakpoints, stepping (chapter 7) */
};

/* Build the machine: RAM, bus, devices. 0, or -1 with a message in err. */
int  vm_create(struct vm *vm, const struct vm_config *config, char *err, size_t errlen);
void vm_destroy(struct vm *vm);

/* An access of size bytes to guest-physical gpa that is not RAM, for the
 * executor's env (ctx is the vm): every engine that emulates instructions
 * sends it to the bus the same way. Nothing there reads as all ones. */
uint32_t vm_mmio_read(void *ctx, uint32_t gpa, unsigned size);
void     vm_mmio_write(void *ctx, uint32_t gpa, unsigned size, uint32_t value);

/* ---- interrupts and timers, whichever controller the guest uses (chapter 6) ---- */

/* True when an interrupt asks for the CPU: from the local APIC, or the 8259s through LINT0. */
bool     vm_interrupt_pending(struct vm *vm);

/* The CPU takes it (INTA): the vector to deliver. */
int      vm_interrupt_acknowledge(struct vm *vm);

/* Bring every timer (PIT, APIC timer) up to virtual time now_ns. */
void     vm_timers_update(struct vm *vm, uint64_t now_ns);

/* Virtual time of the next timer interrupt (now_ns if due), UINT64_MAX if none. */
uint64_t vm_timers_next_ns(struct vm *vm, uint64_t now_ns);

/* --stats: the counters of the MP-era devices the guest used (IDE, APICs). */
void     vm_print_device_stats(struct vm *vm, FILE *out);

/* Record one exit in the statistics (and trace it if asked). */
void vm_record_exit(struct vm *vm, unsigned reason, uint64_t host_ns);

/* ---- debugging hooks (chapter 7); engines call the two below only while
 * vm->debug.active ---- */

/* At an instruction boundary, before the instruction at eip: true when the
 * guest must stop here (breakpoint, step count done, awaited exit seen). */
bool vm_debug_stop_here(struct vm *vm, uint32_t eip);

/* One guest instruction retired: count it against `step N`. */
void vm_debug_retired(struct vm *vm);

/* A data access the executor made (x86_env.watch): stop after this
 * instruction if it touches a watched range. */
void vm_debug_access(struct vm *vm, uint32_t lin, unsigned len, bool write);

/* Recompute debug.active after changing breakpoints, steps or stop_exit. */
void vm_debug_update(struct vm *vm);

/* True while the user steps with interrupts masked (debug.steps > 0 and not
 * step_irqs): engines then inject no interrupt and hold virtual time still,
 * so that `step` runs the next instruction, not the timer's handler. */
static inline bool vm_debug_masks_irqs(const struct vm *vm)
{
    // A halted CPU waits for an interrupt: masking it would never end the step.
    return vm->debug.active && vm->debug.steps > 0 && !vm->debug.step_irqs && !vm->cpu.halted;
}

#endif
