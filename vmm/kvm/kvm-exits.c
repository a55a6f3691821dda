/*
 * kvm-exits.c - each exit KVM reports in its kvm_run page, written into the
 * software VMCS in the SDM's words (chapter 05-kvm-and-ept.md, "What KVM
 * shows and what it keeps").
 *
 * On VT-x hardware KVM reads the real VMCS's exit reason and qualification,
 * handles most exits itself (CPUID, CR accesses, EPT faults on RAM, ...) and
 * returns to us only those it cannot: port I/O, MMIO, HLT (we keep the PIC
 * and PIT in user space), triple faults and failures. It reports them in its
 * own vocabulary (KVM_EXIT_IO, KVM_EXIT_MMIO, ...). Here we translate back,
 * so the monitor and the statistics speak of the three engines alike.
 *
 * Some fields we can fill exactly (an I/O exit's port, size and direction),
 * some only in part (KVM does not say whether an I/O exit came from a string
 * instruction unless it repeated), and some not at all: the host-state area
 * and the controls live in KVM's VMCS in the kernel, which user space never
 * sees. Those are marked unavailable, and vmread says so.
 */
#include "vmm/kvm/kvm.h"

#include <string.h>

/* KVM's exit reasons (include/uapi/linux/kvm.h), by number. */
static const char *const exit_names[] = {
    [KVM_EXIT_UNKNOWN] = "KVM_EXIT_UNKNOWN",
    [KVM_EXIT_EXCEPTION] = "KVM_EXIT_EXCEPTION",
    [KVM_EXIT_IO] = "KVM_EXIT_IO",
    [KVM_EXIT_HYPERCALL] = "KVM_EXIT_HYPERCALL",
    [KVM_EXIT_DEBUG] = "KVM_EXIT_DEBUG",
    [KVM_EXIT_HLT] = "KVM_EXIT_HLT",
    [KVM_EXIT_MMIO] = "KVM_EXIT_MMIO",
    [KVM_EXIT_IRQ_WINDOW_OPEN] = "KVM_EXIT_IRQ_WINDOW_OPEN",
    [KVM_EXIT_SHUTDOWN] = "KVM_EXIT_SHUTDOWN",
    [KVM_EXIT_FAIL_ENTRY] = "KVM_EXIT_FAIL_ENTRY",
    [KVM_EXIT_INTR] = "KVM_EXIT_INTR",
    [KVM_EXIT_SET_TPR] = "KVM_EXIT_SET_TPR",
    [KVM_EXIT_TPR_ACCESS] = "KVM_EXIT_TPR_ACCESS",
    [KVM_EXIT_NMI] = "KVM_EXIT_NMI",
    [KVM_EXIT_INTERNAL_ERROR] = "KVM_EXIT_INTERNAL_ERROR",
    [KVM_EXIT_SYSTEM_EVENT] = "KVM_EXIT_SYSTEM_EVENT",
    [KVM_EXIT_X86_RDMSR] = "KVM_EXIT_X86_RDMSR",
    [KVM_EXIT_X86_WRMSR] = "KVM_EXIT_X86_WRMSR",
    [KVM_EXIT_X86_BUS_LOCK] = "KVM_EXIT_X86_BUS_LOCK",
};

const char *kvm_exit_name(unsigned reason)
{
    if (reason < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[reason])
        return exit_names[reason];
    return "KVM_EXIT_?";
}

/* KVM_EXIT_INTERNAL_ERROR's suberrors: name, and what each means for us. */
static const struct {
    const char *name;
    const char *meaning;
} internal_errors[] = {
    [KVM_INTERNAL_ERROR_EMULATION] = {
        "KVM_INTERNAL_ERROR_EMULATION",
        "KVM's instruction emulator met an instruction it cannot execute" },
    [KVM_INTERNAL_ERROR_SIMUL_EX] = {
        "KVM_INTERNAL_ERROR_SIMUL_EX",
        "an exception occurred while KVM was delivering another one" },
    [KVM_INTERNAL_ERROR_DELIVERY_EV] = {
        "KVM_INTERNAL_ERROR_DELIVERY_EV",
        "an exit happened while the CPU was delivering an event through the IDT" },
    [KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = {
        "KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON",
        "the CPU exited for a reason KVM does not handle" },
};
#define N_INTERNAL_ERRORS (sizeof(internal_errors) / sizeof(internal_errors[0]))

const char *kvm_internal_error_name(unsigned suberror)
{
    if (suberror < N_INTERNAL_ERRORS && internal_errors[suberror].name)
        return internal_errors[suberror].name;
    return "unknown suberror";
}

const char *kvm_internal_error_meaning(unsigned suberror)
{
    if (suberror < N_INTERNAL_ERRORS && internal_errors[suberror].meaning)
        return internal_errors[suberror].meaning;
    return "KVM could not go on";
}

/* EPT-violation qualification bits (SDM table 28-7): what the access was. */
#define EPT_QUAL_READ   (1u << 0)
#define EPT_QUAL_WRITE  (1u << 1)

unsigned kvm_exit_to_vmcs(struct vmcs *v, const struct kvm_run *run)
{
    unsigned reason = KVM_NO_SDM_REASON;
    uint64_t qual = 0;

    switch (run->exit_reason) {
    case KVM_EXIT_IO: {
        // KVM reports a string instruction (ins/outs) as count repetitions;
        // with count 1 it cannot be told from in/out. Nor does KVM say
        // whether the port was an immediate.
        struct vmcs_io_qual q = {
            .size = run->io.size,
            .in = run->io.direction == KVM_EXIT_IO_IN,
            .string = run->io.count > 1,
            .rep = run->io.count > 1,
            .port = run->io.port,
        };
        reason = EXIT_REASON_IO_INSTRUCTION;
        qual = vmcs_io_qual_encode(&q);
        break;
    }
    case KVM_EXIT_MMIO:
        // On VT-x an access to guest-physical memory that no memslot backs
        // is an EPT violation; KVM decodes the instruction and hands us the
        // address, size and data. (It may also have been an EPT
        // misconfiguration: KVM's MMIO cache; the result is the same.)
        reason = EXIT_REASON_EPT_VIOLATION;
        qual = run->mmio.is_write ? EPT_QUAL_WRITE : EPT_QUAL_READ;
        vmcs_set_exit_info(v, GUEST_PHYSICAL_ADDRESS, run->mmio.phys_addr);
        break;
    case KVM_EXIT_HLT:
        reason = EXIT_REASON_HLT;
        break;
    case KVM_EXIT_SHUTDOWN:
        reason = EXIT_REASON_TRIPLE_FAULT;
        break;
    case KVM_EXIT_IRQ_WINDOW_OPEN:
        reason = EXIT_REASON_INTERRUPT_WINDOW;
        break;
    case KVM_EXIT_INTR:
        // KVM_RUN returned EINTR: our timer signal. On hardware that is an
        // external interrupt exit that KVM turned into a return to us.
        reason = EXIT_REASON_EXTERNAL_INTERRUPT;
        break;
    case KVM_EXIT_DEBUG: {
        // #DB (single step, breakpoints) or #BP (int3), when guest
        // debugging is on: an exception exit with the vector in the
        // interruption information; the qualification holds DR6's bits.
        unsigned vec = run->debug.arch.exception;
        struct vmcs_intr_info info = {
            .vector = (uint8_t)vec,
            .type = vec == X86_BP ? VMCS_INTR_SW_EXCEPTION : VMCS_INTR_HW_EXCEPTION,
            .valid = true,
        };
        reason = EXIT_REASON_EXCEPTION_NMI;
        qual = run->debug.arch.dr6;
        vmcs_set_exit_info(v, VM_EXIT_INTR_INFO, vmcs_intr_info_encode(&info));
        break;
    }
    case KVM_EXIT_FAIL_ENTRY: {
        // On VT-x the failure reason is the exit reason word itself: bit 31
        // "VM-entry failure" and a basic reason such as 33, invalid guest
        // state. On AMD-V it is SVM's exit code; there we say 33.
        uint64_t hw = run->fail_entry.hardware_entry_failure_reason;
        uint32_t word = (hw & VMX_EXIT_REASON_FAILED) && hw <= UINT32_MAX
                        ? (uint32_t)hw : VMX_EXIT_REASON_FAILED | EXIT_REASON_INVALID_STATE;
        vmcs_set_exit_info(v, VM_EXIT_REASON, word);
        vmcs_set_exit_info(v, EXIT_QUALIFICATION, 0);
        return word & 0xFFFF;
    }
    case KVM_EXIT_UNKNOWN:
        // KVM met a hardware exit reason it has no handler for; on VT-x
        // this is the SDM number itself.
        reason = (unsigned)(run->hw.hardware_exit_reason & 0xFFFF);
        break;
    default:
        return KVM_NO_SDM_REASON;       // KVM's own business: no SDM exit
    }
    vmcs_set_exit_info(v, VM_EXIT_REASON, reason);
    vmcs_set_exit_info(v, EXIT_QUALIFICATION, qual);
    return reason;
}

/* The guest's segment registers, in struct x86_cpu's order, and their fields. */
static const struct {
    uint32_t selector, base, limit, ar;
} seg_fields[X86_SREG_COUNT] = {
    [X86_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
    [X86_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
    [X86_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
    [X86_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
    [X86_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
    [X86_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
};

static void put_segment(struct vmcs *v, uint32_t sel, uint32_t base, uint32_t limit,
                        uint32_t ar, const struct x86_segment *s)
{
    vmwrite(v, sel, s->selector);
    vmwrite(v, base, s->base);
    vmwrite(v, limit, s->limit);
    vmwrite(v, ar, s->attr);
}

void kvm_vmcs_guest_registers(struct vmcs *v, const struct x86_cpu *cpu)
{
    vmwrite(v, GUEST_RIP, cpu->eip);
    vmwrite(v, GUEST_RSP, cpu->gpr[X86_ESP]);
    vmwrite(v, GUEST_RFLAGS, cpu->eflags);
    vmwrite(v, GUEST_CR0, cpu->cr0);
    vmwrite(v, GUEST_CR3, cpu->cr3);
    vmwrite(v, GUEST_CR4, cpu->cr4);
}

void kvm_vmcs_guest_state(struct vmcs *v, const struct x86_cpu *cpu, uint64_t efer)
{
    kvm_vmcs_guest_registers(v, cpu);
    vmwrite(v, GUEST_IA32_EFER, efer);
    for (int i = 0; i < X86_SREG_COUNT; i++)
        put_segment(v, seg_fields[i].selector, seg_fields[i].base, seg_fields[i].limit,
                    seg_fields[i].ar, &cpu->seg[i]);
    put_segment(v, GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT,
                GUEST_LDTR_AR_BYTES, &cpu->ldtr);
    put_segment(v, GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES,
                &cpu->tr);
    vmwrite(v, GUEST_GDTR_BASE, cpu->gdtr.base);
    vmwrite(v, GUEST_GDTR_LIMIT, cpu->gdtr.limit);
    vmwrite(v, GUEST_IDTR_BASE, cpu->idtr.base);
    vmwrite(v, GUEST_IDTR_LIMIT, cpu->idtr.limit);
    vmwrite(v, GUEST_INTERRUPTIBILITY_INFO, cpu->interrupt_shadow ? GUEST_INTR_STATE_STI : 0);
    vmwrite(v, GUEST_ACTIVITY_STATE, cpu->halted ? GUEST_ACTIVITY_HLT : GUEST_ACTIVITY_ACTIVE);
}

/*
 * Fields of the guest-state and exit-information areas that KVM does not
 * show user space (or that we do not ask it for: each would cost an ioctl
 * per exit). Whole groups are hidden as well: see kvm_vmcs_hide_kvm_fields.
 */
static const uint32_t hidden_fields[] = {
    GUEST_DR7, GUEST_PENDING_DBG_EXCEPTIONS, GUEST_IA32_DEBUGCTL, GUEST_IA32_PAT,
    GUEST_SYSENTER_CS, GUEST_SYSENTER_ESP, GUEST_SYSENTER_EIP, GUEST_SMBASE,
    GUEST_PDPTR0, GUEST_PDPTR1, GUEST_PDPTR2, GUEST_PDPTR3,
    VMCS_LINK_POINTER, VMX_PREEMPTION_TIMER_VALUE,
    VM_INSTRUCTION_ERROR, VM_EXIT_INTR_ERROR_CODE, IDT_VECTORING_INFO_FIELD,
    IDT_VECTORING_ERROR_CODE, VM_EXIT_INSTRUCTION_LEN, VMX_INSTRUCTION_INFO,
    EXIT_IO_RCX, EXIT_IO_RSI, EXIT_IO_RDI, EXIT_IO_RIP, GUEST_LINEAR_ADDRESS,
};

int kvm_vmcs_hide_kvm_fields(struct vmcs *v)
{
    int err = VMCS_OK;
    // The host-state area is the host kernel's own registers; the
    // execution, exit and entry controls are KVM's policy (which exits it
    // wants, the EPT pointer, the I/O and MSR bitmaps, the event it injects
    // on entry). All of it lives in the real VMCS inside the kernel.
    for (unsigned i = 0; i < vmcs_nfields; i++) {
        enum vmcs_group g = vmcs_fields[i].group;
        if (g == VMCS_HOST || g == VMCS_EXEC || g == VMCS_EXIT_CTL || g == VMCS_ENTRY_CTL)
            vmcs_set_available(v, vmcs_fields[i].enc, false);
    }
    for (unsigned i = 0; i < sizeof(hidden_fields) / sizeof(hidden_fields[0]); i++)
        if (vmcs_set_available(v, hidden_fields[i], false) != VMCS_OK)
            err = VMCS_ERR_UNSUPPORTED;
    return err;
}
