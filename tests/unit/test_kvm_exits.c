/*
 * test_kvm_exits.c - every kvm_run exit the KVM engine handles, built by
 * hand and mapped into the software VMCS (vmm/kvm/kvm-exits.c); the guest-state
 * area; the fields KVM keeps to itself; the names. No /dev/kvm needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/kvm/kvm.h"
#include "vmm/x86/x86.h"

static struct vmcs vmcs;
static struct kvm_run run;

static int setup(void **state)
{
    (void)state;
    vmcs_init(&vmcs);
    assert_int_equal(kvm_vmcs_hide_kvm_fields(&vmcs), VMCS_OK);
    memset(&run, 0, sizeof(run));
    return 0;
}

static uint64_t field(uint32_t enc)
{
    uint64_t v = 0;
    assert_int_equal(vmread(&vmcs, enc, &v), VMCS_OK);
    return v;
}

static void test_io_out(void **state)
{
    (void)state;
    run.exit_reason = KVM_EXIT_IO;
    run.io.direction = KVM_EXIT_IO_OUT;
    run.io.size = 1;
    run.io.port = 0x3F8;
    run.io.count = 1;
    assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), EXIT_REASON_IO_INSTRUCTION);
    assert_int_equal(field(VM_EXIT_REASON), 30);
    /* SDM: size-1 in bits 2:0, direction bit 3 (0 = out), port in 31:16 */
    assert_int_equal(field(EXIT_QUALIFICATION), 0x03F80000);
    struct vmcs_io_qual q = vmcs_io_qual_decode(field(EXIT_QUALIFICATION));
    assert_int_equal(q.size, 1);
    assert_false(q.in);
    assert_false(q.string);
    assert_int_equal(q.port, 0x3F8);
}

static void test_io_string_in(void **state)
{
    (void)state;
    run.exit_reason = KVM_EXIT_IO;
    run.io.direction = KVM_EXIT_IO_IN;
    run.io.size = 2;
    run.io.port = 0xC010;
    run.io.count = 8;                   /* rep insw */
    kvm_exit_to_vmcs(&vmcs, &run);
    struct vmcs_io_qual q = vmcs_io_qual_decode(field(EXIT_QUALIFICATION));
    assert_int_equal(q.size, 2);
    assert_true(q.in);
    assert_true(q.string);
    assert_true(q.rep);
    assert_int_equal(q.port, 0xC010);
}

static void test_mmio_is_an_ept_violation(void **state)
{
    (void)state;
    run.exit_reason = KVM_EXIT_MMIO;
    run.mmio.phys_addr = 0xFEBF1004;
    run.mmio.len = 4;
    run.mmio.is_write = 1;
    assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), EXIT_REASON_EPT_VIOLATION);
    assert_int_equal(field(VM_EXIT_REASON), 48);
    assert_int_equal(field(GUEST_PHYSICAL_ADDRESS), 0xFEBF1004);
    assert_int_equal(field(EXIT_QUALIFICATION), 2);    /* a write */
    run.mmio.is_write = 0;
    kvm_exit_to_vmcs(&vmcs, &run);
    assert_int_equal(field(EXIT_QUALIFICATION), 1);    /* a read */
}

/* Exits that carry nothing but their reason. */
static void test_simple_exits(void **state)
{
    static const struct { unsigned kvm, sdm; } table[] = {
        { KVM_EXIT_HLT, EXIT_REASON_HLT },
        { KVM_EXIT_SHUTDOWN, EXIT_REASON_TRIPLE_FAULT },
        { KVM_EXIT_IRQ_WINDOW_OPEN, EXIT_REASON_INTERRUPT_WINDOW },
        { KVM_EXIT_INTR, EXIT_REASON_EXTERNAL_INTERRUPT },
    };
    (void)state;
    for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        run.exit_reason = table[i].kvm;
        assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), table[i].sdm);
        assert_int_equal(field(VM_EXIT_REASON), table[i].sdm);
        assert_int_equal(field(EXIT_QUALIFICATION), 0);
    }
    assert_int_equal(EXIT_REASON_HLT, 12);
    assert_int_equal(EXIT_REASON_TRIPLE_FAULT, 2);
    assert_int_equal(EXIT_REASON_INTERRUPT_WINDOW, 7);
}

static void test_debug_is_an_exception(void **state)
{
    (void)state;
    run.exit_reason = KVM_EXIT_DEBUG;
    run.debug.arch.exception = X86_DB;
    run.debug.arch.dr6 = 0x4000;        /* BS: single step */
    assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), EXIT_REASON_EXCEPTION_NMI);
    assert_int_equal(field(VM_EXIT_REASON), 0);
    assert_int_equal(field(EXIT_QUALIFICATION), 0x4000);
    struct vmcs_intr_info info = vmcs_intr_info_decode((uint32_t)field(VM_EXIT_INTR_INFO));
    assert_true(info.valid);
    assert_int_equal(info.vector, X86_DB);
    assert_int_equal(info.type, VMCS_INTR_HW_EXCEPTION);

    run.debug.arch.exception = X86_BP;
    kvm_exit_to_vmcs(&vmcs, &run);
    info = vmcs_intr_info_decode((uint32_t)field(VM_EXIT_INTR_INFO));
    assert_int_equal(info.vector, X86_BP);
    assert_int_equal(info.type, VMCS_INTR_SW_EXCEPTION);
}

static void test_fail_entry(void **state)
{
    (void)state;
    run.exit_reason = KVM_EXIT_FAIL_ENTRY;
    run.fail_entry.hardware_entry_failure_reason = 0x80000021;   /* VT-x: invalid guest state */
    assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), EXIT_REASON_INVALID_STATE);
    assert_int_equal(field(VM_EXIT_REASON), 0x80000021);
    run.fail_entry.hardware_entry_failure_reason = 0xFFFFFFFFFFFFFFFFull;   /* SVM's -1 */
    assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), EXIT_REASON_INVALID_STATE);
    assert_int_equal(field(VM_EXIT_REASON), VMX_EXIT_REASON_FAILED | 33);
}

static void test_unknown_hardware_exit(void **state)
{
    (void)state;
    run.exit_reason = KVM_EXIT_UNKNOWN;
    run.hw.hardware_exit_reason = EXIT_REASON_WBINVD;
    assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), EXIT_REASON_WBINVD);
    assert_int_equal(field(VM_EXIT_REASON), 54);
}

static void test_exits_without_an_sdm_reason(void **state)
{
    (void)state;
    run.exit_reason = KVM_EXIT_HLT;
    kvm_exit_to_vmcs(&vmcs, &run);
    run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
    run.internal.suberror = KVM_INTERNAL_ERROR_EMULATION;
    assert_int_equal(kvm_exit_to_vmcs(&vmcs, &run), KVM_NO_SDM_REASON);
    assert_int_equal(field(VM_EXIT_REASON), 12);      /* left as it was */
    assert_string_equal(kvm_internal_error_name(1), "KVM_INTERNAL_ERROR_EMULATION");
    assert_non_null(strstr(kvm_internal_error_meaning(1), "emulator"));
    assert_string_equal(kvm_internal_error_name(99), "unknown suberror");
}

static void test_exit_names(void **state)
{
    (void)state;
    assert_string_equal(kvm_exit_name(KVM_EXIT_IO), "KVM_EXIT_IO");
    assert_string_equal(kvm_exit_name(KVM_EXIT_INTERNAL_ERROR), "KVM_EXIT_INTERNAL_ERROR");
    assert_string_equal(kvm_exit_name(KVM_EXIT_SHUTDOWN), "KVM_EXIT_SHUTDOWN");
    assert_string_equal(kvm_exit_name(12345), "KVM_EXIT_?");
}

static void test_guest_state_area(void **state)
{
    (void)state;
    struct x86_cpu c;
    x86_reset_multiboot(&c, 0x100000, 0x10000);
    c.gpr[X86_ESP] = 0x7000;
    c.cr3 = 0x120000;
    c.tr = (struct x86_segment){ 0x28, 0xC0105000, 0x67, 0x008B };
    c.ldtr.attr = X86_AR_UNUSABLE;
    c.interrupt_shadow = true;
    c.halted = true;
    kvm_vmcs_guest_state(&vmcs, &c, 0);
    assert_int_equal(field(GUEST_RIP), 0x100000);
    assert_int_equal(field(GUEST_RSP), 0x7000);
    assert_int_equal(field(GUEST_RFLAGS), 0x2);
    assert_int_equal(field(GUEST_CR0), X86_CR0_PE | X86_CR0_ET);
    assert_int_equal(field(GUEST_CR3), 0x120000);
    assert_int_equal(field(GUEST_CS_SELECTOR), 0x08);
    assert_int_equal(field(GUEST_CS_LIMIT), 0xFFFFFFFF);
    assert_int_equal(field(GUEST_CS_AR_BYTES), 0xC09B);
    assert_int_equal(field(GUEST_DS_AR_BYTES), 0xC093);
    assert_int_equal(field(GUEST_TR_BASE), 0xC0105000);
    assert_int_equal(field(GUEST_TR_AR_BYTES), 0x008B);
    assert_int_equal(field(GUEST_LDTR_AR_BYTES), VMCS_AR_UNUSABLE);
    assert_int_equal(field(GUEST_GDTR_LIMIT), 0xFFFF);
    assert_int_equal(field(GUEST_INTERRUPTIBILITY_INFO), GUEST_INTR_STATE_STI);
    assert_int_equal(field(GUEST_ACTIVITY_STATE), GUEST_ACTIVITY_HLT);
    assert_int_equal(field(GUEST_IA32_EFER), 0);
}

/* The host-state area, the controls and a few guest fields: KVM's own. */
static void test_hidden_fields(void **state)
{
    static const uint32_t hidden[] = {
        HOST_RIP, HOST_CR3, EPT_POINTER, CPU_BASED_VM_EXEC_CONTROL,
        SECONDARY_VM_EXEC_CONTROL, EXCEPTION_BITMAP, IO_BITMAP_A, VM_EXIT_CONTROLS,
        VM_ENTRY_CONTROLS, VM_ENTRY_INTR_INFO_FIELD, GUEST_DR7, VM_EXIT_INSTRUCTION_LEN,
    };
    uint64_t v;
    (void)state;
    for (unsigned i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        assert_int_equal(vmread(&vmcs, hidden[i], &v), VMCS_ERR_UNAVAILABLE);
    /* every listed field exists in the table: nothing silently ignored */
    for (unsigned i = 0; i < vmcs_nfields; i++)
        if (vmcs_fields[i].group == VMCS_HOST)
            assert_int_equal(vmread(&vmcs, vmcs_fields[i].enc, &v), VMCS_ERR_UNAVAILABLE);
    assert_int_equal(vmread(&vmcs, GUEST_RIP, &v), VMCS_OK);
    assert_int_equal(vmread(&vmcs, VM_EXIT_REASON, &v), VMCS_OK);
    assert_int_equal(vmread(&vmcs, GUEST_PHYSICAL_ADDRESS, &v), VMCS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_io_out, setup),
        cmocka_unit_test_setup(test_io_string_in, setup),
        cmocka_unit_test_setup(test_mmio_is_an_ept_violation, setup),
        cmocka_unit_test_setup(test_simple_exits, setup),
        cmocka_unit_test_setup(test_debug_is_an_exception, setup),
        cmocka_unit_test_setup(test_fail_entry, setup),
        cmocka_unit_test_setup(test_unknown_hardware_exit, setup),
        cmocka_unit_test_setup(test_exits_without_an_sdm_reason, setup),
        cmocka_unit_test_setup(test_exit_names, setup),
        cmocka_unit_test_setup(test_guest_state_area, setup),
        cmocka_unit_test_setup(test_hidden_fields, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
