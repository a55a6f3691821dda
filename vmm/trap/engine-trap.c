/*
 * engine-trap.c - the trap-and-emulate engine (chapters 3 and 4).
 *
 * The guest runs natively on the host CPU, in a process of its own (the
 * stub, trap-stub.c, started and driven by trap-process.c), in 32-bit
 * compatibility mode at ring 3 - its kernel too ("de-privileged"). Whatever
 * the de-privileged guest may not do, the CPU refuses with an exception,
 * which the stub reports through the page it shares with us: that is our VM
 * exit. We check it (check_exit: the stub may be the guest's by now), then
 * do it for the guest, against its virtual CPU state, with the same x86
 * executor the interpreter uses (one instruction), and enter the guest again.
 *
 * The guest's virtual addresses are the stub's: its low 4 GiB, filled by the
 * shadow page table (shadow-mmu/shadow.c decides, trap-host.c queues the
 * mappings, the stub makes them). A page fault there is either a "hidden"
 * fault (the guest's tables map the page, the shadow did not yet: fill it
 * and go on) or a true fault (inject #PF into the guest).
 *
 * The exits we expect, and why:
 *   #GP  privileged instructions (cli, sti, hlt, in/out, mov CRn, lgdt,
 *        lidt, ltr, invlpg, iret, int n), loads of guest selectors that
 *        mean something else to the host CPU             -> emulate
 *   #PF  shadow not filled, a write to a traced page table, a true fault,
 *        memory that is not RAM (MMIO)                    -> shadow_fault
 *   #UD, #NP, #TS, #SS                                   -> emulate (the
 *        executor decides whether the guest gets the exception)
 *   #DE, #DB, #BR, #MF, #AC                              -> reflect to the guest
 *   #BP, #OF (int3, into: traps)                         -> emulate again
 *   the timer signal                                     -> external interrupt
 *   SIGSYS (seccomp: a host system call from the guest)  -> stop the guest
 */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shadow-mmu/page-walk.h"
#include "shadow-mmu/shadow.h"
#include "vmm/console.h"
#include "vmm/lab.h"
#include "vmm/trap/trap.h"
#include "vmm/vm.h"
#include "vmm/x86/decode.h"
#include "vmm/x86/system.h"
#include "vmm/x86/x86.h"

#define TICK_US   1000                  /* host timer: how often a running guest is interrupted */
#define USER_DS   TRAP_USER_DS          /* what the stub loads into DS, ES and SS */

/* The EFLAGS bits the guest's native run owns; the rest (IF, IOPL, NT...)
 * are virtual and live only in vm->cpu. */
#define NATIVE_FLAGS (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | \
                      X86_FLAG_SF | X86_FLAG_TF | X86_FLAG_DF | X86_FLAG_OF)

#define MAX_WRITTEN 8

struct trap {
    struct shadow   shadow;
    enum shadow_mode mode;
    struct x86_env  env;
    struct trap_stub stub;              /* the guest's own process */
    struct shadow_host_ops host_ops;    /* the shadow's changes, queued for it */
    struct trap_stub_exit exit;         /* the last exit, checked */
    uint32_t        cr0, cr4;           /* as the shadow last saw them */
    uint64_t        clock_start;
    uint32_t        written[MAX_WRITTEN];   /* guest-physical pages emulation wrote, */
    unsigned        nwritten;               /*   each once */
    bool            written_overflow;       /* ... and more than MAX_WRITTEN of them */
    uint32_t        snap_gpa;           /* page-table frame copied before an emulated */
    uint8_t         snap[4096];         /*   write to it, or 1 (no frame) */
    uint32_t        invlpg_lin;         /* the operand of the last emulated invlpg */
    bool            cpuid_faulting;     /* the host makes the guest's cpuid trap */
    uint64_t        native_entries;
    uint64_t        emulated;
    uint64_t        selector_repairs;
    uint64_t        segment_steps;      /* instructions run emulated for non-flat segments */
    bool            stepping;           /* this entry runs one instruction under our TF */
    uint32_t        break_pages[VM_MAX_BREAKPOINTS];  /* pages without PROT_EXEC (chapter 7) */
    unsigned        nbreak_pages;
    bool            break_fetch;        /* the last exit was a fetch from one of them */
    bool            window;             /* ... to open the interrupt window (see below) */
};

static struct trap *state_of(struct vm *vm)
{
    return vm->engine_state;
}

static uint64_t now_ns(struct trap *t)
{
    return exit_stats_now_ns() - t->clock_start;
}

/* ---- the executor's view of memory while it emulates one instruction ---- */

static void remember_written(struct trap *t, uint32_t gpa_page)
{
    for (unsigned i = 0; i < t->nwritten; i++)
        if (t->written[i] == gpa_page)
            return;
    if (t->nwritten < MAX_WRITTEN)
        t->written[t->nwritten++] = gpa_page;
    else
        t->written_overflow = true;
}

static uint8_t *trap_translate(void *ctx, uint32_t lin, unsigned acc, struct x86_xlate_fault *f)
{
    struct vm *vm = ctx;
    struct trap *t = state_of(vm);
    unsigned pacc = ((acc & X86_ACC_WRITE) ? PW_ACC_WRITE : 0) |
                    ((acc & X86_ACC_USER) ? PW_ACC_USER : 0);
    struct pw_result w;
    if (pw_walk(&vm->mem, vm->cpu.cr0, vm->cpu.cr3, vm->cpu.cr4, lin, pacc, &w) < 0) {
        f->page_fault = true;
        f->error_code = w.error_code;
        return NULL;
    }
    uint8_t *host = gpa_ptr(&vm->mem, w.gpa, 1);
    if (!host) {
        f->page_fault = false;
        f->gpa = w.gpa;
        return NULL;
    }
    // Remember written pages: if one is a traced page table, the shadow
    // entries derived from it must go (after the instruction). A rep stos
    // writes one page many times: each page once. More pages than we can
    // list is not lost either: after_emulation then drops the whole shadow.
    if (acc & X86_ACC_WRITE)
        remember_written(t, w.gpa & ~0xFFFu);
    return host;
}

static uint32_t trap_io_in(void *ctx, uint16_t port, unsigned size)
{
    struct vm *vm = ctx;
    uint32_t value = 0;
    vm->now_ns = now_ns(state_of(vm));  // the PIT reads the clock
    bus_pio(&vm->bus, port, size, false, &value);
    return value;
}

static void trap_io_out(void *ctx, uint16_t port, unsigned size, uint32_t value)
{
    struct vm *vm = ctx;
    vm->now_ns = now_ns(state_of(vm));
    bus_pio(&vm->bus, port, size, true, &value);
}

/* CR0, CR3 or CR4 changed. A new CR3 is a context switch, which traced mode
 * survives; a change of paging mode throws the whole shadow away. */
static void trap_flush_tlb(void *ctx)
{
    struct vm *vm = ctx;
    struct trap *t = state_of(vm);
    const uint32_t mode_bits_cr0 = X86_CR0_PG | X86_CR0_WP | X86_CR0_PE;
    const uint32_t mode_bits_cr4 = X86_CR4_PSE | X86_CR4_PGE;
    if (((vm->cpu.cr0 ^ t->cr0) & mode_bits_cr0) || ((vm->cpu.cr4 ^ t->cr4) & mode_bits_cr4))
        shadow_flush(&t->shadow);
    else
        shadow_new_cr3(&t->shadow, vm->cpu.cr3);
    t->cr0 = vm->cpu.cr0;
    t->cr4 = vm->cpu.cr4;
}

static void trap_invlpg(void *ctx, uint32_t lin)
{
    struct vm *vm = ctx;
    state_of(vm)->invlpg_lin = lin;     // the exit qualification of INVLPG
    shadow_invlpg(&state_of(vm)->shadow, lin);
}

static uint64_t trap_rdtsc(void *ctx)
{
    return now_ns(state_of(ctx));       // a 1 GHz TSC on the host's clock
}

/* ---- exit bookkeeping: the software VMCS ---- */

/* Fill the exit-information and guest-state fields for an exit at rip. */
static void vmcs_exit_at(struct vm *vm, uint32_t rip, unsigned reason, uint64_t qualification,
                         unsigned insn_len, uint64_t t0)
{
    vmcs_set_exit_info(&vm->vmcs, VM_EXIT_REASON, reason);
    vmcs_set_exit_info(&vm->vmcs, EXIT_QUALIFICATION, qualification);
    vmcs_set_exit_info(&vm->vmcs, VM_EXIT_INSTRUCTION_LEN, insn_len);
    vmcs_set_exit_info(&vm->vmcs, GUEST_RIP, rip);
    vmcs_set_exit_info(&vm->vmcs, GUEST_RSP, vm->cpu.gpr[X86_ESP]);
    vmcs_set_exit_info(&vm->vmcs, GUEST_RFLAGS, vm->cpu.eflags);
    vmcs_set_exit_info(&vm->vmcs, GUEST_CR0, vm->cpu.cr0);
    vmcs_set_exit_info(&vm->vmcs, GUEST_CR3, vm->cpu.cr3);
    vmcs_set_exit_info(&vm->vmcs, GUEST_CR4, vm->cpu.cr4);
    vm_record_exit(vm, reason, exit_stats_now_ns() - t0);
}

static void vmcs_exit(struct vm *vm, unsigned reason, uint64_t qualification,
                      unsigned insn_len, uint64_t t0)
{
    vmcs_exit_at(vm, vm->cpu.eip, reason, qualification, insn_len, t0);
}

/* An exception exit (reason 0) with its interruption information. */
static void vmcs_exception_exit_at(struct vm *vm, uint32_t rip, unsigned vector, bool has_error,
                                   uint32_t error, uint64_t qualification, uint64_t t0)
{
    struct vmcs_intr_info info = {
        .vector = (uint8_t)vector,
        .type = VMCS_INTR_HW_EXCEPTION,
        .has_error_code = has_error,
        .valid = true,
    };
    vmcs_set_exit_info(&vm->vmcs, VM_EXIT_INTR_INFO, vmcs_intr_info_encode(&info));
    vmcs_set_exit_info(&vm->vmcs, VM_EXIT_INTR_ERROR_CODE, error);
    vmcs_exit_at(vm, rip, EXIT_REASON_EXCEPTION_NMI, qualification, 0, t0);
}

static void vmcs_exception_exit(struct vm *vm, unsigned vector, bool has_error, uint32_t error,
                                uint64_t qualification, uint64_t t0)
{
    vmcs_exception_exit_at(vm, vm->cpu.eip, vector, has_error, error, qualification, t0);
}

/* Which exit a hardware VMM would have taken for the instruction at EIP:
 * I/O, CR access, HLT, INVLPG by their own reasons; the rest show as the
 * #GP they are here. Returns the reason, fills *qual and *len. */
static unsigned classify(struct vm *vm, uint64_t *qual, unsigned *len)
{
    uint8_t bytes[X86_MAX_INSN_LEN];
    struct x86_insn insn;
    unsigned n = 0;
    *qual = 0;
    *len = 0;
    struct x86_xlate_fault f;
    for (; n < sizeof(bytes); n++) {
        uint8_t *p = trap_translate(vm, vm->cpu.seg[X86_CS].base + vm->cpu.eip + n,
                                    X86_ACC_READ, &f);
        if (!p)
            break;
        bytes[n] = *p;
    }
    state_of(vm)->nwritten = 0;
    state_of(vm)->written_overflow = false;
    if (x86_decode(bytes, n, true, &insn) <= 0)
        return EXIT_REASON_EXCEPTION_NMI;
    *len = insn.len;
    switch (insn.op) {
    case 0xE4: case 0xE5: case 0xE6: case 0xE7:         /* in/out imm8 */
    case 0xEC: case 0xED: case 0xEE: case 0xEF:         /* in/out dx */
    case 0x6C: case 0x6D: case 0x6E: case 0x6F: {       /* ins/outs */
        bool in = insn.op == 0xE4 || insn.op == 0xE5 || insn.op == 0xEC || insn.op == 0xED ||
                  insn.op == 0x6C || insn.op == 0x6D;
        bool imm = insn.op >= 0xE4 && insn.op <= 0xE7;
        struct vmcs_io_qual q = {
            .size = (insn.op & 1) ? insn.opsize : 1,
            .in = in,
            .string = insn.op >= 0x6C && insn.op <= 0x6F,
            .rep = insn.rep != 0,
            .imm = imm,
            .port = imm ? bytes[insn.len - 1] : (uint16_t)vm->cpu.gpr[X86_EDX],
        };
        *qual = vmcs_io_qual_encode(&q);
        return EXIT_REASON_IO_INSTRUCTION;
    }
    case 0xF4:
        return EXIT_REASON_HLT;
    case 0x1A2:                                         /* cpuid, with CPUID faulting */
        return EXIT_REASON_CPUID;
    case 0x120: case 0x122: {                           /* mov from/to CRn */
        struct vmcs_cr_qual q = {
            .cr = insn.reg,
            .type = insn.op == 0x122 ? VMCS_CR_MOV_TO : VMCS_CR_MOV_FROM,
            .gpr = insn.rm,
        };
        *qual = vmcs_cr_qual_encode(&q);
        return EXIT_REASON_CR_ACCESS;
    }
    case 0x101:
        if (insn.reg == 7 && insn.mem)                  /* invlpg */
            return EXIT_REASON_INVLPG;
        break;
    }
    return EXIT_REASON_EXCEPTION_NMI;
}

/* ---- emulation ---- */

/* Tell the shadow exactly which entries of the snapshotted page-table frame
 * the emulated instruction changed (one entry, or a whole rep stos). */
static void report_changed_entries(struct trap *t, const uint8_t *now)
{
    for (unsigned off = 0; off < 4096; off += 4) {
        unsigned end = off;
        while (end < 4096 && memcmp(now + end, t->snap + end, 4) != 0)
            end += 4;
        if (end > off)
            shadow_pt_written(&t->shadow, t->snap_gpa + off, end - off);
        off = end;
    }
}

/* After the executor ran: tell the shadow what changed. A new CPL is a
 * ring-compression switch (supervisor pages must vanish in user mode);
 * pages written by emulation may have been page tables: the one we
 * snapshotted is compared entry by entry, any other written page is
 * reported whole (a no-op unless it is a traced page table). */
static void after_emulation(struct vm *vm, uint8_t old_cpl)
{
    struct trap *t = state_of(vm);
    if (vm->cpu.cpl != old_cpl && (vm->cpu.cpl == 3 || old_cpl == 3))
        shadow_set_user_mode(&t->shadow, vm->cpu.cpl == 3);
    if (t->written_overflow) {
        // Too many pages to tell which were page tables: start afresh
        // (always correct, only slower).
        shadow_flush(&t->shadow);
    } else {
        for (unsigned i = 0; i < t->nwritten; i++) {
            const uint8_t *now = gpa_ptr(&vm->mem, t->written[i], 4096);
            if (t->written[i] == t->snap_gpa && now)
                report_changed_entries(t, now);
            else
                shadow_pt_written(&t->shadow, t->written[i], 4096);
        }
    }
    t->nwritten = 0;
    t->written_overflow = false;
    t->snap_gpa = 1;
}

/* Run the instruction at EIP in the executor. Returns a stop reason, or -1
 * to go on. A page fault that ends here (a traced page-table write, MMIO)
 * is recorded as the #PF exit it was, with the address (pf_addr, else 0). */
static int emulate_one_for(struct vm *vm, bool page_fault, uint32_t pf_addr)
{
    struct trap *t = state_of(vm);
    uint64_t t0 = exit_stats_now_ns();
    uint64_t qual;
    unsigned len;
    unsigned reason = classify(vm, &qual, &len);
    uint8_t old_cpl = vm->cpu.cpl;
    uint32_t rip = vm->cpu.eip;
    uint64_t retired = vm->cpu.instructions;
    t->nwritten = 0;
    t->written_overflow = false;
    t->emulated++;
    enum x86_status st = x86_step(&vm->cpu, &t->env);
    after_emulation(vm, old_cpl);
    if (vm->debug.active && vm->cpu.instructions != retired)
        vm_debug_retired(vm);           // `step` counts emulated instructions too
    if (page_fault)
        vmcs_exception_exit_at(vm, rip, X86_PF, true, t->exit.error_code, pf_addr, t0);
    else if (reason == EXIT_REASON_EXCEPTION_NMI)
        vmcs_exception_exit_at(vm, rip, t->exit.trapno, true, t->exit.error_code, 0, t0);
    else
        vmcs_exit_at(vm, rip, reason, reason == EXIT_REASON_INVLPG ? t->invlpg_lin : qual,
                     len, t0);
    if (st == X86_STEP_TRIPLE_FAULT)
        return VM_STOP_TRIPLE_FAULT;
    return -1;
}

static int emulate_one(struct vm *vm)
{
    return emulate_one_for(vm, false, 0);
}

/* Deliver an exception to the guest through its IDT, as the CPU would have
 * had the guest run on bare hardware. */
static int reflect(struct vm *vm, unsigned vector, bool has_error, uint32_t error)
{
    /* BEGIN SOLUTION(lab=2) */
    uint8_t old_cpl = vm->cpu.cpl;
    enum x86_status st = x86_deliver_event(&vm->cpu, &state_of(vm)->env, (uint8_t)vector,
                                           X86_EVENT_EXCEPTION, has_error, error, vm->cpu.eip);
    after_emulation(vm, old_cpl);
    return st == X86_STEP_TRIPLE_FAULT ? VM_STOP_TRIPLE_FAULT : -1;
    /* STUB: (void)vm; (void)vector; (void)has_error; (void)error; lab_todo("LAB 2 task 2: reflecting exceptions into the guest (reflect)"); return VM_STOP_ERROR; */
    /* END SOLUTION */
}

/* A guest that loads DS, ES, FS or GS with a selector that is also valid on
 * the host (0x23: Linux's 32-bit code segment; 0x2B: its data segment) does
 * so without trapping. Notice it now, load the guest's idea of that selector
 * into the virtual segment register, and let the stub put its own back
 * (0x2B in DS and ES, null in FS and GS). Returns true if something was
 * repaired. */
static bool repair_selectors(struct vm *vm)
{
    struct trap *t = state_of(vm);
    const uint16_t real[4] = { t->exit.ds, t->exit.es, t->exit.fs, t->exit.gs };
    const uint16_t ours[4] = { USER_DS, USER_DS, 0, 0 };    // what the stub loads
    const enum x86_sreg sreg[4] = { X86_DS, X86_ES, X86_FS, X86_GS };
    bool repaired = false;
    for (int i = 0; i < 4; i++) {
        if (real[i] == ours[i])
            continue;
        t->selector_repairs++;
        repaired = true;
        if (x86_load_segment(&vm->cpu, &t->env, sreg[i], real[i]) < 0)
            vm->cpu.exception.pending = false;   // the guest's own GDT refuses it: keep the old one
    }
    return repaired;
}

/* A page fault in guest code: ask the shadow what it was. */
static int page_fault(struct vm *vm)
{
    struct trap *t = state_of(vm);
    uint64_t t0 = exit_stats_now_ns();
    uint32_t addr = t->exit.fault_addr;
    bool write = t->exit.error_code & 2;
    struct shadow_fault_result r;
    vmcs_set_exit_info(&vm->vmcs, GUEST_LINEAR_ADDRESS, addr);
    if (addr < trap_host_min_addr()) {
        // Linux keeps the lowest pages (vm.mmap_min_addr), so the shadow can
        // never map them: a guest's NULL dereference, say with paging off.
        // The executor does the access against guest memory instead, as the
        // interpreter would, and raises #PF itself if the guest's tables say so.
        return emulate_one_for(vm, true, addr);
    }
    shadow_fault(&t->shadow, vm->cpu.cr0, vm->cpu.cr3, vm->cpu.cr4, addr, write,
                 vm->cpu.cpl == 3, &r);
    switch (r.action) {
    case SHADOW_FIXED:                  // hidden fault: the guest never knows
        vmcs_exception_exit(vm, X86_PF, true, t->exit.error_code, addr, t0);
        return -1;
    case SHADOW_INJECT:                 // the guest's own tables say fault
        vmcs_exception_exit(vm, X86_PF, true, r.error_code, addr, t0);
        vm->cpu.cr2 = addr;
        return reflect(vm, X86_PF, true, r.error_code);
    case SHADOW_EMULATE: {              // a write to a traced page table
        // Keep a copy of the frame: afterwards, exactly the entries the
        // instruction changed are invalidated (reverse map, chapter 4).
        const uint8_t *frame = gpa_ptr(&vm->mem, r.gpa & ~0xFFFu, 4096);
        if (frame) {
            memcpy(t->snap, frame, 4096);
            t->snap_gpa = r.gpa & ~0xFFFu;
        }
        return emulate_one_for(vm, true, addr);
    }
    case SHADOW_MMIO:                   // not RAM: a device register
        return emulate_one_for(vm, true, addr);
    case SHADOW_HOST_ERROR:
    default:
        console_printf("vmm: trap engine: cannot map guest address 0x%08x "
                       "(the host refused the mapping)\n", addr);
        return VM_STOP_ERROR;
    }
}

/* The instruction that raised a trap-type exception (int3, into) ends at
 * EIP; move EIP back to its start so the executor can run it. */
static void back_up_over_trap(struct vm *vm, unsigned vector)
{
    struct x86_xlate_fault f;
    uint32_t eip = vm->cpu.eip, cs = vm->cpu.seg[X86_CS].base;
    uint8_t *b1 = trap_translate(vm, cs + eip - 1, X86_ACC_READ, &f);
    uint8_t *b2 = trap_translate(vm, cs + eip - 2, X86_ACC_READ, &f);
    state_of(vm)->nwritten = 0;
    if (vector == X86_BP && b2 && b1 && *b2 == 0xCD && *b1 == 0x03)
        vm->cpu.eip = eip - 2;          // int $3
    else
        vm->cpu.eip = eip - 1;          // int3 (0xCC) or into (0xCE)
}

static bool break_page_fetch(struct vm *vm);

static int handle_exit(struct vm *vm)
{
    struct trap *t = state_of(vm);
    struct trap_stub_exit *e = &t->exit;
    // Whatever the exit, the guest may have loaded a host-valid selector
    // since the last one (a timer tick can fall right after such a load).
    bool repaired = repair_selectors(vm);
    if (e->signal == SIGALRM) {
        vmcs_exit(vm, EXIT_REASON_EXTERNAL_INTERRUPT, 0, 0, exit_stats_now_ns());
        return -1;
    }
    if (repaired && e->trapno == X86_GP) {
        // It faulted on the wrong selector: just run it again.
        vmcs_exception_exit(vm, X86_GP, true, e->error_code, 0, exit_stats_now_ns());
        return -1;
    }
    if (e->trapno == X86_DB && t->window && !t->stepping) {
        // The one instruction of the sti/iret shadow has run: VT-x calls
        // this the interrupt-window exit. The loop now injects.
        vmcs_exit(vm, EXIT_REASON_INTERRUPT_WINDOW, 0, 0, exit_stats_now_ns());
        return -1;
    }
    if (e->trapno == X86_DB && t->stepping) {
        // Our single-step trap, not the guest's: VT-x calls this exit
        // "monitor trap flag".
        vmcs_exit(vm, EXIT_REASON_MONITOR_TRAP_FLAG, 0, 0, exit_stats_now_ns());
        vm_debug_retired(vm);
        return -1;
    }
    if (break_page_fetch(vm))
        return -1;
    /* BEGIN SOLUTION(lab=2) */
    switch (e->trapno) {
    case X86_PF:
        return page_fault(vm);
    case X86_DE:
    case X86_DB:
    case X86_BR:
    case X86_MF:
    case X86_AC:
        vmcs_exception_exit(vm, e->trapno, false, 0, 0, exit_stats_now_ns());
        return reflect(vm, e->trapno, e->trapno == X86_AC, 0);
    case X86_BP:
    case X86_OF:
        back_up_over_trap(vm, e->trapno);
        return emulate_one(vm);
    default:                            // #GP, #UD, #NP, #TS, #SS: the executor decides
        return emulate_one(vm);
    }
    /* STUB: (void)page_fault; (void)back_up_over_trap; (void)emulate_one; lab_todo("LAB 2 task 1: exit dispatch (handle_exit)"); return VM_STOP_ERROR; */
    /* END SOLUTION */
}

/* ---- the run loop ---- */

/*
 * The exit as the stub reported it. The stub may belong to the guest by now
 * (ring-3 code can far-jump to the host's 64-bit code segment and then write
 * anything in its own process), so the copy is checked before it is
 * believed. What only a guest that left its box can cause stops the guest
 * with one line: that is resource control (chapter 3).
 */
static int check_exit(struct vm *vm, enum trap_stub_status st, const char *why)
{
    const struct trap_stub_exit *e = &state_of(vm)->exit;
    if (st == TRAP_STUB_TIMEOUT)
        return VM_STOP_TIMEOUT;
    if (st == TRAP_STUB_GONE) {
        console_printf("vmm: %s; guest stopped\n", why);
        return VM_STOP_ERROR;
    }
    if (e->signal == SIGSYS) {
        console_printf("vmm: the guest made a host system call (%s number %d) at rip 0x%llx: "
                       "refused by the seccomp filter; guest stopped\n",
                       e->syscall_arch == AUDIT_ARCH_I386 ? "i386" : "x86-64", e->syscall_nr,
                       (unsigned long long)e->rip);
        return VM_STOP_ERROR;
    }
    if (e->cs != TRAP_USER32_CS || e->rip >= 0x100000000ull) {
        console_printf("vmm: the guest left 32-bit mode (cs 0x%x, rip 0x%llx); guest stopped\n",
                       e->cs, (unsigned long long)e->rip);
        return VM_STOP_ERROR;
    }
    bool known = e->signal == SIGSEGV || e->signal == SIGBUS || e->signal == SIGILL ||
                 e->signal == SIGTRAP || e->signal == SIGFPE || e->signal == SIGALRM;
    if (!known || e->trapno >= 32) {
        console_printf("vmm: the guest's process reported an impossible exit (signal %d, "
                       "vector %u); guest stopped\n", e->signal, e->trapno);
        return VM_STOP_ERROR;
    }
    return -1;
}

/* Load the guest's registers for a native run. */
static void regs_for_entry(const struct x86_cpu *c, struct trap_regs *r)
{
    memcpy(r->gpr, c->gpr, sizeof(r->gpr));
    r->eip = c->eip;
    r->eflags = (c->eflags & NATIVE_FLAGS) | X86_FLAG_IF | X86_FLAG_FIXED;
}

/* Take the guest's registers back after a native run. The sti/mov-ss
 * interrupt shadow ends once an instruction has run; if the very first one
 * faulted (EIP unchanged), none has, and the shadow still holds. */
static void regs_after_exit(struct x86_cpu *c, const struct trap_regs *r)
{
    memcpy(c->gpr, r->gpr, sizeof(c->gpr));
    if (r->eip != c->eip)
        c->interrupt_shadow = false;
    c->eip = r->eip;
    c->eflags = (c->eflags & ~NATIVE_FLAGS) | (r->eflags & NATIVE_FLAGS);
}

/* Inject a pending interrupt if the virtual CPU can take it. */
static int maybe_interrupt(struct vm *vm)
{
    /* BEGIN SOLUTION(lab=2) */
    if (!x86_interrupts_enabled(&vm->cpu) || !vm_interrupt_pending(vm))
        return -1;
    uint8_t old_cpl = vm->cpu.cpl;
    int vector = vm_interrupt_acknowledge(vm);
    enum x86_status st = x86_external_interrupt(&vm->cpu, &state_of(vm)->env, (uint8_t)vector);
    after_emulation(vm, old_cpl);
    return st == X86_STEP_TRIPLE_FAULT ? VM_STOP_TRIPLE_FAULT : -1;
    /* STUB: (void)(vm_interrupt_pending(vm) && lab_todo("LAB 2 task 3: interrupt injection (maybe_interrupt)")); return -1; */
    /* END SOLUTION */
}

/* The virtual CPU is halted: sleep until the next timer event or input. */
static bool wait_while_halted(struct vm *vm)
{
    struct trap *t = state_of(vm);
    if (!(vm->cpu.eflags & X86_FLAG_IF))
        return false;
    uint64_t now = now_ns(t);
    uint64_t next = vm_timers_next_ns(vm, now);
    if (next == UINT64_MAX)
        return console_wait_input(100);     // no timer: only input can wake it
    if (next > now) {
        struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
        uint64_t ms = (next - now + 999999) / 1000000;
        console_flush();
        poll(&p, 1, ms > 10 ? 10 : (int)ms);
    }
    return true;
}

/*
 * The monitor's breakpoints and steps (chapter 7). A process has no debug
 * registers of its own and breakpoints must not patch guest memory, so an
 * entry that must stop after one instruction runs with the trap flag set,
 * and the host's SIGTRAP (#DB) brings us back after it; the guest's own TF
 * is kept aside. Stepping everything would be exact but slow (a timer tick
 * alone costs a thousand steps), so only the pages that hold a breakpoint
 * are stepped: they are mapped without PROT_EXEC (trap-host.c), the
 * guest's first fetch from one faults (break_fetch), and from then on it
 * steps until EIP leaves those pages. Elsewhere the guest runs natively.
 */
static void sync_break_pages(struct vm *vm)
{
    struct trap *t = state_of(vm);
    uint32_t pages[VM_MAX_BREAKPOINTS];
    unsigned n = 0;
    for (unsigned i = 0; i < vm->debug.nbreaks; i++) {
        uint32_t p = (vm->cpu.seg[X86_CS].base + vm->debug.breaks[i]) & ~0xFFFu;
        bool seen = false;
        for (unsigned k = 0; k < n; k++)
            seen |= pages[k] == p;
        if (!seen)
            pages[n++] = p;
    }
    if (n == t->nbreak_pages && memcmp(pages, t->break_pages, n * sizeof(pages[0])) == 0)
        return;
    // Drop the old and the new pages from the shadow: the next access maps
    // them again, with or without PROT_EXEC as the new list says.
    trap_host_set_break_pages(pages, n);
    for (unsigned i = 0; i < t->nbreak_pages; i++)
        shadow_invlpg(&t->shadow, t->break_pages[i]);
    for (unsigned i = 0; i < n; i++)
        shadow_invlpg(&t->shadow, pages[i]);
    memcpy(t->break_pages, pages, n * sizeof(pages[0]));
    t->nbreak_pages = n;
}

static void debug_entry(struct vm *vm, struct trap_regs *regs)
{
    struct trap *t = state_of(vm);
    bool on_break_page = vm->debug.nbreaks > 0 &&
        (t->break_fetch || trap_host_break_page(vm->cpu.seg[X86_CS].base + vm->cpu.eip));
    t->stepping = vm->debug.active && (vm->debug.steps > 0 || on_break_page) &&
                  !(vm->cpu.eflags & X86_FLAG_TF);
    t->break_fetch = false;
    // Executable only while we step there (or the guest's own TF does).
    trap_host_break_exec(t->stepping || on_break_page);
    if (t->stepping)
        regs->eflags |= X86_FLAG_TF;
}

/* A fetch from a breakpoint page (a #PF with the I/D bit set on a page we
 * took PROT_EXEC from): not the guest's fault; step from here on. */
static bool break_page_fetch(struct vm *vm)
{
    struct trap *t = state_of(vm);
    // A protection fault (P) on a fetch (I/D): a not-present fault is the
    // shadow's business, a fault while the page is executable the guest's.
    if (t->exit.trapno != X86_PF || (t->exit.error_code & 0x11) != 0x11 ||
        !trap_host_break_page_noexec(t->exit.fault_addr))
        return false;
    t->break_fetch = true;
    vmcs_exception_exit(vm, X86_PF, true, t->exit.error_code, t->exit.fault_addr,
                        exit_stats_now_ns());
    return true;
}

static void debug_exit(struct vm *vm)
{
    struct trap *t = state_of(vm);
    if (t->stepping || t->window)
        vm->cpu.eflags &= ~X86_FLAG_TF;
}

/*
 * The interrupt window. An interrupt is pending but the guest sits in the
 * one-instruction shadow of sti (or of an emulated iret, see trap_run):
 * hardware would deliver it right after that instruction. Run just that
 * one natively, with our trap flag set, so that the #DB brings us back and
 * the interrupt goes in on time - the way VT-x's "interrupt-window exiting"
 * asks the CPU to exit as soon as the guest can take an interrupt.
 */
static void window_entry(struct vm *vm, struct trap_regs *regs)
{
    struct trap *t = state_of(vm);
    t->window = !t->stepping && vm->cpu.interrupt_shadow && (vm->cpu.eflags & X86_FLAG_IF) &&
                !(vm->cpu.eflags & X86_FLAG_TF) && vm_interrupt_pending(vm);
    if (t->window)
        regs->eflags |= X86_FLAG_TF;
}

/* Is the code or data segment the guest's GDT holds at selector sel flat
 * (base 0, limit 4 GiB)? Absent and system descriptors count as flat: a
 * native load of one is a hole of its own, not a wrong base. */
static bool gdt_entry_flat(struct vm *vm, uint16_t sel)
{
    const struct x86_dtable *gdt = &vm->cpu.gdtr;
    if ((uint32_t)(sel & ~7u) + 7 > gdt->limit)
        return true;
    uint32_t d[2];
    for (int i = 0; i < 2; i++) {
        struct x86_xlate_fault f;
        const uint8_t *p = trap_translate(vm, gdt->base + (sel & ~7u) + 4u * (unsigned)i,
                                          X86_ACC_READ, &f);
        if (!p)
            return true;                // not readable: a load would fault anyway
        memcpy(&d[i], p, 4);
    }
    if (!(d[1] & (1u << 15)) || !(d[1] & (1u << 12)))
        return true;
    uint32_t base = (d[0] >> 16) | ((d[1] & 0xFF) << 16) | (d[1] & 0xFF000000u);
    uint32_t limit = (d[0] & 0xFFFF) | (d[1] & 0xF0000);
    if (d[1] & (1u << 23))
        limit = (limit << 12) | 0xFFF;
    return base == 0 && limit == 0xFFFFFFFFu;
}

/*
 * The guest runs natively with the host's flat segments: CS 0x23, DS, ES
 * and SS 0x2B, base 0 and limit 4 GiB (FS and GS null, so that every access
 * through them traps). That is right only while the guest's own CS, DS, ES
 * and SS are flat too, and while no selector the host shares (0x23, 0x2B,
 * 0x33) means a non-flat segment in the guest's GDT: the guest can load
 * those natively, and we would never see it. Otherwise the executor runs
 * the guest, one instruction at a time, with the guest's bases and limits.
 */
static bool segments_native_ok(struct vm *vm)
{
    static const enum x86_sreg used[] = { X86_CS, X86_DS, X86_ES, X86_SS };
    for (unsigned i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
        const struct x86_segment *sg = &vm->cpu.seg[used[i]];
        if ((sg->selector & ~3u) && (sg->base != 0 || sg->limit != 0xFFFFFFFFu))
            return false;
    }
    state_of(vm)->nwritten = 0;
    return gdt_entry_flat(vm, TRAP_USER32_CS) && gdt_entry_flat(vm, USER_DS) &&
           gdt_entry_flat(vm, TRAP_HOST_CS64);
}

/* One instruction on the executor instead of a native run (see above). */
static int step_emulated(struct vm *vm)
{
    struct trap *t = state_of(vm);
    uint8_t old_cpl = vm->cpu.cpl;
    uint64_t retired = vm->cpu.instructions;
    t->nwritten = 0;
    t->written_overflow = false;
    t->emulated++;
    t->segment_steps++;
    enum x86_status st = x86_step(&vm->cpu, &t->env);
    after_emulation(vm, old_cpl);
    if (vm->debug.active && vm->cpu.instructions != retired)
        vm_debug_retired(vm);
    return st == X86_STEP_TRIPLE_FAULT ? VM_STOP_TRIPLE_FAULT : -1;
}

static enum vm_stop trap_run(struct vm *vm)
{
    struct trap *t = state_of(vm);
    uint64_t deadline = vm->config.timeout_s > 0
        ? vm->start_host_ns + (uint64_t)(vm->config.timeout_s * 1e9) : UINT64_MAX;
    // Guest time goes on from where it stopped: after a pause in the
    // monitor, or from another engine's clock after `engine trap`.
    t->clock_start = exit_stats_now_ns() - vm->now_ns;
    sync_break_pages(vm);               // breakpoints change only while we are stopped
    for (;;) {
        // `step` holds virtual time still and masks interrupts (chapter 7).
        bool masked = vm_debug_masks_irqs(vm);
        if (masked)
            t->clock_start = exit_stats_now_ns() - vm->now_ns;
        vm->now_ns = now_ns(t);
        vm_timers_update(vm, vm->now_ns);
        if (vm->debug_exit.requested)
            return VM_STOP_POWEROFF;
        if (console_poll(&vm->uart))
            return VM_STOP_QUIT;
        if (exit_stats_now_ns() > deadline)
            return VM_STOP_TIMEOUT;
        int stop = masked ? -1 : maybe_interrupt(vm);
        if (stop >= 0)
            return (enum vm_stop)stop;
        if (vm->debug.active && vm_debug_stop_here(vm, vm->cpu.eip))
            return VM_STOP_DEBUG;
        if (vm->cpu.halted) {
            if (!wait_while_halted(vm)) {
                console_printf("vmm: the guest halted %s; nothing can wake it\n",
                               (vm->cpu.eflags & X86_FLAG_IF)
                                   ? "with no timer running and no input left"
                                   : "with interrupts disabled");
                return VM_STOP_ERROR;
            }
            continue;
        }
        if (!segments_native_ok(vm)) {
            bool if_before = vm->cpu.eflags & X86_FLAG_IF;
            if ((stop = step_emulated(vm)) >= 0) {
                console_printf("vmm: triple fault: the guest CPU shut down at eip 0x%08x\n",
                               vm->cpu.eip);
                return (enum vm_stop)stop;
            }
            if (!if_before && (vm->cpu.eflags & X86_FLAG_IF))
                vm->cpu.interrupt_shadow = true;
            continue;
        }
        struct trap_regs regs;
        regs_for_entry(&vm->cpu, &regs);
        debug_entry(vm, &regs);
        window_entry(vm, &regs);
        t->native_entries++;
        char why[200];
        enum trap_stub_status st = trap_stub_run(&t->stub, &regs, TRAP_USER32_CS, USER_DS,
                                                 deadline, &t->exit, why, sizeof(why));
        if ((stop = check_exit(vm, st, why)) >= 0)
            return (enum vm_stop)stop;
        regs = (struct trap_regs){ .eip = (uint32_t)t->exit.rip, .eflags = t->exit.eflags };
        memcpy(regs.gpr, t->exit.gpr, sizeof(regs.gpr));
        regs_after_exit(&vm->cpu, &regs);
        debug_exit(vm);
        if (t->stub.ops_failed_now) {
            // The host refused a mapping (out of VMAs?): start the shadow afresh.
            t->shadow.stats.host_failures++;
            shadow_flush(&t->shadow);
        }
        bool if_before = vm->cpu.eflags & X86_FLAG_IF;
        stop = handle_exit(vm);
        if (stop < 0 && lab_missing) {
            console_printf("vmm: guest stopped: a piece of a lab is missing (see above)\n");
            stop = VM_STOP_ERROR;
        }
        // Forward progress under an interrupt storm (chapter 9): an exit
        // costs microseconds, more than the PIT's fastest period, so a tick
        // is always pending when a handler's iret is emulated. Injected at
        // once, the interrupted code would never run again. So an emulated
        // instruction that sets IF (iret, like sti) gets sti's shadow: one
        // more guest instruction runs first (window_entry lets exactly that
        // one run, then the interrupt goes in). The tick is late, not lost.
        if (!if_before && (vm->cpu.eflags & X86_FLAG_IF))
            vm->cpu.interrupt_shadow = true;
        if (stop >= 0) {
            if (stop == VM_STOP_TRIPLE_FAULT)
                console_printf("vmm: triple fault: the guest CPU shut down at eip 0x%08x\n",
                               vm->cpu.eip);
            return (enum vm_stop)stop;
        }
        if (vm->debug_exit.requested)
            return VM_STOP_POWEROFF;
    }
}

/* ---- the engine ---- */

static int trap_init(struct vm *vm)
{
    char err[256] = "";
    struct trap *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    vm->engine_state = t;
    t->mode = (vm->config.shadow && strcmp(vm->config.shadow, "vtlb") == 0) ? SHADOW_VTLB
                                                                           : SHADOW_TRACED;
    t->env = (struct x86_env){
        .ctx = vm,
        .translate = trap_translate,
        .mmio_read = vm_mmio_read,
        .mmio_write = vm_mmio_write,
        .io_in = trap_io_in,
        .io_out = trap_io_out,
        .flush_tlb = trap_flush_tlb,
        .invlpg = trap_invlpg,
        .rdtsc = trap_rdtsc,
    };
    t->cr0 = vm->cpu.cr0;
    t->cr4 = vm->cpu.cr4;
    t->snap_gpa = 1;                    // no snapshot
    t->clock_start = exit_stats_now_ns();
    if (!trap_engine_supported(err, sizeof(err))) {
        console_printf("vmm: trap engine: %s\n", err);
        return -1;
    }
    trap_host_ops_for(&t->stub, vm->mem.size, &t->host_ops);
    if (shadow_init(&t->shadow, &vm->mem, &t->host_ops, t->mode) < 0)
        snprintf(err, sizeof(err), "out of memory for the shadow page table");
    else if (trap_stub_start(&t->stub, vm->mem.fd, vm->mem.size, trap_host_min_addr(), TICK_US,
                             err, sizeof(err)) == 0)
        err[0] = 0;
    if (err[0]) {
        console_printf("vmm: trap engine: %s\n", err);
        return -1;
    }
    // cpuid is not privileged: natively the guest would see the host's CPU.
    // Where the host CPU and kernel offer CPUID faulting, the stub asked for
    // it: cpuid in the guest's process raises #GP instead, and we answer
    // with the virtual CPU's values (chapter 3, "The x86 holes").
    t->cpuid_faulting = t->stub.ctl->cpuid_faulting;
    // The VT-x controls that would give the exits this engine takes (every
    // privileged instruction traps: mov from CR3 as well as to it).
    vmcs_set_controls(&vm->vmcs, PIN_BASED_EXT_INTR_MASK,
                      CPU_BASED_HLT_EXITING | CPU_BASED_INVLPG_EXITING |
                      CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING |
                      CPU_BASED_UNCOND_IO_EXITING);
    return 0;
}

static void trap_get_state(struct vm *vm, struct x86_cpu *out)
{
    *out = vm->cpu;
}

static void trap_set_state(struct vm *vm, const struct x86_cpu *in)
{
    struct trap *t = state_of(vm);
    vm->cpu = *in;
    shadow_flush(&t->shadow);
    shadow_set_user_mode(&t->shadow, vm->cpu.cpl == 3);
    t->cr0 = vm->cpu.cr0;
    t->cr4 = vm->cpu.cr4;
}

static void trap_print_stats(struct vm *vm, FILE *out)
{
    struct trap *t = state_of(vm);
    const struct shadow_stats *s = &t->shadow.stats;
    fprintf(out, "native entries: %llu, instructions emulated: %llu (%llu for non-flat "
                 "segments), selector repairs: %llu\n",
            (unsigned long long)t->native_entries, (unsigned long long)t->emulated,
            (unsigned long long)t->segment_steps, (unsigned long long)t->selector_repairs);
    fprintf(out, "cpuid: %s\n", t->cpuid_faulting
                ? "traps (CPUID faulting): the guest sees the virtual CPU"
                : "runs natively (no CPUID faulting on this host): the guest sees the host CPU");
    fprintf(out, "shadow (%s): hidden faults %llu, injected faults %llu, PT writes emulated %llu,\n"
                 "  entries filled %llu, invalidated %llu, full flushes %llu, CR3 switches %llu,\n"
                 "  entries kept across CR3 switches %llu, ring-compression switches %llu\n",
            t->mode == SHADOW_VTLB ? "vtlb" : "traced",
            (unsigned long long)s->hidden_faults, (unsigned long long)s->injected_faults,
            (unsigned long long)s->pt_writes, (unsigned long long)s->filled,
            (unsigned long long)s->invalidated, (unsigned long long)s->flushes,
            (unsigned long long)s->cr3_switches, (unsigned long long)s->kept_on_cr3,
            (unsigned long long)s->ring_switches);
}

static void trap_destroy(struct vm *vm)
{
    struct trap *t = state_of(vm);
    if (!t)
        return;
    trap_stub_stop(&t->stub);           // the guest's process and its mappings go with it
    trap_host_set_break_pages(NULL, 0);
    shadow_destroy(&t->shadow);
    free(t);
    vm->engine_state = NULL;
}

/* --stats=json: the shadow's counters (the benchmarks of chapter 8 read them). */
static void trap_json_stats(struct vm *vm, FILE *out)
{
    struct trap *t = state_of(vm);
    const struct shadow_stats *s = &t->shadow.stats;
    fprintf(out, "{\"native_entries\": %llu, \"emulated\": %llu, \"shadow\": {\"mode\": \"%s\", "
                 "\"hidden_faults\": %llu, \"injected_faults\": %llu, \"pt_writes\": %llu, "
                 "\"filled\": %llu, \"invalidated\": %llu, \"flushes\": %llu, "
                 "\"cr3_switches\": %llu, \"kept_on_cr3\": %llu, \"ring_switches\": %llu}}",
            (unsigned long long)t->native_entries, (unsigned long long)t->emulated,
            t->mode == SHADOW_VTLB ? "vtlb" : "traced",
            (unsigned long long)s->hidden_faults, (unsigned long long)s->injected_faults,
            (unsigned long long)s->pt_writes, (unsigned long long)s->filled,
            (unsigned long long)s->invalidated, (unsigned long long)s->flushes,
            (unsigned long long)s->cr3_switches, (unsigned long long)s->kept_on_cr3,
            (unsigned long long)s->ring_switches);
}

/* The monitor's `pt`: what the shadow page table holds for gva. */
static void trap_show_page(struct vm *vm, uint32_t gva, FILE *out)
{
    struct shadow_entry e;
    if (shadow_lookup(&state_of(vm)->shadow, gva, &e) < 0) {
        fprintf(out, "shadow: not installed%s%s (the next access takes a hidden fault)\n",
                e.why != SHADOW_WHY_NONE ? ": " : "",
                e.why != SHADOW_WHY_NONE ? shadow_why_name(e.why) : "");
        return;
    }
    fprintf(out, "shadow: installed -> GPA 0x%08x, %s%s%s%s%s\n", e.gpa,
            e.writable ? "writable" : "read-only", e.user ? ", user" : ", supervisor",
            e.big ? ", piece of a 4M page" : "", e.writable ? "" : ": ",
            e.writable ? "" : shadow_why_name(e.why));
}

/* The monitor's `tlb`: the shadow page table plays the TLB's part here. */
static void trap_show_tlb(struct vm *vm, FILE *out)
{
    struct trap *t = state_of(vm);
    fprintf(out, "the trap engine has no TLB of its own: the shadow page table (%s mode) "
                 "holds %u pages\n", t->mode == SHADOW_VTLB ? "vtlb" : "traced",
            t->shadow.installed);
    trap_print_stats(vm, out);
}

const struct engine trap_engine = {
    .name = "trap",
    .init = trap_init,
    .run = trap_run,
    .get_state = trap_get_state,
    .set_state = trap_set_state,
    .print_stats = trap_print_stats,
    .destroy = trap_destroy,
    .show_page = trap_show_page,
    .show_tlb = trap_show_tlb,
    .json_stats = trap_json_stats,
};
