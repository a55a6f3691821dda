/*
 * vmcs.c - the software VMCS: the field table, VMREAD/VMWRITE, the exit
 * reason names and the exit-information layouts (chapter 5, "KVM and EPT").
 *
 * On real hardware the VMCS is a 4 KiB region whose layout is secret: the
 * CPU caches it and software may touch it only with VMREAD and VMWRITE and
 * an encoding. We keep the same discipline for the same reason (the layout
 * is nobody's business), so the engines, the monitor and the chapters all
 * speak in SDM encodings. The table is small, so lookups are a linear scan:
 * a few hundred nanoseconds at most, far below the cost of any exit.
 */
#include "vmm/vmcs.h"

#include <string.h>
#include <strings.h>

#define FIELD(name, group) { name, #name, group }

/* Every field, in the SDM's group order (section 24.3), then by encoding. */
const struct vmcs_field vmcs_fields[] = {
    /* Guest-state area (24.4): registers, then non-register state. */
    FIELD(GUEST_CR0, VMCS_GUEST),
    FIELD(GUEST_CR3, VMCS_GUEST),
    FIELD(GUEST_CR4, VMCS_GUEST),
    FIELD(GUEST_DR7, VMCS_GUEST),
    FIELD(GUEST_RSP, VMCS_GUEST),
    FIELD(GUEST_RIP, VMCS_GUEST),
    FIELD(GUEST_RFLAGS, VMCS_GUEST),
    FIELD(GUEST_ES_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_CS_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_SS_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_DS_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_FS_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_GS_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_LDTR_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_TR_SELECTOR, VMCS_GUEST),
    FIELD(GUEST_ES_BASE, VMCS_GUEST),
    FIELD(GUEST_CS_BASE, VMCS_GUEST),
    FIELD(GUEST_SS_BASE, VMCS_GUEST),
    FIELD(GUEST_DS_BASE, VMCS_GUEST),
    FIELD(GUEST_FS_BASE, VMCS_GUEST),
    FIELD(GUEST_GS_BASE, VMCS_GUEST),
    FIELD(GUEST_LDTR_BASE, VMCS_GUEST),
    FIELD(GUEST_TR_BASE, VMCS_GUEST),
    FIELD(GUEST_ES_LIMIT, VMCS_GUEST),
    FIELD(GUEST_CS_LIMIT, VMCS_GUEST),
    FIELD(GUEST_SS_LIMIT, VMCS_GUEST),
    FIELD(GUEST_DS_LIMIT, VMCS_GUEST),
    FIELD(GUEST_FS_LIMIT, VMCS_GUEST),
    FIELD(GUEST_GS_LIMIT, VMCS_GUEST),
    FIELD(GUEST_LDTR_LIMIT, VMCS_GUEST),
    FIELD(GUEST_TR_LIMIT, VMCS_GUEST),
    FIELD(GUEST_ES_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_CS_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_SS_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_DS_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_FS_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_GS_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_LDTR_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_TR_AR_BYTES, VMCS_GUEST),
    FIELD(GUEST_GDTR_BASE, VMCS_GUEST),
    FIELD(GUEST_GDTR_LIMIT, VMCS_GUEST),
    FIELD(GUEST_IDTR_BASE, VMCS_GUEST),
    FIELD(GUEST_IDTR_LIMIT, VMCS_GUEST),
    FIELD(GUEST_IA32_DEBUGCTL, VMCS_GUEST),
    FIELD(GUEST_SYSENTER_CS, VMCS_GUEST),
    FIELD(GUEST_SYSENTER_ESP, VMCS_GUEST),
    FIELD(GUEST_SYSENTER_EIP, VMCS_GUEST),
    FIELD(GUEST_IA32_PAT, VMCS_GUEST),
    FIELD(GUEST_IA32_EFER, VMCS_GUEST),
    FIELD(GUEST_SMBASE, VMCS_GUEST),
    FIELD(GUEST_ACTIVITY_STATE, VMCS_GUEST),
    FIELD(GUEST_INTERRUPTIBILITY_INFO, VMCS_GUEST),
    FIELD(GUEST_PENDING_DBG_EXCEPTIONS, VMCS_GUEST),
    FIELD(VMCS_LINK_POINTER, VMCS_GUEST),
    FIELD(VMX_PREEMPTION_TIMER_VALUE, VMCS_GUEST),
    FIELD(GUEST_PDPTR0, VMCS_GUEST),
    FIELD(GUEST_PDPTR1, VMCS_GUEST),
    FIELD(GUEST_PDPTR2, VMCS_GUEST),
    FIELD(GUEST_PDPTR3, VMCS_GUEST),

    /* Host-state area (24.5): loaded on every VM exit. */
    FIELD(HOST_CR0, VMCS_HOST),
    FIELD(HOST_CR3, VMCS_HOST),
    FIELD(HOST_CR4, VMCS_HOST),
    FIELD(HOST_RSP, VMCS_HOST),
    FIELD(HOST_RIP, VMCS_HOST),
    FIELD(HOST_ES_SELECTOR, VMCS_HOST),
    FIELD(HOST_CS_SELECTOR, VMCS_HOST),
    FIELD(HOST_SS_SELECTOR, VMCS_HOST),
    FIELD(HOST_DS_SELECTOR, VMCS_HOST),
    FIELD(HOST_FS_SELECTOR, VMCS_HOST),
    FIELD(HOST_GS_SELECTOR, VMCS_HOST),
    FIELD(HOST_TR_SELECTOR, VMCS_HOST),
    FIELD(HOST_FS_BASE, VMCS_HOST),
    FIELD(HOST_GS_BASE, VMCS_HOST),
    FIELD(HOST_TR_BASE, VMCS_HOST),
    FIELD(HOST_GDTR_BASE, VMCS_HOST),
    FIELD(HOST_IDTR_BASE, VMCS_HOST),
    FIELD(HOST_IA32_SYSENTER_CS, VMCS_HOST),
    FIELD(HOST_IA32_SYSENTER_ESP, VMCS_HOST),
    FIELD(HOST_IA32_SYSENTER_EIP, VMCS_HOST),
    FIELD(HOST_IA32_PAT, VMCS_HOST),
    FIELD(HOST_IA32_EFER, VMCS_HOST),

    /* VM-execution control fields (24.6): what makes the guest exit. */
    FIELD(PIN_BASED_VM_EXEC_CONTROL, VMCS_EXEC),
    FIELD(CPU_BASED_VM_EXEC_CONTROL, VMCS_EXEC),
    FIELD(SECONDARY_VM_EXEC_CONTROL, VMCS_EXEC),
    FIELD(EXCEPTION_BITMAP, VMCS_EXEC),
    FIELD(PAGE_FAULT_ERROR_CODE_MASK, VMCS_EXEC),
    FIELD(PAGE_FAULT_ERROR_CODE_MATCH, VMCS_EXEC),
    FIELD(IO_BITMAP_A, VMCS_EXEC),
    FIELD(IO_BITMAP_B, VMCS_EXEC),
    FIELD(TSC_OFFSET, VMCS_EXEC),
    FIELD(CR0_GUEST_HOST_MASK, VMCS_EXEC),
    FIELD(CR4_GUEST_HOST_MASK, VMCS_EXEC),
    FIELD(CR0_READ_SHADOW, VMCS_EXEC),
    FIELD(CR4_READ_SHADOW, VMCS_EXEC),
    FIELD(CR3_TARGET_COUNT, VMCS_EXEC),
    FIELD(CR3_TARGET_VALUE0, VMCS_EXEC),
    FIELD(CR3_TARGET_VALUE1, VMCS_EXEC),
    FIELD(CR3_TARGET_VALUE2, VMCS_EXEC),
    FIELD(CR3_TARGET_VALUE3, VMCS_EXEC),
    FIELD(APIC_ACCESS_ADDR, VMCS_EXEC),
    FIELD(VIRTUAL_APIC_PAGE_ADDR, VMCS_EXEC),
    FIELD(TPR_THRESHOLD, VMCS_EXEC),
    FIELD(MSR_BITMAP, VMCS_EXEC),
    FIELD(VIRTUAL_PROCESSOR_ID, VMCS_EXEC),
    FIELD(EPT_POINTER, VMCS_EXEC),
    FIELD(PLE_GAP, VMCS_EXEC),
    FIELD(PLE_WINDOW, VMCS_EXEC),

    /* VM-exit control fields (24.7). */
    FIELD(VM_EXIT_CONTROLS, VMCS_EXIT_CTL),
    FIELD(VM_EXIT_MSR_STORE_COUNT, VMCS_EXIT_CTL),
    FIELD(VM_EXIT_MSR_STORE_ADDR, VMCS_EXIT_CTL),
    FIELD(VM_EXIT_MSR_LOAD_COUNT, VMCS_EXIT_CTL),
    FIELD(VM_EXIT_MSR_LOAD_ADDR, VMCS_EXIT_CTL),

    /* VM-entry control fields (24.8), event injection among them. */
    FIELD(VM_ENTRY_CONTROLS, VMCS_ENTRY_CTL),
    FIELD(VM_ENTRY_MSR_LOAD_COUNT, VMCS_ENTRY_CTL),
    FIELD(VM_ENTRY_MSR_LOAD_ADDR, VMCS_ENTRY_CTL),
    FIELD(VM_ENTRY_INTR_INFO_FIELD, VMCS_ENTRY_CTL),
    FIELD(VM_ENTRY_EXCEPTION_ERROR_CODE, VMCS_ENTRY_CTL),
    FIELD(VM_ENTRY_INSTRUCTION_LEN, VMCS_ENTRY_CTL),

    /* VM-exit information fields (24.9): written by the CPU, read-only. */
    FIELD(VM_EXIT_REASON, VMCS_EXIT_INFO),
    FIELD(EXIT_QUALIFICATION, VMCS_EXIT_INFO),
    FIELD(GUEST_LINEAR_ADDRESS, VMCS_EXIT_INFO),
    FIELD(GUEST_PHYSICAL_ADDRESS, VMCS_EXIT_INFO),
    FIELD(VM_EXIT_INTR_INFO, VMCS_EXIT_INFO),
    FIELD(VM_EXIT_INTR_ERROR_CODE, VMCS_EXIT_INFO),
    FIELD(IDT_VECTORING_INFO_FIELD, VMCS_EXIT_INFO),
    FIELD(IDT_VECTORING_ERROR_CODE, VMCS_EXIT_INFO),
    FIELD(VM_EXIT_INSTRUCTION_LEN, VMCS_EXIT_INFO),
    FIELD(VMX_INSTRUCTION_INFO, VMCS_EXIT_INFO),
    FIELD(EXIT_IO_RCX, VMCS_EXIT_INFO),
    FIELD(EXIT_IO_RSI, VMCS_EXIT_INFO),
    FIELD(EXIT_IO_RDI, VMCS_EXIT_INFO),
    FIELD(EXIT_IO_RIP, VMCS_EXIT_INFO),
    FIELD(VM_INSTRUCTION_ERROR, VMCS_EXIT_INFO),
};
const unsigned vmcs_nfields = sizeof vmcs_fields / sizeof vmcs_fields[0];

_Static_assert(sizeof vmcs_fields / sizeof vmcs_fields[0] <= VMCS_MAX_FIELDS,
               "raise VMCS_MAX_FIELDS");

static const char *const group_names[VMCS_NGROUPS] = {
    [VMCS_GUEST]     = "guest",
    [VMCS_HOST]      = "host",
    [VMCS_EXEC]      = "exec",
    [VMCS_EXIT_CTL]  = "exit-ctl",
    [VMCS_ENTRY_CTL] = "entry-ctl",
    [VMCS_EXIT_INFO] = "exit-info",
};

/* What vmcs_print calls the groups: the SDM's own headings. */
static const char *const group_titles[VMCS_NGROUPS] = {
    [VMCS_GUEST]     = "Guest-state area",
    [VMCS_HOST]      = "Host-state area",
    [VMCS_EXEC]      = "VM-execution control fields",
    [VMCS_EXIT_CTL]  = "VM-exit control fields",
    [VMCS_ENTRY_CTL] = "VM-entry control fields",
    [VMCS_EXIT_INFO] = "VM-exit information fields (read-only)",
};

/* Index of enc's field in vmcs_fields, or -1. Bit 0 (the high-half access
   of a 64-bit field) is the caller's business. */
static int index_of(uint32_t enc)
{
    for (unsigned i = 0; i < vmcs_nfields; i++)
        if (vmcs_fields[i].enc == enc)
            return (int)i;
    return -1;
}

/*
 * Find the field an encoding names, as VMREAD/VMWRITE would: unknown
 * encodings, and bit 0 set on a field that is not 64-bit, are unsupported.
 * Sets *high for a high-half access. Returns the index or -1.
 */
static int resolve(uint32_t enc, bool *high)
{
    *high = enc & 1;
    if (enc & ~0x7FFFu)                 /* bits 31:15 are reserved, 0 */
        return -1;
    if (*high && vmcs_enc_width(enc) != VMCS_W64)
        return -1;
    return index_of(enc & ~1u);
}

static uint64_t width_mask(uint32_t enc)
{
    switch (vmcs_enc_width(enc)) {
    case VMCS_W16: return 0xFFFF;
    case VMCS_W32: return 0xFFFFFFFF;
    default:       return UINT64_MAX;   /* 64-bit, and natural on a 64-bit host */
    }
}

void vmcs_init(struct vmcs *v)
{
    memset(v, 0, sizeof *v);
    v->value[index_of(VMCS_LINK_POINTER)] = UINT64_MAX;
}

int vmread(const struct vmcs *v, uint32_t enc, uint64_t *value)
{
    bool high;
    int i = resolve(enc, &high);

    if (i < 0)
        return VMCS_ERR_UNSUPPORTED;
    if (v->unavailable[i])
        return VMCS_ERR_UNAVAILABLE;
    *value = high ? v->value[i] >> 32 : v->value[i];
    return VMCS_OK;
}

/* The store shared by vmwrite and vmcs_set_exit_info. */
static int store(struct vmcs *v, uint32_t enc, uint64_t value, bool privileged)
{
    bool high;
    int i = resolve(enc, &high);

    if (i < 0)
        return VMCS_ERR_UNSUPPORTED;
    if (!privileged && vmcs_enc_type(enc) == VMCS_T_EXIT_INFO)
        return VMCS_ERR_READ_ONLY;
    if (v->unavailable[i])
        return VMCS_ERR_UNAVAILABLE;
    if (high)                           /* a 32-bit write of bits 63:32 */
        v->value[i] = (v->value[i] & 0xFFFFFFFFu) | (value << 32);
    else
        v->value[i] = value & width_mask(enc);
    return VMCS_OK;
}

int vmwrite(struct vmcs *v, uint32_t enc, uint64_t value)
{
    return store(v, enc, value, false);
}

int vmcs_set_exit_info(struct vmcs *v, uint32_t enc, uint64_t value)
{
    return store(v, enc, value, true);
}

int vmcs_set_available(struct vmcs *v, uint32_t enc, bool available)
{
    int i = index_of(enc & ~1u);

    if (i < 0)
        return VMCS_ERR_UNSUPPORTED;
    v->unavailable[i] = !available;
    return VMCS_OK;
}

const struct vmcs_field *vmcs_field_by_enc(uint32_t enc)
{
    int i = index_of(enc & ~1u);
    return i < 0 ? NULL : &vmcs_fields[i];
}

const struct vmcs_field *vmcs_field_by_name(const char *name)
{
    for (unsigned i = 0; i < vmcs_nfields; i++)
        if (strcasecmp(vmcs_fields[i].name, name) == 0)
            return &vmcs_fields[i];
    return NULL;
}

const char *vmcs_group_name(enum vmcs_group g)
{
    return (unsigned)g < VMCS_NGROUPS ? group_names[g] : "?";
}

int vmcs_group_by_name(const char *name)
{
    for (int g = 0; g < VMCS_NGROUPS; g++)
        if (strcasecmp(group_names[g], name) == 0)
            return g;
    return -1;
}

void vmcs_print_field(const struct vmcs *v, const struct vmcs_field *f, FILE *out)
{
    static const int digits[] = {
        [VMCS_W16] = 4, [VMCS_W64] = 16, [VMCS_W32] = 8, [VMCS_WNATURAL] = 8,
    };
    uint64_t val;

    fprintf(out, "  %-30s %04x  ", f->name, (unsigned)f->enc);
    if (vmread(v, f->enc, &val) == VMCS_OK)
        fprintf(out, "%0*llx\n", digits[vmcs_enc_width(f->enc)],
                (unsigned long long)val);
    else
        fprintf(out, "(not available on this engine)\n");
}

void vmcs_print(const struct vmcs *v, int group, FILE *out)
{
    for (int g = 0; g < VMCS_NGROUPS; g++) {
        if (group >= 0 && g != group)
            continue;
        fprintf(out, "%s [%s]\n", group_titles[g], group_names[g]);
        for (unsigned i = 0; i < vmcs_nfields; i++)
            if ((int)vmcs_fields[i].group == g)
                vmcs_print_field(v, &vmcs_fields[i], out);
    }
}

/* ---- exit reasons -------------------------------------------------------- */

/* The SDM's names, shortened where it spells out a whole sentence. */
static const char *const exit_reason_names[VMX_NR_EXIT_REASONS] = {
    [0]  = "exception or NMI",
    [1]  = "external interrupt",
    [2]  = "triple fault",
    [3]  = "INIT signal",
    [4]  = "start-up IPI",
    [5]  = "I/O SMI",
    [6]  = "other SMI",
    [7]  = "interrupt window",
    [8]  = "NMI window",
    [9]  = "task switch",
    [10] = "CPUID",
    [11] = "GETSEC",
    [12] = "HLT",
    [13] = "INVD",
    [14] = "INVLPG",
    [15] = "RDPMC",
    [16] = "RDTSC",
    [17] = "RSM",
    [18] = "VMCALL",
    [19] = "VMCLEAR",
    [20] = "VMLAUNCH",
    [21] = "VMPTRLD",
    [22] = "VMPTRST",
    [23] = "VMREAD",
    [24] = "VMRESUME",
    [25] = "VMWRITE",
    [26] = "VMXOFF",
    [27] = "VMXON",
    [28] = "control-register access",
    [29] = "MOV DR",
    [30] = "I/O instruction",
    [31] = "RDMSR",
    [32] = "WRMSR",
    [33] = "entry failure: invalid guest state",
    [34] = "entry failure: MSR loading",
    [36] = "MWAIT",
    [37] = "monitor trap flag",
    [39] = "MONITOR",
    [40] = "PAUSE",
    [41] = "entry failure: machine check",
    [43] = "TPR below threshold",
    [44] = "APIC access",
    [45] = "virtualized EOI",
    [46] = "access to GDTR or IDTR",
    [47] = "access to LDTR or TR",
    [48] = "EPT violation",
    [49] = "EPT misconfiguration",
    [50] = "INVEPT",
    [51] = "RDTSCP",
    [52] = "VMX-preemption timer expired",
    [53] = "INVVPID",
    [54] = "WBINVD or WBNOINVD",
    [55] = "XSETBV",
    [56] = "APIC write",
    [57] = "RDRAND",
    [58] = "INVPCID",
    [59] = "VMFUNC",
    [60] = "ENCLS",
    [61] = "RDSEED",
    [62] = "page-modification log full",
    [63] = "XSAVES",
    [64] = "XRSTORS",
    [65] = "PCONFIG",
    [66] = "SPP-related event",
    [67] = "UMWAIT",
    [68] = "TPAUSE",
    [69] = "LOADIWKEY",
};

const char *vmcs_exit_reason_name(unsigned reason)
{
    reason &= 0xFFFF;                   /* the basic exit reason */
    if (reason < VMX_NR_EXIT_REASONS && exit_reason_names[reason])
        return exit_reason_names[reason];
    return "unknown";
}

/* ---- exit qualification layouts (SDM 27.2.1, tables 27-3 and 27-5) -------- */

uint64_t vmcs_io_qual_encode(const struct vmcs_io_qual *q)
{
    return (uint64_t)((q->size - 1) & 7)    /* 2:0 size - 1 */
         | (uint64_t)q->in << 3             /* 3 direction: 1 = IN */
         | (uint64_t)q->string << 4         /* 4 string instruction */
         | (uint64_t)q->rep << 5            /* 5 REP prefix */
         | (uint64_t)q->imm << 6            /* 6 operand: 1 = immediate */
         | (uint64_t)q->port << 16;         /* 31:16 port */
}

struct vmcs_io_qual vmcs_io_qual_decode(uint64_t qual)
{
    return (struct vmcs_io_qual){
        .size   = (unsigned)(qual & 7) + 1,
        .in     = qual >> 3 & 1,
        .string = qual >> 4 & 1,
        .rep    = qual >> 5 & 1,
        .imm    = qual >> 6 & 1,
        .port   = (uint16_t)(qual >> 16),
    };
}

uint64_t vmcs_cr_qual_encode(const struct vmcs_cr_qual *q)
{
    return (uint64_t)(q->cr & 15)           /* 3:0 control register */
         | (uint64_t)(q->type & 3) << 4     /* 5:4 access type */
         | (uint64_t)q->lmsw_mem << 6       /* 6 LMSW operand in memory */
         | (uint64_t)(q->gpr & 15) << 8     /* 11:8 general register */
         | (uint64_t)q->lmsw_data << 16;    /* 31:16 LMSW source data */
}

struct vmcs_cr_qual vmcs_cr_qual_decode(uint64_t qual)
{
    return (struct vmcs_cr_qual){
        .cr        = qual & 15,
        .type      = qual >> 4 & 3,
        .lmsw_mem  = qual >> 6 & 1,
        .gpr       = qual >> 8 & 15,
        .lmsw_data = (uint16_t)(qual >> 16),
    };
}

uint32_t vmcs_intr_info_encode(const struct vmcs_intr_info *i)
{
    return (uint32_t)i->vector              /* 7:0 vector */
         | (uint32_t)(i->type & 7) << 8     /* 10:8 type */
         | (uint32_t)i->has_error_code << 11 /* 11 error code valid */
         | (uint32_t)i->valid << 31;        /* 31 valid */
}

struct vmcs_intr_info vmcs_intr_info_decode(uint32_t info)
{
    return (struct vmcs_intr_info){
        .vector         = (uint8_t)info,
        .type           = info >> 8 & 7,
        .has_error_code = info >> 11 & 1,
        .valid          = info >> 31 & 1,
    };
}

void vmcs_set_controls(struct vmcs *v, uint32_t pin_based, uint32_t cpu_based)
{
    vmcs_set_available(v, PIN_BASED_VM_EXEC_CONTROL, true);
    vmcs_set_available(v, CPU_BASED_VM_EXEC_CONTROL, true);
    vmwrite(v, PIN_BASED_VM_EXEC_CONTROL, pin_based);
    vmwrite(v, CPU_BASED_VM_EXEC_CONTROL, cpu_based);
}
