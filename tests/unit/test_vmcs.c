/*
 * test_vmcs.c - the software VMCS (vmm/vmcs.c): encodings checked against
 * the Intel SDM, VMREAD/VMWRITE semantics (width, high halves, read-only,
 * unknown and unavailable fields), lookups, printing, exit reason names and
 * the exit-qualification / interruption-information layouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/vmcs.h"

/* Encodings copied from the SDM, vol. 3, appendix B, independent of vmcs.h. */
static const struct { const char *name; uint32_t enc; } sdm[] = {
    { "GUEST_ES_SELECTOR", 0x0800 }, { "GUEST_CS_SELECTOR", 0x0802 },
    { "GUEST_TR_SELECTOR", 0x080E }, { "HOST_CS_SELECTOR", 0x0C02 },
    { "HOST_TR_SELECTOR", 0x0C0C },  { "IO_BITMAP_A", 0x2000 },
    { "IO_BITMAP_B", 0x2002 },       { "MSR_BITMAP", 0x2004 },
    { "TSC_OFFSET", 0x2010 },        { "EPT_POINTER", 0x201A },
    { "GUEST_PHYSICAL_ADDRESS", 0x2400 }, { "VMCS_LINK_POINTER", 0x2800 },
    { "GUEST_IA32_EFER", 0x2806 },   { "HOST_IA32_EFER", 0x2C02 },
    { "PIN_BASED_VM_EXEC_CONTROL", 0x4000 }, { "CPU_BASED_VM_EXEC_CONTROL", 0x4002 },
    { "EXCEPTION_BITMAP", 0x4004 },  { "CR3_TARGET_COUNT", 0x400A },
    { "VM_EXIT_CONTROLS", 0x400C },  { "VM_ENTRY_CONTROLS", 0x4012 },
    { "VM_ENTRY_INTR_INFO_FIELD", 0x4016 }, { "VM_ENTRY_EXCEPTION_ERROR_CODE", 0x4018 },
    { "VM_ENTRY_INSTRUCTION_LEN", 0x401A }, { "SECONDARY_VM_EXEC_CONTROL", 0x401E },
    { "VM_INSTRUCTION_ERROR", 0x4400 }, { "VM_EXIT_REASON", 0x4402 },
    { "VM_EXIT_INTR_INFO", 0x4404 }, { "VM_EXIT_INTR_ERROR_CODE", 0x4406 },
    { "IDT_VECTORING_INFO_FIELD", 0x4408 }, { "IDT_VECTORING_ERROR_CODE", 0x440A },
    { "VM_EXIT_INSTRUCTION_LEN", 0x440C }, { "VMX_INSTRUCTION_INFO", 0x440E },
    { "GUEST_ES_LIMIT", 0x4800 },    { "GUEST_GDTR_LIMIT", 0x4810 },
    { "GUEST_IDTR_LIMIT", 0x4812 },  { "GUEST_ES_AR_BYTES", 0x4814 },
    { "GUEST_TR_AR_BYTES", 0x4822 }, { "GUEST_INTERRUPTIBILITY_INFO", 0x4824 },
    { "GUEST_ACTIVITY_STATE", 0x4826 }, { "HOST_IA32_SYSENTER_CS", 0x4C00 },
    { "CR0_GUEST_HOST_MASK", 0x6000 }, { "CR4_GUEST_HOST_MASK", 0x6002 },
    { "CR0_READ_SHADOW", 0x6004 },   { "CR4_READ_SHADOW", 0x6006 },
    { "CR3_TARGET_VALUE0", 0x6008 }, { "EXIT_QUALIFICATION", 0x6400 },
    { "GUEST_LINEAR_ADDRESS", 0x640A }, { "GUEST_CR0", 0x6800 },
    { "GUEST_CR3", 0x6802 },         { "GUEST_CR4", 0x6804 },
    { "GUEST_ES_BASE", 0x6806 },     { "GUEST_TR_BASE", 0x6814 },
    { "GUEST_GDTR_BASE", 0x6816 },   { "GUEST_IDTR_BASE", 0x6818 },
    { "GUEST_DR7", 0x681A },         { "GUEST_RSP", 0x681C },
    { "GUEST_RIP", 0x681E },         { "GUEST_RFLAGS", 0x6820 },
    { "GUEST_PENDING_DBG_EXCEPTIONS", 0x6822 }, { "HOST_CR0", 0x6C00 },
    { "HOST_RSP", 0x6C14 },          { "HOST_RIP", 0x6C16 },
};

static void test_encodings_match_the_sdm(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof sdm / sizeof sdm[0]; i++) {
        const struct vmcs_field *f = vmcs_field_by_name(sdm[i].name);
        assert_non_null(f);
        assert_int_equal(f->enc, sdm[i].enc);
        assert_ptr_equal(vmcs_field_by_enc(sdm[i].enc), f);
    }
    assert_int_equal(GUEST_RIP, 0x681E);
    assert_int_equal(VM_EXIT_REASON, 0x4402);
}

/* The table agrees with what each encoding says about itself. */
static void test_table_is_consistent(void **state)
{
    static const enum vmcs_type type_of_group[VMCS_NGROUPS] = {
        [VMCS_GUEST] = VMCS_T_GUEST, [VMCS_HOST] = VMCS_T_HOST,
        [VMCS_EXEC] = VMCS_T_CONTROL, [VMCS_EXIT_CTL] = VMCS_T_CONTROL,
        [VMCS_ENTRY_CTL] = VMCS_T_CONTROL, [VMCS_EXIT_INFO] = VMCS_T_EXIT_INFO,
    };
    (void)state;
    assert_true(vmcs_nfields > 100 && vmcs_nfields <= VMCS_MAX_FIELDS);
    for (unsigned i = 0; i < vmcs_nfields; i++) {
        const struct vmcs_field *f = &vmcs_fields[i];
        assert_int_equal(f->enc & 1, 0);
        assert_int_equal(vmcs_enc_type(f->enc), type_of_group[f->group]);
        if (i > 0)              /* grouped, in the SDM's group order */
            assert_true(f->group >= vmcs_fields[i - 1].group);
        for (unsigned j = i + 1; j < vmcs_nfields; j++) {
            assert_int_not_equal(f->enc, vmcs_fields[j].enc);
            assert_string_not_equal(f->name, vmcs_fields[j].name);
        }
    }
}

static void test_width_truncation(void **state)
{
    struct vmcs v;
    uint64_t val;
    (void)state;
    vmcs_init(&v);

    assert_int_equal(vmcs_enc_width(GUEST_CS_SELECTOR), VMCS_W16);
    assert_int_equal(vmwrite(&v, GUEST_CS_SELECTOR, 0x12345678), VMCS_OK);
    assert_int_equal(vmread(&v, GUEST_CS_SELECTOR, &val), VMCS_OK);
    assert_int_equal(val, 0x5678);

    assert_int_equal(vmcs_enc_width(EXCEPTION_BITMAP), VMCS_W32);
    assert_int_equal(vmwrite(&v, EXCEPTION_BITMAP, 0xAABBCCDD11223344ull), VMCS_OK);
    assert_int_equal(vmread(&v, EXCEPTION_BITMAP, &val), VMCS_OK);
    assert_int_equal(val, 0x11223344);

    assert_int_equal(vmcs_enc_width(EPT_POINTER), VMCS_W64);
    assert_int_equal(vmwrite(&v, EPT_POINTER, 0xAABBCCDD11223344ull), VMCS_OK);
    assert_int_equal(vmread(&v, EPT_POINTER, &val), VMCS_OK);
    assert_true(val == 0xAABBCCDD11223344ull);

    assert_int_equal(vmcs_enc_width(GUEST_RIP), VMCS_WNATURAL);
    assert_int_equal(vmwrite(&v, GUEST_RIP, 0xFFFFFFFF80001000ull), VMCS_OK);
    assert_int_equal(vmread(&v, GUEST_RIP, &val), VMCS_OK);
    assert_true(val == 0xFFFFFFFF80001000ull);
}

static void test_high_half_of_64_bit_fields(void **state)
{
    struct vmcs v;
    uint64_t val;
    (void)state;
    vmcs_init(&v);

    assert_int_equal(vmwrite(&v, GUEST_IA32_EFER, 0x0000000100000500ull), VMCS_OK);
    assert_int_equal(vmread(&v, GUEST_IA32_EFER | 1, &val), VMCS_OK);
    assert_int_equal(val, 1);
    assert_int_equal(vmwrite(&v, GUEST_IA32_EFER | 1, 0x77), VMCS_OK);
    assert_int_equal(vmread(&v, GUEST_IA32_EFER, &val), VMCS_OK);
    assert_true(val == 0x0000007700000500ull);
    /* Only 64-bit fields have a high half. */
    assert_int_equal(vmread(&v, GUEST_RIP | 1, &val), VMCS_ERR_UNSUPPORTED);
    assert_int_equal(vmwrite(&v, EXCEPTION_BITMAP | 1, 0), VMCS_ERR_UNSUPPORTED);
}

static void test_unknown_encodings_refused(void **state)
{
    struct vmcs v;
    uint64_t val = 42;
    (void)state;
    vmcs_init(&v);

    assert_int_equal(vmread(&v, 0x6830, &val), VMCS_ERR_UNSUPPORTED);
    assert_int_equal(val, 42);
    assert_int_equal(vmwrite(&v, 0x6830, 1), VMCS_ERR_UNSUPPORTED);
    assert_int_equal(vmread(&v, 0x1681E, &val), VMCS_ERR_UNSUPPORTED); /* bit 16 */
    assert_int_equal(vmread(&v, 0x8000 | GUEST_RIP, &val), VMCS_ERR_UNSUPPORTED);
    assert_int_equal(VMCS_ERR_UNSUPPORTED, 12);     /* the SDM's numbers */
    assert_int_equal(VMCS_ERR_READ_ONLY, 13);
    assert_null(vmcs_field_by_enc(0x6830));
}

static void test_exit_info_is_read_only(void **state)
{
    struct vmcs v;
    uint64_t val;
    (void)state;
    vmcs_init(&v);

    assert_int_equal(vmwrite(&v, VM_EXIT_REASON, 30), VMCS_ERR_READ_ONLY);
    assert_int_equal(vmwrite(&v, EXIT_QUALIFICATION, 1), VMCS_ERR_READ_ONLY);
    assert_int_equal(vmwrite(&v, GUEST_PHYSICAL_ADDRESS, 1), VMCS_ERR_READ_ONLY);
    assert_int_equal(vmread(&v, VM_EXIT_REASON, &val), VMCS_OK);
    assert_int_equal(val, 0);
    /* The processor's side writes them, truncated like any other field. */
    assert_int_equal(vmcs_set_exit_info(&v, VM_EXIT_REASON, 0x100000000ull | 30), VMCS_OK);
    assert_int_equal(vmread(&v, VM_EXIT_REASON, &val), VMCS_OK);
    assert_int_equal(val, 30);
    assert_int_equal(vmcs_set_exit_info(&v, 0x6830, 1), VMCS_ERR_UNSUPPORTED);
}

static void test_init_values(void **state)
{
    struct vmcs v;
    uint64_t val;
    (void)state;
    memset(&v, 0x5A, sizeof v);
    vmcs_init(&v);

    assert_int_equal(vmread(&v, VMCS_LINK_POINTER, &val), VMCS_OK);
    assert_true(val == UINT64_MAX);
    for (unsigned i = 0; i < vmcs_nfields; i++) {
        assert_int_equal(vmread(&v, vmcs_fields[i].enc, &val), VMCS_OK);
        if (vmcs_fields[i].enc != VMCS_LINK_POINTER)
            assert_int_equal(val, 0);
    }
}

static void test_lookup_by_name_and_group(void **state)
{
    (void)state;
    assert_int_equal(vmcs_field_by_name("guest_rip")->enc, GUEST_RIP);
    assert_int_equal(vmcs_field_by_name("GUEST_RIP")->group, VMCS_GUEST);
    assert_int_equal(vmcs_field_by_name("EXCEPTION_BITMAP")->group, VMCS_EXEC);
    assert_int_equal(vmcs_field_by_name("VM_EXIT_CONTROLS")->group, VMCS_EXIT_CTL);
    assert_int_equal(vmcs_field_by_name("VM_ENTRY_INTR_INFO_FIELD")->group, VMCS_ENTRY_CTL);
    assert_int_equal(vmcs_field_by_name("EXIT_QUALIFICATION")->group, VMCS_EXIT_INFO);
    assert_int_equal(vmcs_field_by_name("HOST_RIP")->group, VMCS_HOST);
    assert_null(vmcs_field_by_name("GUEST_XIP"));
    assert_null(vmcs_field_by_name(""));
    assert_ptr_equal(vmcs_field_by_enc(EPT_POINTER | 1), vmcs_field_by_name("EPT_POINTER"));

    assert_int_equal(vmcs_group_by_name("guest"), VMCS_GUEST);
    assert_int_equal(vmcs_group_by_name("EXIT-INFO"), VMCS_EXIT_INFO);
    assert_int_equal(vmcs_group_by_name("nope"), -1);
    assert_string_equal(vmcs_group_name(VMCS_ENTRY_CTL), "entry-ctl");
}

static void test_unavailable_fields(void **state)
{
    struct vmcs v;
    uint64_t val;
    (void)state;
    vmcs_init(&v);

    assert_int_equal(vmwrite(&v, HOST_RIP, 0x1234), VMCS_OK);
    assert_int_equal(vmcs_set_available(&v, HOST_RIP, false), VMCS_OK);
    assert_int_equal(vmread(&v, HOST_RIP, &val), VMCS_ERR_UNAVAILABLE);
    assert_int_equal(vmwrite(&v, HOST_RIP, 1), VMCS_ERR_UNAVAILABLE);
    assert_int_equal(vmcs_set_available(&v, HOST_RIP, true), VMCS_OK);
    assert_int_equal(vmread(&v, HOST_RIP, &val), VMCS_OK);
    assert_int_equal(val, 0x1234);
    assert_int_equal(vmcs_set_available(&v, 0x6830, false), VMCS_ERR_UNSUPPORTED);
}

static void test_print(void **state)
{
    struct vmcs v;
    char *buf = NULL;
    size_t len = 0;
    (void)state;
    vmcs_init(&v);
    vmwrite(&v, GUEST_RIP, 0xC0100000);
    vmcs_set_available(&v, HOST_RSP, false);

    FILE *out = open_memstream(&buf, &len);
    vmcs_print(&v, -1, out);
    fclose(out);
    assert_non_null(strstr(buf, "Guest-state area [guest]"));
    assert_non_null(strstr(buf, "GUEST_RIP"));
    assert_non_null(strstr(buf, "681e  c0100000"));
    assert_non_null(strstr(buf, "VM-exit information fields"));
    assert_non_null(strstr(buf, "HOST_RSP                       6c14  (not available"));
    free(buf);

    out = open_memstream(&buf, &len);
    vmcs_print(&v, VMCS_ENTRY_CTL, out);
    fclose(out);
    assert_non_null(strstr(buf, "VM_ENTRY_INTR_INFO_FIELD"));
    assert_null(strstr(buf, "GUEST_RIP"));
    free(buf);
}

static void test_exit_reason_names(void **state)
{
    (void)state;
    assert_string_equal(vmcs_exit_reason_name(EXIT_REASON_EXCEPTION_NMI), "exception or NMI");
    assert_string_equal(vmcs_exit_reason_name(1), "external interrupt");
    assert_string_equal(vmcs_exit_reason_name(2), "triple fault");
    assert_string_equal(vmcs_exit_reason_name(10), "CPUID");
    assert_string_equal(vmcs_exit_reason_name(EXIT_REASON_HLT), "HLT");
    assert_string_equal(vmcs_exit_reason_name(14), "INVLPG");
    assert_string_equal(vmcs_exit_reason_name(28), "control-register access");
    assert_string_equal(vmcs_exit_reason_name(EXIT_REASON_IO_INSTRUCTION), "I/O instruction");
    assert_string_equal(vmcs_exit_reason_name(48), "EPT violation");
    assert_string_equal(vmcs_exit_reason_name(49), "EPT misconfiguration");
    assert_string_equal(vmcs_exit_reason_name(35), "unknown");     /* unused */
    assert_string_equal(vmcs_exit_reason_name(1000), "unknown");
    /* Entry failure: bit 31 set on top of the basic reason. */
    assert_string_equal(vmcs_exit_reason_name(VMX_EXIT_REASON_FAILED | 33),
                        "entry failure: invalid guest state");
}

static void test_io_qualification(void **state)
{
    (void)state;
    /* outb %al, (%dx) with DX = 0x3F8 */
    struct vmcs_io_qual out = { .size = 1, .port = 0x3F8 };
    assert_int_equal(vmcs_io_qual_encode(&out), 0x03F80000);
    /* inl $0x71, %eax */
    struct vmcs_io_qual in = { .size = 4, .in = true, .imm = true, .port = 0x71 };
    assert_int_equal(vmcs_io_qual_encode(&in), 0x00710000 | 0x40 | 0x08 | 3);
    /* rep insw from port 0x1F0 */
    struct vmcs_io_qual rep = { .size = 2, .in = true, .string = true, .rep = true,
                                .port = 0x1F0 };
    uint64_t q = vmcs_io_qual_encode(&rep);
    assert_int_equal(q, 0x01F00000 | 0x20 | 0x10 | 0x08 | 1);
    struct vmcs_io_qual d = vmcs_io_qual_decode(q);
    assert_int_equal(d.size, 2);
    assert_true(d.in && d.string && d.rep && !d.imm);
    assert_int_equal(d.port, 0x1F0);
}

static void test_cr_qualification(void **state)
{
    (void)state;
    /* mov %eax, %cr3 */
    struct vmcs_cr_qual to = { .cr = 3, .type = VMCS_CR_MOV_TO, .gpr = 0 };
    assert_int_equal(vmcs_cr_qual_encode(&to), 0x3);
    /* mov %cr0, %ebx */
    struct vmcs_cr_qual from = { .cr = 0, .type = VMCS_CR_MOV_FROM, .gpr = 3 };
    assert_int_equal(vmcs_cr_qual_encode(&from), 0x310);
    /* clts */
    struct vmcs_cr_qual clts = { .type = VMCS_CR_CLTS };
    assert_int_equal(vmcs_cr_qual_encode(&clts), 0x20);
    /* lmsw (mem) with source data 0x0011 */
    struct vmcs_cr_qual lmsw = { .type = VMCS_CR_LMSW, .lmsw_mem = true, .lmsw_data = 0x11 };
    uint64_t q = vmcs_cr_qual_encode(&lmsw);
    assert_int_equal(q, 0x00110000 | 0x40 | 0x30);
    struct vmcs_cr_qual d = vmcs_cr_qual_decode(q);
    assert_int_equal(d.type, VMCS_CR_LMSW);
    assert_true(d.lmsw_mem);
    assert_int_equal(d.lmsw_data, 0x11);
    d = vmcs_cr_qual_decode(0x710 | 4);     /* mov %cr4, %edi */
    assert_int_equal(d.cr, 4);
    assert_int_equal(d.type, VMCS_CR_MOV_FROM);
    assert_int_equal(d.gpr, 7);
}

static void test_interruption_information(void **state)
{
    (void)state;
    struct vmcs_intr_info pf = { .vector = 14, .type = VMCS_INTR_HW_EXCEPTION,
                                 .has_error_code = true, .valid = true };
    assert_int_equal(vmcs_intr_info_encode(&pf), 0x80000B0E);
    struct vmcs_intr_info irq = { .vector = 0x20, .type = VMCS_INTR_EXTERNAL, .valid = true };
    assert_int_equal(vmcs_intr_info_encode(&irq), 0x80000020);
    struct vmcs_intr_info nmi = { .vector = 2, .type = VMCS_INTR_NMI, .valid = true };
    assert_int_equal(vmcs_intr_info_encode(&nmi), 0x80000202);
    struct vmcs_intr_info sw = { .vector = 0x40, .type = VMCS_INTR_SW_INTERRUPT, .valid = true };
    assert_int_equal(vmcs_intr_info_encode(&sw), 0x80000440);
    struct vmcs_intr_info bp = { .vector = 3, .type = VMCS_INTR_SW_EXCEPTION, .valid = true };
    assert_int_equal(vmcs_intr_info_encode(&bp), 0x80000603);

    struct vmcs_intr_info d = vmcs_intr_info_decode(0x80000B0D);    /* #GP */
    assert_int_equal(d.vector, 13);
    assert_int_equal(d.type, VMCS_INTR_HW_EXCEPTION);
    assert_true(d.has_error_code && d.valid);
    assert_false(vmcs_intr_info_decode(0x0000030E).valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodings_match_the_sdm),
        cmocka_unit_test(test_table_is_consistent),
        cmocka_unit_test(test_width_truncation),
        cmocka_unit_test(test_high_half_of_64_bit_fields),
        cmocka_unit_test(test_unknown_encodings_refused),
        cmocka_unit_test(test_exit_info_is_read_only),
        cmocka_unit_test(test_init_values),
        cmocka_unit_test(test_lookup_by_name_and_group),
        cmocka_unit_test(test_unavailable_fields),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_exit_reason_names),
        cmocka_unit_test(test_io_qualification),
        cmocka_unit_test(test_cr_qualification),
        cmocka_unit_test(test_interruption_information),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
