/*
 * engine-interp.c - the interpreter engine (chapter 2).
 *
 * Runs the guest one instruction at a time through the x86 executor
 * (vmm/x86/), with a software MMU: every memory access looks in the software
 * TLB, and on a miss walks the guest's page tables (shadow-mmu/page-walk.c)
 * and fills the TLB. Port I/O goes to the device bus.
 *
 * Time is virtual and deterministic: the clock advances NS_PER_INSN per
 * retired instruction, and a halted CPU skips straight to the next timer
 * event. The PIT and rdtsc follow that clock, so two runs of the same guest
 * print the same output after the same number of instructions.
 *
 * An interpreter has no VM exits, but the points where the VMM steps in are
 * recorded under the SDM's exit reasons (I/O instruction, HLT, external
 * interrupt, CR access, INVLPG), so its statistics compare with the other
 * engines'.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shadow-mmu/page-walk.h"
#include "shadow-mmu/soft-tlb.h"
#include "shadow-mmu/walk-model.h"
#include "vmm/console.h"
#include "vmm/lab.h"
#include "vmm/vm.h"
#include "vmm/x86/decode.h"
#include "vmm/x86/x86.h"

#define NS_PER_INSN 10                  /* a 100 MIPS virtual CPU */
#define BATCH       2048                /* instructions between device updates */

struct interp {
    struct soft_tlb tlb;
    struct x86_env  env;
    uint64_t        halts_skipped_ns;
    uint64_t        batch_start;        /* cpu.instructions when now_ns was last advanced */
    uint32_t        insn_eip;           /* where the current instruction starts */
    struct walk_model model;            /* --mmu-model (chapter 8); mode WM_OFF: unused */
    bool            stripped[TLB_ENTRIES];  /* write right withheld: a traced page table */
    uint64_t        epoch_seen;         /* model.traced_epoch at the last TLB sweep */
    uint64_t        debug_counted;      /* cpu.instructions the monitor has seen */
};

static struct interp *state_of(struct vm *vm)
{
    return vm->engine_state;
}

/* ---- the walk-cost model (--mmu-model, chapter 8) ---- */

/* Withhold write access from TLB slot i if its frame is a page table the
 * modelled shadow traces, so that every guest write to it comes back here,
 * as it would trap under shadow paging. */
static void model_protect_slot(struct vm *vm, struct interp *in, unsigned i)
{
    struct tlb_entry *e = &in->tlb.e[i];
    in->stripped[i] = false;
    if (e->page == TLB_NO_PAGE)
        return;
    if (wm_traced(&in->model, (uint32_t)(e->host - vm->mem.host))) {
        e->perms &= ~(TLB_SW | TLB_UW);
        in->stripped[i] = true;
    }
}

/* Tell the model about a TLB miss that walked successfully (w, for an
 * access of kind pacc). A miss that only happened because the model took
 * the write right away is no TLB miss on hardware, only the write trap. */
static void model_miss(struct vm *vm, struct interp *in, const struct pw_result *w,
                       unsigned pacc, bool withheld)
{
    struct walk_model *m = &in->model;
    bool traced = wm_traced(m, w->gpa);
    if (!(withheld && traced))
        wm_tlb_miss(m, w, true, pacc, vm->cpu.cr0, vm->cpu.cr3, vm->cpu.cr4);
    if ((pacc & PW_ACC_WRITE) && traced)
        wm_pt_write(m, w->gpa);
    if (m->traced_epoch != in->epoch_seen) {    // new traced frames: sweep the TLB
        in->epoch_seen = m->traced_epoch;
        for (unsigned i = 0; i < TLB_ENTRIES; i++)
            model_protect_slot(vm, in, i);
    } else {
        model_protect_slot(vm, in, (w->lin >> 12) & (TLB_ENTRIES - 1));
    }
}

/* ---- the executor's view of memory, ports and time ---- */

static uint8_t *interp_translate(void *ctx, uint32_t lin, unsigned acc,
                                 struct x86_xlate_fault *f)
{
    struct vm *vm = ctx;
    struct interp *in = state_of(vm);
    unsigned pacc = ((acc & X86_ACC_WRITE) ? PW_ACC_WRITE : 0) |
                    ((acc & X86_ACC_USER) ? PW_ACC_USER : 0);
    uint8_t *host = tlb_lookup(&in->tlb, lin, pacc);
    if (host)
        return host;
    unsigned slot = (lin >> 12) & (TLB_ENTRIES - 1);
    bool withheld = in->stripped[slot] && in->tlb.e[slot].page == lin >> 12;
    struct pw_result w;
    if (pw_walk(&vm->mem, vm->cpu.cr0, vm->cpu.cr3, vm->cpu.cr4, lin, pacc, &w) < 0) {
        if (in->model.mode != WM_OFF)
            wm_tlb_miss(&in->model, &w, false, pacc, vm->cpu.cr0, vm->cpu.cr3, vm->cpu.cr4);
        f->page_fault = true;
        f->error_code = w.error_code;
        return NULL;
    }
    host = tlb_fill(&in->tlb, &vm->mem, &w, vm->cpu.cr0, vm->cpu.cr4);
    if (in->model.mode != WM_OFF && host)
        model_miss(vm, in, &w, pacc, withheld);
    if (!host) {
        f->page_fault = false;          // not RAM: the executor goes to MMIO
        f->gpa = w.gpa;
    }
    return host;
}

/* Decode the instruction that is running (at insn_eip) for an exit's
 * qualification and length. false if its bytes cannot be read. */
static bool current_insn(struct vm *vm, struct x86_insn *insn, uint8_t *bytes)
{
    struct interp *in = state_of(vm);
    const struct x86_cpu *c = &vm->cpu;
    unsigned n = 0;
    // pw_peek, not the TLB: looking sets no A bit and counts in no model.
    while (n < X86_MAX_INSN_LEN) {
        uint32_t lin = c->seg[X86_CS].base + in->insn_eip + n;
        unsigned chunk = 4096 - (lin & 0xFFF);
        if (chunk > X86_MAX_INSN_LEN - n)
            chunk = X86_MAX_INSN_LEN - n;
        struct pw_result w;
        const uint8_t *p = pw_peek(&vm->mem, c->cr0, c->cr3, c->cr4, lin, PW_ACC_READ, &w) < 0
            ? NULL : gpa_ptr(&vm->mem, w.gpa, chunk);
        if (!p)
            break;
        memcpy(bytes + n, p, chunk);
        n += chunk;
    }
    bool d32 = vm->cpu.seg[X86_CS].attr & X86_AR_DB;
    return n > 0 && x86_decode(bytes, n, d32, insn) > 0;
}

/* VM_EXIT_INSTRUCTION_LEN is defined for exits an instruction caused
 * (SDM 27.2.5); for the others (interrupts, triple fault) it stays 0. */
static unsigned exit_insn_len(struct vm *vm, unsigned reason)
{
    struct x86_insn insn;
    uint8_t bytes[X86_MAX_INSN_LEN];
    bool by_insn = reason == EXIT_REASON_IO_INSTRUCTION || reason == EXIT_REASON_HLT ||
                   reason == EXIT_REASON_CR_ACCESS || reason == EXIT_REASON_INVLPG;
    return by_insn && current_insn(vm, &insn, bytes) ? insn.len : 0;
}

/* Fill the exit-information fields of the software VMCS and count the exit. */
static void record_exit(struct vm *vm, unsigned reason, uint64_t qualification, uint64_t t0)
{
    vmcs_set_exit_info(&vm->vmcs, VM_EXIT_REASON, reason);
    vmcs_set_exit_info(&vm->vmcs, EXIT_QUALIFICATION, qualification);
    vmcs_set_exit_info(&vm->vmcs, VM_EXIT_INSTRUCTION_LEN, exit_insn_len(vm, reason));
    // As VT-x does: the instruction that caused the exit, not the next one.
    vmcs_set_exit_info(&vm->vmcs, GUEST_RIP, state_of(vm)->insn_eip);
    vm_record_exit(vm, reason, exit_stats_now_ns() - t0);
}

/* The I/O qualification (SDM table 27-5): size, direction and port from
 * the access; string, rep and immediate forms from the instruction. */
static uint64_t io_qualification(struct vm *vm, unsigned size, bool in, uint16_t port)
{
    struct vmcs_io_qual q = { .size = size, .in = in, .port = port };
    struct x86_insn insn;
    uint8_t bytes[X86_MAX_INSN_LEN];
    if (current_insn(vm, &insn, bytes)) {
        q.string = insn.op >= 0x6C && insn.op <= 0x6F;
        q.rep = q.string && insn.rep != 0;
        q.imm = insn.op >= 0xE4 && insn.op <= 0xE7;
    }
    return vmcs_io_qual_encode(&q);
}

/* The CR-access qualification (SDM table 27-3) of the instruction that
 * wrote a control register: mov to CRn (register, GPR), clts or lmsw. */
static uint64_t cr_qualification(struct vm *vm)
{
    struct x86_insn insn;
    uint8_t bytes[X86_MAX_INSN_LEN];
    struct vmcs_cr_qual q = { .type = VMCS_CR_MOV_TO };
    if (!current_insn(vm, &insn, bytes))
        return 0;
    if (insn.op == 0x122 || insn.op == 0x120) {
        q.cr = insn.reg;
        q.type = insn.op == 0x122 ? VMCS_CR_MOV_TO : VMCS_CR_MOV_FROM;
        q.gpr = insn.rm;
    } else if (insn.op == 0x106) {
        q.type = VMCS_CR_CLTS;
    } else if (insn.op == 0x101 && insn.reg == 6) {
        q.type = VMCS_CR_LMSW;
        q.lmsw_mem = insn.mem;
        q.lmsw_data = (uint16_t)vm->cpu.cr0;    // written already: its low word is the source
    } else {
        return 0;                       // not an instruction VT-x reports this way
    }
    return vmcs_cr_qual_encode(&q);
}

static uint32_t interp_io_in(void *ctx, uint16_t port, unsigned size)
{
    struct vm *vm = ctx;
    uint64_t t0 = exit_stats_now_ns();
    uint32_t value = 0;
    bus_pio(&vm->bus, port, size, false, &value);
    record_exit(vm, EXIT_REASON_IO_INSTRUCTION,
                io_qualification(vm, size, true, port), t0);
    return value;
}

static void interp_io_out(void *ctx, uint16_t port, unsigned size, uint32_t value)
{
    struct vm *vm = ctx;
    uint64_t t0 = exit_stats_now_ns();
    bus_pio(&vm->bus, port, size, true, &value);
    record_exit(vm, EXIT_REASON_IO_INSTRUCTION,
                io_qualification(vm, size, false, port), t0);
}

static void interp_flush_tlb(void *ctx)
{
    struct vm *vm = ctx;
    uint64_t t0 = exit_stats_now_ns();
    tlb_flush_all(&state_of(vm)->tlb);
    wm_new_paging(&state_of(vm)->model, vm->cpu.cr0, vm->cpu.cr3, vm->cpu.cr4);
    record_exit(vm, EXIT_REASON_CR_ACCESS, cr_qualification(vm), t0);
}

static void interp_invlpg(void *ctx, uint32_t lin)
{
    struct vm *vm = ctx;
    uint64_t t0 = exit_stats_now_ns();
    tlb_flush_page(&state_of(vm)->tlb, lin);
    wm_invlpg(&state_of(vm)->model, lin);
    record_exit(vm, EXIT_REASON_INVLPG, lin, t0);
}

/* The executor made a data access while watchpoints are set (chapter 7). */
static void interp_watch(void *ctx, uint32_t lin, unsigned len, bool write)
{
    vm_debug_access(ctx, lin, len, write);
}

static uint64_t interp_rdtsc(void *ctx)
{
    struct vm *vm = ctx;
    // A 1 GHz time-stamp counter on virtual time, exact to the instruction
    // (now_ns itself only moves between batches).
    return vm->now_ns + (vm->cpu.instructions - state_of(vm)->batch_start) * NS_PER_INSN;
}

/* ---- the engine ---- */

static int interp_init(struct vm *vm)
{
    struct interp *in = calloc(1, sizeof(*in));
    if (!in)
        return -1;
    tlb_init(&in->tlb);
    int mode = vm->config.mmu_model ? wm_parse_mode(vm->config.mmu_model) : WM_OFF;
    if (mode < 0 || (mode != WM_OFF && wm_init(&in->model, mode, &vm->mem) < 0)) {
        console_printf("vmm: --mmu-model %s: cannot set up the model\n", vm->config.mmu_model);
        free(in);
        return -1;
    }
    in->env = (struct x86_env){
        .ctx = vm,
        .translate = interp_translate,
        .mmio_read = vm_mmio_read,
        .mmio_write = vm_mmio_write,
        .io_in = interp_io_in,
        .io_out = interp_io_out,
        .flush_tlb = interp_flush_tlb,
        .invlpg = interp_invlpg,
        .rdtsc = interp_rdtsc,
    };
    vm->engine_state = in;
    // The controls of a VT-x VMM that would take the exits this engine
    // reports (SDM 24.6): interrupts, hlt, invlpg, CR3 loads, every I/O.
    vmcs_set_controls(&vm->vmcs, PIN_BASED_EXT_INTR_MASK,
                      CPU_BASED_HLT_EXITING | CPU_BASED_INVLPG_EXITING |
                      CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_UNCOND_IO_EXITING);
    return 0;
}

/* Give the CPU an interrupt from the PIC if it can take one now. */
static enum x86_status maybe_interrupt(struct vm *vm, struct interp *in)
{
    if (!x86_interrupts_enabled(&vm->cpu) || !vm_interrupt_pending(vm))
        return X86_STEP_OK;
    uint64_t t0 = exit_stats_now_ns();
    in->insn_eip = vm->cpu.eip;         // GUEST_RIP: where the guest was interrupted
    int vector = vm_interrupt_acknowledge(vm);
    enum x86_status st = x86_external_interrupt(&vm->cpu, &in->env, (uint8_t)vector);
    record_exit(vm, EXIT_REASON_EXTERNAL_INTERRUPT, 0, t0);
    return st;
}

/* The CPU executed hlt: jump the clock to the next timer event. While the
 * user may still type, wait a little in real time too, so that an idle
 * shell does not spin the host CPU. Returns false if it can never wake. */
static bool wait_for_event(struct vm *vm, struct interp *in)
{
    if (!(vm->cpu.eflags & X86_FLAG_IF))
        return false;
    uint64_t next = vm_timers_next_ns(vm, vm->now_ns);
    if (next == UINT64_MAX)
        return console_wait_input(100);     // no timer: only input can wake it
    if (next > vm->now_ns) {
        in->halts_skipped_ns += next - vm->now_ns;
        uint64_t wait_ms = (next - vm->now_ns) / 1000000;
        vm->now_ns = next;
        if (wait_ms > 0) {
            struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
            console_flush();
            poll(&p, 1, wait_ms > 10 ? 10 : (int)wait_ms);
        }
    }
    vm_timers_update(vm, vm->now_ns);
    return true;
}

static void report_triple_fault(struct vm *vm)
{
    const struct x86_cpu *c = &vm->cpu;
    console_printf("vmm: triple fault: the guest CPU shut down\n"
                   "  eip=0x%08x eflags=0x%08x cpl=%u cr0=0x%08x cr2=0x%08x cr3=0x%08x\n"
                   "  eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x esp=0x%08x ebp=0x%08x\n",
                   c->eip, c->eflags, c->cpl, c->cr0, c->cr2, c->cr3, c->gpr[X86_EAX],
                   c->gpr[X86_EBX], c->gpr[X86_ECX], c->gpr[X86_EDX], c->gpr[X86_ESP],
                   c->gpr[X86_EBP]);
}

/* The monitor's hook at each instruction boundary, only while
 * vm->debug.active (chapter 7): count the instruction just retired, then
 * say whether to stop before the next one. */
static bool debug_before(struct vm *vm)
{
    struct interp *in = state_of(vm);
    if (vm->cpu.instructions != in->debug_counted) {
        in->debug_counted = vm->cpu.instructions;
        vm_debug_retired(vm);
    }
    return vm_debug_stop_here(vm, vm->cpu.eip);
}

static enum vm_stop interp_run(struct vm *vm)
{
    struct interp *in = state_of(vm);
    uint64_t deadline = vm->config.timeout_s > 0
        ? vm->start_host_ns + (uint64_t)(vm->config.timeout_s * 1e9) : UINT64_MAX;
    in->debug_counted = vm->cpu.instructions;
    // Watchpoints live in the executor's memory path; without any, the
    // path pays one NULL test.
    in->env.watch = vm->debug.nwatches ? interp_watch : NULL;
    for (unsigned batches = 0;; batches++) {
        uint64_t start = vm->cpu.instructions;
        bool debug_stop = false;
        // `step` masks interrupts and holds virtual time still (chapter 7).
        bool masked = vm_debug_masks_irqs(vm);
        in->batch_start = start;
        for (int i = 0; i < BATCH; i++) {
            enum x86_status st = masked ? X86_STEP_OK : maybe_interrupt(vm, in);
            // The monitor's breakpoints and steps: one flag test when unused.
            if (vm->debug.active && st == X86_STEP_OK && (debug_stop = debug_before(vm)))
                break;
            in->insn_eip = vm->cpu.eip;
            if (st == X86_STEP_OK)
                st = x86_step(&vm->cpu, &in->env);
            if (vm->debug.why == VM_DEBUG_WATCH && (debug_stop = true))
                break;                  // a watchpoint: stop right after the access
            if (vm->debug_exit.requested)
                return VM_STOP_POWEROFF;
            if (st == X86_STEP_TRIPLE_FAULT) {
                record_exit(vm, EXIT_REASON_TRIPLE_FAULT, 0, exit_stats_now_ns());
                report_triple_fault(vm);
                return VM_STOP_TRIPLE_FAULT;
            }
            if (st == X86_STEP_HALT) {
                record_exit(vm, EXIT_REASON_HLT, 0, exit_stats_now_ns());
                break;
            }
        }
        if (!masked)
            vm->now_ns += (vm->cpu.instructions - start) * NS_PER_INSN;
        vm_timers_update(vm, vm->now_ns);
        if (debug_stop)
            return VM_STOP_DEBUG;
        if (vm->cpu.halted && !vm_interrupt_pending(vm) && !wait_for_event(vm, in)) {
            console_printf("vmm: the guest halted %s; nothing can wake it\n",
                           (vm->cpu.eflags & X86_FLAG_IF) ? "with no timer running and no input left"
                                                          : "with interrupts disabled");
            return VM_STOP_ERROR;
        }
        if (console_poll(&vm->uart))
            return VM_STOP_QUIT;
        if (lab_missing) {
            console_printf("vmm: guest stopped: a piece of a lab is missing (see above)\n");
            return VM_STOP_ERROR;
        }
        if ((batches & 63) == 0) {
            console_flush();
            if (exit_stats_now_ns() > deadline)
                return VM_STOP_TIMEOUT;
        }
    }
}

static void interp_get_state(struct vm *vm, struct x86_cpu *out)
{
    *out = vm->cpu;
}

static void interp_set_state(struct vm *vm, const struct x86_cpu *in)
{
    vm->cpu = *in;
    tlb_flush_all(&state_of(vm)->tlb);
}

static void interp_print_stats(struct vm *vm, FILE *out)
{
    struct interp *in = state_of(vm);
    fprintf(out, "tlb: hits %llu, misses %llu, flushes %llu, page flushes %llu\n",
            (unsigned long long)in->tlb.hits, (unsigned long long)in->tlb.misses,
            (unsigned long long)in->tlb.flushes, (unsigned long long)in->tlb.page_flushes);
    fprintf(out, "virtual time: %.3f s (%.3f s skipped while halted)\n", vm->now_ns / 1e9,
            in->halts_skipped_ns / 1e9);
    wm_print(&in->model, out);
}

/* --stats=json: the soft TLB's counters and, with --mmu-model, the model's. */
static void interp_json_stats(struct vm *vm, FILE *out)
{
    struct interp *in = state_of(vm);
    fprintf(out, "{\"tlb\": {\"hits\": %llu, \"misses\": %llu, \"flushes\": %llu, "
                 "\"page_flushes\": %llu}",
            (unsigned long long)in->tlb.hits, (unsigned long long)in->tlb.misses,
            (unsigned long long)in->tlb.flushes, (unsigned long long)in->tlb.page_flushes);
    if (in->model.mode != WM_OFF) {
        fprintf(out, ",\n  \"mmu_model\": ");
        wm_json(&in->model, out);
    }
    fprintf(out, "}");
}

static void interp_destroy(struct vm *vm)
{
    if (vm->engine_state)
        wm_destroy(&state_of(vm)->model);
    free(vm->engine_state);
    vm->engine_state = NULL;
}

/* The monitor's `pt`: what the soft TLB holds for gva's page. */
static void interp_show_page(struct vm *vm, uint32_t gva, FILE *out)
{
    const struct soft_tlb *t = &state_of(vm)->tlb;
    unsigned slot = (gva >> 12) & (TLB_ENTRIES - 1);
    const struct tlb_entry *e = &t->e[slot];
    if (e->page != gva >> 12) {
        fprintf(out, "soft TLB: slot %u does not hold this page (the next access walks)\n",
                slot);
        return;
    }
    fprintf(out, "soft TLB: slot %u -> GPA 0x%08llx,%s%s%s%s%s%s\n", slot,
            (unsigned long long)(e->host - vm->mem.host + (gva & 0xFFF)),
            e->perms & TLB_SR ? " sr" : "", e->perms & TLB_SW ? " sw" : "",
            e->perms & TLB_UR ? " ur" : "", e->perms & TLB_UW ? " uw" : "",
            e->global ? " global" : "", e->big ? " 4M" : "");
}

static void interp_show_tlb(struct vm *vm, FILE *out)
{
    tlb_print(&state_of(vm)->tlb, &vm->mem, out);
}

const struct engine interp_engine = {
    .name = "interp",
    .init = interp_init,
    .run = interp_run,
    .get_state = interp_get_state,
    .set_state = interp_set_state,
    .print_stats = interp_print_stats,
    .destroy = interp_destroy,
    .json_stats = interp_json_stats,
    .show_page = interp_show_page,
    .show_tlb = interp_show_tlb,
};
