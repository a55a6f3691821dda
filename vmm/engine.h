/*
 * engine.h - what every execution engine provides (chapter 2, "Engines").
 *
 * The core owns the machine (RAM, devices, clock); an engine only runs the
 * vCPU. run() returns whenever the core must look: the guest asked to power
 * off, the CPU stopped (triple fault), time is up, or the user quit.
 * get_state/set_state speak the engine-neutral struct x86_cpu, which is how
 * a running guest moves from one engine to another.
 */
#ifndef VMM_ENGINE_H
#define VMM_ENGINE_H

#include <stdio.h>

#include "vmm/x86/cpu.h"

struct vm;

/* Why run() returned. */
enum vm_stop {
    VM_STOP_POWEROFF,                   /* the guest wrote to the debug-exit port */
    VM_STOP_TRIPLE_FAULT,               /* the CPU shut down */
    VM_STOP_TIMEOUT,                    /* --timeout elapsed */
    VM_STOP_QUIT,                       /* the user pressed Ctrl-A x */
    VM_STOP_ERROR,                      /* the engine could not go on (message printed) */
    VM_STOP_DEBUG,                      /* for the monitor: vm->debug.why says why */
};

struct engine {
    const char *name;
    int  (*init)(struct vm *vm);        /* 0, or -1 with a message */
    enum vm_stop (*run)(struct vm *vm);
    void (*get_state)(struct vm *vm, struct x86_cpu *out);
    void (*set_state)(struct vm *vm, const struct x86_cpu *in);
    void (*print_stats)(struct vm *vm, FILE *out);       /* engine's own counters */
    void (*destroy)(struct vm *vm);
    /* For the monitor (chapter 7); may be NULL. What the engine holds for
     * the page of gva (soft-TLB entry, shadow mapping), and its whole TLB. */
    void (*show_page)(struct vm *vm, uint32_t gva, FILE *out);
    void (*show_tlb)(struct vm *vm, FILE *out);
    /* For --stats=json; may be NULL: the engine's own counters as one JSON
     * object (soft TLB, shadow, walk model), so benchmarks can read them. */
    void (*json_stats)(struct vm *vm, FILE *out);
};

extern const struct engine interp_engine;
extern const struct engine trap_engine;
/* Can this host run the trap engine at all? It needs a 32-bit user code
 * segment in the host's GDT (chapter 3). false, with the reason in why. */
bool trap_engine_supported(char *why, size_t len);
extern const struct engine kvm_engine;

#endif
