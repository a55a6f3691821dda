/*
 * exit-stats.h - how often each engine leaves the guest, why, and at what
 * cost (chapter 5, "KVM and EPT", compares the three engines with it).
 *
 * One struct exit_stats per engine counts exits and adds up the host time
 * spent handling them, by SDM basic exit reason (vmm/vmcs.h), so that the
 * interp, trap and kvm engines can be compared line by line. The printers
 * write the `exits` monitor table and the `--stats=json` output.
 */
#ifndef VMM_EXIT_STATS_H
#define VMM_EXIT_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "vmm/vmcs.h"

/* One slot per basic exit reason, and a last one for numbers beyond them. */
#define EXIT_STATS_OTHER  VMX_NR_EXIT_REASONS
#define EXIT_STATS_SLOTS  (VMX_NR_EXIT_REASONS + 1)

struct exit_stats {
    const char *engine;             /* "interp", "trap", "kvm": for the output */
    uint64_t    count[EXIT_STATS_SLOTS];
    uint64_t    ns[EXIT_STATS_SLOTS];       /* host time handling them */
};

/* Start counting for the named engine (the string must outlive s). */
void exit_stats_init(struct exit_stats *s, const char *engine);

/* Zero the counts, keep the engine name. */
void exit_stats_reset(struct exit_stats *s);

/* Count one exit of the given reason that took ns nanoseconds. A whole
   VM_EXIT_REASON value may be passed: only bits 15:0 are the basic reason. */
void exit_stats_record(struct exit_stats *s, unsigned reason, uint64_t ns);

/* All exits counted; *ns (if not NULL) gets their total time. */
uint64_t exit_stats_total(const struct exit_stats *s, uint64_t *ns);

/* A monotonic clock in nanoseconds, for timing exits. */
uint64_t exit_stats_now_ns(void);

/* The table for the monitor's `exits`: one line per reason seen, with
   number, name, count, share of all exits, total and mean time. */
void exit_stats_print(const struct exit_stats *s, FILE *out);

/* The same as one JSON object (for --stats=json). */
void exit_stats_json(const struct exit_stats *s, FILE *out);

#endif
