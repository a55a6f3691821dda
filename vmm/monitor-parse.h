/*
 * monitor-parse.h - what the monitor reads, as pure functions: address
 * expressions, the x/Nfmt suffix, words of a command line, and the closest
 * name to a mistyped one (chapter 7, "Addresses"). No guest, no I/O, so the
 * unit tests can call them with a made-up CPU and symbol table.
 */
#ifndef VMM_MONITOR_PARSE_H
#define VMM_MONITOR_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/symbols.h"
#include "vmm/x86/cpu.h"

/* What an address expression may name. */
struct mon_eval_env {
    const struct x86_cpu     *cpu;      /* for $eax, $eip, $cr3 ... */
    const struct mon_symbols *syms;     /* for exec, exec+4 ... (may be NULL) */
};

/*
 * Evaluate expr: terms joined by + and -, each a number (0x1f hex, 31
 * decimal), a register ($esp) or a symbol (exec). The result must be a
 * 32-bit address. 0, or -1 with one line in err.
 */
int mon_eval(const char *expr, const struct mon_eval_env *env, uint32_t *out,
             char *err, size_t errlen);

/* The value of a register by name without the '$' ("eip", "cr3", "cs").
 * 0, or -1 if there is no such register. */
int mon_reg_value(const struct x86_cpu *cpu, const char *name, uint32_t *out);

/* Every register name mon_reg_value knows, NULL-terminated (completion). */
extern const char *const mon_reg_names[];

/* x/Nfmt: how many units, shown how, of which size. */
struct mon_xfmt {
    unsigned count;                     /* units to show (default 1) */
    char     format;                    /* x d u c s i (default x) */
    unsigned size;                      /* 1 b, 2 h, 4 w (default 4; c: 1) */
};

#define MON_X_MAX_BYTES 4096            /* "range too large" beyond this */
#define MON_X_MAX_UNITS 256             /* strings and instructions at a time */

/* Parse the part after '/' (NULL or "" for the defaults): a count, then
 * format and size letters in any order, as gdb takes them. 0, or -1. */
int mon_parse_xfmt(const char *suffix, struct mon_xfmt *out, char *err, size_t errlen);

/* Split line in place into at most max words at blanks. Returns the count,
 * or -1 if the line has more than max words (it is not cut short). */
int mon_split(char *line, char **argv, int max);

/* The words argv[from..argc) joined by blanks into buf (an expression
 * written with spaces); NULL if they do not fit in len bytes. */
const char *mon_join(int argc, char **argv, int from, char *buf, size_t len);

/* The name among names[0..n) closest to word (edit distance at most 2, or
 * word a prefix of it); NULL if none is close. */
const char *mon_closest(const char *word, const char *const *names, size_t n);

#endif
