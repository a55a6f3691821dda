/*
 * vmcs.h - a software VMCS: Intel's virtual-machine control structure, kept
 * as data so that all three engines describe the guest and its exits in the
 * same words (chapter 5, "KVM and EPT", which also says how hardware does it).
 *
 * Fields are numbered as in the Intel SDM, vol. 3, appendix B, and named as
 * in Linux's arch/x86/include/asm/vmx.h (so that KVM's source reads the
 * same). They are reached only through vmread()/vmwrite(), which fail
 * the way the VMREAD/VMWRITE instructions do. An encoding is not an opaque
 * number; its bits say what the field is:
 *
 *    bit  0     access type: 1 = the high 32 bits of a 64-bit field
 *    bits 9:1   index
 *    bits 11:10 type: 0 control, 1 VM-exit information (read-only),
 *               2 guest state, 3 host state
 *    bits 14:13 width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural (64 here)
 *
 * Exit reasons are the SDM's basic exit reasons (appendix C), and the exit
 * qualification and interruption-information helpers build and take apart
 * the SDM's bit layouts.
 */
#ifndef VMM_VMCS_H
#define VMM_VMCS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* ---- field encodings (SDM vol. 3, appendix B) ---------------------------- */
enum vmcs_encoding {
    /* 16-bit */
    VIRTUAL_PROCESSOR_ID            = 0x0000,
    GUEST_ES_SELECTOR               = 0x0800,
    GUEST_CS_SELECTOR               = 0x0802,
    GUEST_SS_SELECTOR               = 0x0804,
    GUEST_DS_SELECTOR               = 0x0806,
    GUEST_FS_SELECTOR               = 0x0808,
    GUEST_GS_SELECTOR               = 0x080A,
    GUEST_LDTR_SELECTOR             = 0x080C,
    GUEST_TR_SELECTOR               = 0x080E,
    HOST_ES_SELECTOR                = 0x0C00,
    HOST_CS_SELECTOR                = 0x0C02,
    HOST_SS_SELECTOR                = 0x0C04,
    HOST_DS_SELECTOR                = 0x0C06,
    HOST_FS_SELECTOR                = 0x0C08,
    HOST_GS_SELECTOR                = 0x0C0A,
    HOST_TR_SELECTOR                = 0x0C0C,
    /* 64-bit */
    IO_BITMAP_A                     = 0x2000,
    IO_BITMAP_B                     = 0x2002,
    MSR_BITMAP                      = 0x2004,
    VM_EXIT_MSR_STORE_ADDR          = 0x2006,
    VM_EXIT_MSR_LOAD_ADDR           = 0x2008,
    VM_ENTRY_MSR_LOAD_ADDR          = 0x200A,
    TSC_OFFSET                      = 0x2010,
    VIRTUAL_APIC_PAGE_ADDR          = 0x2012,
    APIC_ACCESS_ADDR                = 0x2014,
    EPT_POINTER                     = 0x201A,
    GUEST_PHYSICAL_ADDRESS          = 0x2400,
    VMCS_LINK_POINTER               = 0x2800,
    GUEST_IA32_DEBUGCTL             = 0x2802,
    GUEST_IA32_PAT                  = 0x2804,
    GUEST_IA32_EFER                 = 0x2806,
    GUEST_PDPTR0                    = 0x280A,
    GUEST_PDPTR1                    = 0x280C,
    GUEST_PDPTR2                    = 0x280E,
    GUEST_PDPTR3                    = 0x2810,
    HOST_IA32_PAT                   = 0x2C00,
    HOST_IA32_EFER                  = 0x2C02,
    /* 32-bit */
    PIN_BASED_VM_EXEC_CONTROL       = 0x4000,
    CPU_BASED_VM_EXEC_CONTROL       = 0x4002,
    EXCEPTION_BITMAP                = 0x4004,
    PAGE_FAULT_ERROR_CODE_MASK      = 0x4006,
    PAGE_FAULT_ERROR_CODE_MATCH     = 0x4008,
    CR3_TARGET_COUNT                = 0x400A,
    VM_EXIT_CONTROLS                = 0x400C,
    VM_EXIT_MSR_STORE_COUNT         = 0x400E,
    VM_EXIT_MSR_LOAD_COUNT          = 0x4010,
    VM_ENTRY_CONTROLS               = 0x4012,
    VM_ENTRY_MSR_LOAD_COUNT         = 0x4014,
    VM_ENTRY_INTR_INFO_FIELD        = 0x4016,
    VM_ENTRY_EXCEPTION_ERROR_CODE   = 0x4018,
    VM_ENTRY_INSTRUCTION_LEN        = 0x401A,
    TPR_THRESHOLD                   = 0x401C,
    SECONDARY_VM_EXEC_CONTROL       = 0x401E,
    PLE_GAP                         = 0x4020,
    PLE_WINDOW                      = 0x4022,
    VM_INSTRUCTION_ERROR            = 0x4400,
    VM_EXIT_REASON                  = 0x4402,
    VM_EXIT_INTR_INFO               = 0x4404,
    VM_EXIT_INTR_ERROR_CODE         = 0x4406,
    IDT_VECTORING_INFO_FIELD        = 0x4408,
    IDT_VECTORING_ERROR_CODE        = 0x440A,
    VM_EXIT_INSTRUCTION_LEN         = 0x440C,
    VMX_INSTRUCTION_INFO            = 0x440E,
    GUEST_ES_LIMIT                  = 0x4800,
    GUEST_CS_LIMIT                  = 0x4802,
    GUEST_SS_LIMIT                  = 0x4804,
    GUEST_DS_LIMIT                  = 0x4806,
    GUEST_FS_LIMIT                  = 0x4808,
    GUEST_GS_LIMIT                  = 0x480A,
    GUEST_LDTR_LIMIT                = 0x480C,
    GUEST_TR_LIMIT                  = 0x480E,
    GUEST_GDTR_LIMIT                = 0x4810,
    GUEST_IDTR_LIMIT                = 0x4812,
    GUEST_ES_AR_BYTES               = 0x4814,
    GUEST_CS_AR_BYTES               = 0x4816,
    GUEST_SS_AR_BYTES               = 0x4818,
    GUEST_DS_AR_BYTES               = 0x481A,
    GUEST_FS_AR_BYTES               = 0x481C,
    GUEST_GS_AR_BYTES               = 0x481E,
    GUEST_LDTR_AR_BYTES             = 0x4820,
    GUEST_TR_AR_BYTES               = 0x4822,
    GUEST_INTERRUPTIBILITY_INFO     = 0x4824,
    GUEST_ACTIVITY_STATE            = 0x4826,
    GUEST_SMBASE                    = 0x4828,
    GUEST_SYSENTER_CS               = 0x482A,
    VMX_PREEMPTION_TIMER_VALUE      = 0x482E,
    HOST_IA32_SYSENTER_CS           = 0x4C00,
    /* natural width */
    CR0_GUEST_HOST_MASK             = 0x6000,
    CR4_GUEST_HOST_MASK             = 0x6002,
    CR0_READ_SHADOW                 = 0x6004,
    CR4_READ_SHADOW                 = 0x6006,
    CR3_TARGET_VALUE0               = 0x6008,
    CR3_TARGET_VALUE1               = 0x600A,
    CR3_TARGET_VALUE2               = 0x600C,
    CR3_TARGET_VALUE3               = 0x600E,
    EXIT_QUALIFICATION              = 0x6400,
    EXIT_IO_RCX                     = 0x6402,
    EXIT_IO_RSI                     = 0x6404,
    EXIT_IO_RDI                     = 0x6406,
    EXIT_IO_RIP                     = 0x6408,
    GUEST_LINEAR_ADDRESS            = 0x640A,
    GUEST_CR0                       = 0x6800,
    GUEST_CR3                       = 0x6802,
    GUEST_CR4                       = 0x6804,
    GUEST_ES_BASE                   = 0x6806,
    GUEST_CS_BASE                   = 0x6808,
    GUEST_SS_BASE                   = 0x680A,
    GUEST_DS_BASE                   = 0x680C,
    GUEST_FS_BASE                   = 0x680E,
    GUEST_GS_BASE                   = 0x6810,
    GUEST_LDTR_BASE                 = 0x6812,
    GUEST_TR_BASE                   = 0x6814,
    GUEST_GDTR_BASE                 = 0x6816,
    GUEST_IDTR_BASE                 = 0x6818,
    GUEST_DR7                       = 0x681A,
    GUEST_RSP                       = 0x681C,
    GUEST_RIP                       = 0x681E,
    GUEST_RFLAGS                    = 0x6820,
    GUEST_PENDING_DBG_EXCEPTIONS    = 0x6822,
    GUEST_SYSENTER_ESP              = 0x6824,
    GUEST_SYSENTER_EIP              = 0x6826,
    HOST_CR0                        = 0x6C00,
    HOST_CR3                        = 0x6C02,
    HOST_CR4                        = 0x6C04,
    HOST_FS_BASE                    = 0x6C06,
    HOST_GS_BASE                    = 0x6C08,
    HOST_TR_BASE                    = 0x6C0A,
    HOST_GDTR_BASE                  = 0x6C0C,
    HOST_IDTR_BASE                  = 0x6C0E,
    HOST_IA32_SYSENTER_ESP          = 0x6C10,
    HOST_IA32_SYSENTER_EIP          = 0x6C12,
    HOST_RSP                        = 0x6C14,
    HOST_RIP                        = 0x6C16,
};

/* Decoding an encoding (see the top of this file). */
enum vmcs_width { VMCS_W16 = 0, VMCS_W64 = 1, VMCS_W32 = 2, VMCS_WNATURAL = 3 };
enum vmcs_type  { VMCS_T_CONTROL = 0, VMCS_T_EXIT_INFO = 1, VMCS_T_GUEST = 2, VMCS_T_HOST = 3 };
static inline enum vmcs_width vmcs_enc_width(uint32_t enc) { return (enc >> 13) & 3; }
static inline enum vmcs_type  vmcs_enc_type(uint32_t enc)  { return (enc >> 10) & 3; }

/* The groups the SDM (section 24.3) sorts the fields into, in its order. */
enum vmcs_group {
    VMCS_GUEST,                     /* guest-state area */
    VMCS_HOST,                      /* host-state area */
    VMCS_EXEC,                      /* VM-execution control fields */
    VMCS_EXIT_CTL,                  /* VM-exit control fields */
    VMCS_ENTRY_CTL,                 /* VM-entry control fields */
    VMCS_EXIT_INFO,                 /* VM-exit information fields (read-only) */
    VMCS_NGROUPS
};

struct vmcs_field {
    uint32_t        enc;            /* SDM encoding (access type bit 0 clear) */
    const char     *name;           /* as in enum vmcs_encoding */
    enum vmcs_group group;
};

/* Every field we know, sorted by group; vmcs->value[i] is vmcs_fields[i]. */
extern const struct vmcs_field vmcs_fields[];
extern const unsigned vmcs_nfields;

#define VMCS_MAX_FIELDS 160         /* room in struct vmcs; checked in vmcs.c */

struct vmcs {
    uint64_t value[VMCS_MAX_FIELDS];
    bool     unavailable[VMCS_MAX_FIELDS];  /* the engine cannot show it */
};

/*
 * Results of vmread/vmwrite. 12 and 13 are the SDM's VM-instruction error
 * numbers for the same failures; "unavailable" is ours: the field exists
 * but this engine cannot see it (e.g. KVM keeps it in its own VMCS).
 */
enum vmcs_error {
    VMCS_OK              = 0,
    VMCS_ERR_UNSUPPORTED = 12,      /* "VMREAD/VMWRITE from/to unsupported VMCS component" */
    VMCS_ERR_READ_ONLY   = 13,      /* "VMWRITE to read-only VMCS component" */
    VMCS_ERR_UNAVAILABLE = 256,     /* not an SDM number */
};

/* All fields zero and available; VMCS_LINK_POINTER all ones, as the SDM
   requires when there is no shadow VMCS. */
void vmcs_init(struct vmcs *v);

/*
 * VMREAD: *value = the field enc, zero-extended from its width. For a 64-bit
 * field, enc | 1 reads its high 32 bits. Returns VMCS_OK or an error.
 */
int vmread(const struct vmcs *v, uint32_t enc, uint64_t *value);

/* VMWRITE: set the field enc to value truncated to its width (enc | 1: the
   high half of a 64-bit field). Exit-information fields are read-only. */
int vmwrite(struct vmcs *v, uint32_t enc, uint64_t value);

/* The processor's side of the VMCS: like vmwrite, but read-only fields too.
   Engines report an exit with it (VM_EXIT_REASON, EXIT_QUALIFICATION, ...). */
int vmcs_set_exit_info(struct vmcs *v, uint32_t enc, uint64_t value);

/* Mark a field as one this engine can (true) or cannot (false) show. */
int vmcs_set_available(struct vmcs *v, uint32_t enc, bool available);

/* The table entry for an encoding (bit 0 ignored) or a name (any case);
   NULL if unknown. */
const struct vmcs_field *vmcs_field_by_enc(uint32_t enc);
const struct vmcs_field *vmcs_field_by_name(const char *name);

/* Group names for the monitor: "guest", "host", "exec", "exit-ctl",
   "entry-ctl", "exit-info". vmcs_group_by_name returns -1 if unknown. */
const char *vmcs_group_name(enum vmcs_group g);
int vmcs_group_by_name(const char *name);

/* Print one field, a group, or every group (group < 0) for `vmcs`. */
void vmcs_print_field(const struct vmcs *v, const struct vmcs_field *f, FILE *out);
void vmcs_print(const struct vmcs *v, int group, FILE *out);

/* ---- control bits the engines use (SDM 24.6-24.8) ------------------------ */
#define PIN_BASED_EXT_INTR_MASK         (1u << 0)   /* external interrupts exit */
#define PIN_BASED_NMI_EXITING           (1u << 3)
#define CPU_BASED_INTR_WINDOW_EXITING   (1u << 2)   /* exit when IF=1 allows an interrupt */
#define CPU_BASED_HLT_EXITING           (1u << 7)
#define CPU_BASED_INVLPG_EXITING        (1u << 9)
#define CPU_BASED_RDTSC_EXITING         (1u << 12)
#define CPU_BASED_CR3_LOAD_EXITING      (1u << 15)
#define CPU_BASED_CR3_STORE_EXITING     (1u << 16)
#define CPU_BASED_MOV_DR_EXITING        (1u << 23)
#define CPU_BASED_UNCOND_IO_EXITING     (1u << 24)
#define CPU_BASED_USE_IO_BITMAPS        (1u << 25)
#define CPU_BASED_MONITOR_TRAP_FLAG     (1u << 27)  /* exit after each instruction */
#define CPU_BASED_USE_MSR_BITMAPS       (1u << 28)
#define CPU_BASED_ACTIVATE_SECONDARY    (1u << 31)
#define SECONDARY_EXEC_ENABLE_EPT       (1u << 1)
#define SECONDARY_EXEC_DESC_TABLE_EXITING (1u << 2) /* LGDT, SGDT, ... exit */
#define SECONDARY_EXEC_UNRESTRICTED_GUEST (1u << 7)

/* An engine's execution controls: the exits a VT-x VMM would ask for to
 * see what the engine sees (pin-based and primary processor-based; the
 * other control fields stay 0). Makes both fields available. */
void vmcs_set_controls(struct vmcs *v, uint32_t pin_based, uint32_t cpu_based);

/* GUEST_ACTIVITY_STATE values and GUEST_INTERRUPTIBILITY_INFO bits (24.4.2). */
#define GUEST_ACTIVITY_ACTIVE           0
#define GUEST_ACTIVITY_HLT              1
#define GUEST_ACTIVITY_SHUTDOWN         2   /* after a triple fault */
#define GUEST_ACTIVITY_WAIT_SIPI        3
#define GUEST_INTR_STATE_STI            (1u << 0)   /* the instruction after STI */
#define GUEST_INTR_STATE_MOV_SS         (1u << 1)   /* the instruction after MOV SS */

/* Segment access rights (GUEST_xS_AR_BYTES): the descriptor's type, S, DPL,
   P, AVL, L, D/B and G bits in 15:0, plus bit 16 "unusable" (a null selector). */
#define VMCS_AR_UNUSABLE                (1u << 16)

/* ---- basic exit reasons (SDM appendix C) --------------------------------- */
enum vmx_exit_reason {
    EXIT_REASON_EXCEPTION_NMI       = 0,
    EXIT_REASON_EXTERNAL_INTERRUPT  = 1,
    EXIT_REASON_TRIPLE_FAULT        = 2,
    EXIT_REASON_INIT_SIGNAL         = 3,
    EXIT_REASON_SIPI_SIGNAL         = 4,
    EXIT_REASON_IO_SMI              = 5,
    EXIT_REASON_OTHER_SMI           = 6,
    EXIT_REASON_INTERRUPT_WINDOW    = 7,
    EXIT_REASON_NMI_WINDOW          = 8,
    EXIT_REASON_TASK_SWITCH         = 9,
    EXIT_REASON_CPUID               = 10,
    EXIT_REASON_GETSEC              = 11,
    EXIT_REASON_HLT                 = 12,
    EXIT_REASON_INVD                = 13,
    EXIT_REASON_INVLPG              = 14,
    EXIT_REASON_RDPMC               = 15,
    EXIT_REASON_RDTSC               = 16,
    EXIT_REASON_RSM                 = 17,
    EXIT_REASON_VMCALL              = 18,
    /* 19-27: the other VMX instructions (VMCLEAR ... VMXON) */
    EXIT_REASON_CR_ACCESS           = 28,
    EXIT_REASON_DR_ACCESS           = 29,
    EXIT_REASON_IO_INSTRUCTION      = 30,
    EXIT_REASON_MSR_READ            = 31,
    EXIT_REASON_MSR_WRITE           = 32,
    EXIT_REASON_INVALID_STATE       = 33,   /* VM-entry failure: invalid guest state */
    EXIT_REASON_MSR_LOAD_FAIL       = 34,
    EXIT_REASON_MWAIT_INSTRUCTION   = 36,
    EXIT_REASON_MONITOR_TRAP_FLAG   = 37,
    EXIT_REASON_MONITOR_INSTRUCTION = 39,
    EXIT_REASON_PAUSE_INSTRUCTION   = 40,
    EXIT_REASON_MCE_DURING_VMENTRY  = 41,
    EXIT_REASON_TPR_BELOW_THRESHOLD = 43,
    EXIT_REASON_APIC_ACCESS         = 44,
    EXIT_REASON_EOI_INDUCED         = 45,
    EXIT_REASON_GDTR_IDTR           = 46,
    EXIT_REASON_LDTR_TR             = 47,
    EXIT_REASON_EPT_VIOLATION       = 48,
    EXIT_REASON_EPT_MISCONFIG       = 49,
    EXIT_REASON_PREEMPTION_TIMER    = 52,
    EXIT_REASON_WBINVD              = 54,
    EXIT_REASON_XSETBV              = 55,
};
#define VMX_NR_EXIT_REASONS     70      /* the name table covers 0..69 */
#define VMX_EXIT_REASON_FAILED  (1u << 31)  /* in VM_EXIT_REASON: entry failed */

/* The SDM's short name of a basic exit reason ("HLT", "I/O instruction");
   "unknown" for a number it does not define. Bits 31:16 are ignored. */
const char *vmcs_exit_reason_name(unsigned reason);

/* ---- exit qualifications and interruption information (SDM 27.2) -------- */

/* EXIT_QUALIFICATION of an I/O instruction exit (reason 30). */
struct vmcs_io_qual {
    unsigned size;                  /* 1, 2 or 4 bytes */
    bool     in;                    /* IN/INS (else OUT/OUTS) */
    bool     string;                /* INS/OUTS */
    bool     rep;                   /* REP prefix */
    bool     imm;                   /* port was an immediate (else DX) */
    uint16_t port;
};
uint64_t vmcs_io_qual_encode(const struct vmcs_io_qual *q);
struct vmcs_io_qual vmcs_io_qual_decode(uint64_t qual);

/* EXIT_QUALIFICATION of a control-register access (reason 28). */
enum { VMCS_CR_MOV_TO = 0, VMCS_CR_MOV_FROM = 1, VMCS_CR_CLTS = 2, VMCS_CR_LMSW = 3 };
struct vmcs_cr_qual {
    unsigned cr;                    /* 0, 3, 4 or 8 */
    unsigned type;                  /* VMCS_CR_* */
    unsigned gpr;                   /* 0 EAX, 1 ECX, 2 EDX, 3 EBX, 4 ESP, 5 EBP, 6 ESI, 7 EDI */
    bool     lmsw_mem;              /* LMSW operand was in memory */
    uint16_t lmsw_data;             /* LMSW source data */
};
uint64_t vmcs_cr_qual_encode(const struct vmcs_cr_qual *q);
struct vmcs_cr_qual vmcs_cr_qual_decode(uint64_t qual);

/* VM_EXIT_INTR_INFO, IDT_VECTORING_INFO_FIELD and VM_ENTRY_INTR_INFO_FIELD
   (event injection) all share this layout. */
enum {
    VMCS_INTR_EXTERNAL      = 0,
    VMCS_INTR_NMI           = 2,
    VMCS_INTR_HW_EXCEPTION  = 3,    /* #PF, #GP, ... */
    VMCS_INTR_SW_INTERRUPT  = 4,    /* INT n */
    VMCS_INTR_PRIV_SW_EXCEPTION = 5,/* INT1 */
    VMCS_INTR_SW_EXCEPTION  = 6,    /* INT3, INTO */
};
struct vmcs_intr_info {
    uint8_t  vector;
    unsigned type;                  /* VMCS_INTR_* */
    bool     has_error_code;        /* the error code field is valid */
    bool     valid;
};
uint32_t vmcs_intr_info_encode(const struct vmcs_intr_info *i);
struct vmcs_intr_info vmcs_intr_info_decode(uint32_t info);

#endif
