/*
 * kvm.h - the pieces of the KVM engine (chapter 05-kvm-and-ept.md).
 *
 * engine-kvm.c drives /dev/kvm; the rest are pure functions the unit tests
 * call without a KVM: kvm-state.c converts between KVM's register structs
 * and our engine-neutral struct x86_cpu, kvm-exits.c maps each kvm_run exit
 * into the software VMCS, kvm-mmu.c tells which MMU KVM uses on this host,
 * kvm-stats.c reads KVM's own counters from its binary statistics file.
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "vmm/vmcs.h"
#include "vmm/x86/cpu.h"

/* ---- kvm-state.c: KVM's registers <-> struct x86_cpu ------------------- */

/* One segment register: KVM keeps the access rights as separate fields,
   we keep them in the VMX layout (vmm/x86/cpu.h). Limits are in bytes in both. */
void kvm_segment_from_x86(const struct x86_segment *in, struct kvm_segment *out);
void kvm_segment_to_x86(const struct kvm_segment *in, struct x86_segment *out);

/* The whole vCPU. kvm_state_from_cpu overwrites only the fields x86_cpu has,
   so pass in sregs as KVM_GET_SREGS gave them (EFER, APIC base stay). */
void kvm_state_from_cpu(const struct x86_cpu *cpu, struct kvm_regs *regs,
                        struct kvm_sregs *sregs);
void kvm_state_to_cpu(const struct kvm_regs *regs, const struct kvm_sregs *sregs,
                      struct x86_cpu *cpu);

/* The event state: the interrupt shadow after sti/mov ss and an exception
   waiting for delivery. kvm_events_from_cpu changes only those fields of ev
   (pass what KVM_GET_VCPU_EVENTS gave). */
void kvm_events_from_cpu(const struct x86_cpu *cpu, struct kvm_vcpu_events *ev);
void kvm_events_to_cpu(const struct kvm_vcpu_events *ev, struct x86_cpu *cpu);

/* ---- kvm-exits.c: kvm_run exits -> the software VMCS ------------------- */

/* No SDM exit reason fits (KVM_EXIT_INTERNAL_ERROR, ...): one past the
   table, which exit_stats counts as "other". */
#define KVM_NO_SDM_REASON  VMX_NR_EXIT_REASONS

/* Fill the exit-information fields of v from the exit KVM reported in run
 * (run->exit_reason and its union member). Returns the SDM basic exit reason
 * the exit corresponds to, or KVM_NO_SDM_REASON. */
unsigned kvm_exit_to_vmcs(struct vmcs *v, const struct kvm_run *run);

/* Copy the guest-state area (registers, segments, tables) from cpu; efer is
   KVM's EFER (struct kvm_sregs), which x86_cpu does not hold. The _registers
   variant copies only RIP, RSP, RFLAGS and CR0/3/4: cheap enough per exit. */
void kvm_vmcs_guest_state(struct vmcs *v, const struct x86_cpu *cpu, uint64_t efer);
void kvm_vmcs_guest_registers(struct vmcs *v, const struct x86_cpu *cpu);

/* Mark the fields KVM keeps to itself as unavailable (see kvm-exits.c).
   Returns VMCS_OK, or VMCS_ERR_UNSUPPORTED if its list names an unknown field. */
int kvm_vmcs_hide_kvm_fields(struct vmcs *v);

/* "KVM_EXIT_IO", "KVM_EXIT_HLT", ...; "KVM_EXIT_?" if unknown. */
const char *kvm_exit_name(unsigned kvm_exit_reason);

/* "KVM_INTERNAL_ERROR_EMULATION", ... and a sentence saying what it means. */
const char *kvm_internal_error_name(unsigned suberror);
const char *kvm_internal_error_meaning(unsigned suberror);

/* ---- kvm-mmu.c: which MMU KVM uses on this host ------------------------ */

enum kvm_mmu_mode {
    KVM_MMU_MODE_EPT,               /* VT-x with extended page tables */
    KVM_MMU_MODE_NPT,               /* AMD-V with nested page tables */
    KVM_MMU_MODE_SHADOW,            /* VT-x/AMD-V, but KVM keeps shadow page tables */
    KVM_MMU_MODE_NONE,              /* no VT-x/AMD-V at all */
};

struct kvm_mmu_info {
    enum kvm_mmu_mode mode;
    bool vmx, svm;                  /* the CPU flags in /proc/cpuinfo */
    bool pvm;                       /* the kvm_pvm module is loaded */
    char why[160];                  /* what the decision rests on, for the message */
};

/* Decide from ROOT/proc/cpuinfo and ROOT/sys/module/... (root "/" on a live
   host, a temporary tree in the tests). Never fails: unreadable means absent. */
void kvm_mmu_detect(const char *root, struct kvm_mmu_info *info);

/* "EPT", "NPT", "shadow paging", "none (no hardware assist)". */
const char *kvm_mmu_mode_name(enum kvm_mmu_mode mode);

/* True when /dev/kvm opens and KVM runs guests with VT-x or AMD-V: what
   --engine auto needs before it picks kvm. */
bool kvm_hardware_assisted(void);

/* ---- kvm-stats.c: KVM's binary statistics (KVM_GET_STATS_FD) ----------- */

#define KVM_STATS_MAX  160

struct kvm_stat {
    char     name[48];
    uint64_t value;
    uint32_t flags;                 /* KVM_STATS_TYPE_*, _UNIT_*, _BASE_* */
    int16_t  exponent;
};

struct kvm_stats {
    char            id[64];         /* "kvm-1234" or "kvm-1234/vcpu-0" */
    unsigned        count;
    struct kvm_stat stat[KVM_STATS_MAX];
};

/* Read every scalar counter from a stats file descriptor (histograms are
   skipped). Returns 0, or -1 with a message in err if the file is malformed. */
int kvm_stats_read(int fd, struct kvm_stats *out, char *err, size_t errlen);

/* The value of the named counter, or -1 when this host's KVM has none. */
int64_t kvm_stats_get(const struct kvm_stats *s, const char *name);

/* Print the non-zero counters under a title. */
void kvm_stats_print(const struct kvm_stats *s, const char *title, FILE *out);

/* Every counter as one JSON object (--stats=json). */
void kvm_stats_json(const struct kvm_stats *s, FILE *out);

#endif
