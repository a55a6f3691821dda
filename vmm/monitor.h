/*
 * monitor.h - the monitor: a debugger console on the running guest, and
 * what the gdb stub shares with it (chapter 7, "The monitor").
 *
 *   monitor.c        the run loop, the console (readline or a script),
 *                    dispatch, completion, stopping and resuming the guest
 *   monitor-cmds.c   the command table and the commands on CPU state,
 *                    VMCS, exits, breakpoints and engines
 *   monitor-mem.c    x, xp, pt, tlb: guest memory and its translation
 *   monitor-parse.c  pure parsing (address expressions, x/Nfmt)
 *   symbols.c        the guest kernel's ELF symbol table
 *   gdb-stub.c       the GDB remote serial protocol on a TCP port
 */
#ifndef VMM_MONITOR_H
#define VMM_MONITOR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/monitor-parse.h"
#include "vmm/symbols.h"
#include "vmm/vm.h"

struct mon_config {
    bool        start_paused;           /* --monitor: the console before the first instruction */
    int         gdb_port;               /* --gdb PORT; 0: none */
    const char *symbols_path;           /* the guest ELF file (its .symtab) */
};

/*
 * Run the guest to its end, entering the monitor when asked (--monitor,
 * Ctrl-A c) and serving gdb first when --gdb is given. Returns why the run
 * ended; VM_STOP_DEBUG means the user left from the monitor or gdb (quit,
 * end of its input, gdb's kill) while the guest still ran.
 */
enum vm_stop mon_run(struct vm *vm);

/* Before the run: read the guest's symbols, open the gdb port. 0, or -1
 * with one line in err. */
int mon_init(struct vm *vm, const struct mon_config *cfg, char *err, size_t errlen);

/* ---- shared by monitor*.c and gdb-stub.c ---- */

struct mon {
    struct vm         *vm;
    struct mon_symbols syms;
    bool               keep_open;       /* --monitor: the console stays after the guest ends */
    bool               script;          /* commands come from a pipe: echo them */
    bool               leave;           /* the session ends (quit, or back to the guest) */
    bool               finished;        /* the guest ended: final says how */
    enum vm_stop       final;
    bool               end_told;        /* the console said how the guest ended */
    int                gdb_listen_fd;   /* -1: no --gdb; else open for the whole run */
    bool               gdb_attached;    /* gdb is connected: the monitor is its guest */
    bool               quit;            /* `quit` was typed (under gdb too) */
    bool               start_paused;
    uint64_t           stopped_at;      /* host ns: pauses do not count for --timeout */
    char               repeat[96];      /* what an empty line runs: the last step, or
                                           x going on where the last x ended */
};

/* One monitor command: the table is data (monitor-cmds.c). Handlers
 * return 0, or -1 after printing one line that says what was wrong. */
struct mon_command {
    const char *name;
    const char *args;                   /* usage, for help */
    const char *help;                   /* one line */
    int (*run)(struct mon *m, int argc, char **argv);
};
extern const struct mon_command mon_commands[];
extern const unsigned mon_ncommands;

/* The command called name (or a unique prefix of one); NULL with one
 * line in err (unknown: the closest name; ambiguous: the candidates). */
const struct mon_command *mon_find_command(const char *name, char *err, size_t errlen);

#define MON_MAX_WORDS 128              /* words in one command line */
#define MON_EXPR_MAX  1024             /* characters in one address expression */

/* The console on the terminal until the user leaves it (quit, cont or
 * Ctrl-A c under gdb, the end of input). */
void mon_console(struct mon *m);

/* Run one command line; 0, or -1 if it was refused. */
int mon_execute(struct mon *m, char *line);

/* Let the guest run until it stops for the debugger (true: vm->debug.why
 * says why) or ends (false: m->finished, m->final). With --gdb and no gdb
 * attached, a gdb that connects meanwhile is served at once (it stops the
 * guest; after its detach the guest runs on). */
bool mon_resume(struct mon *m);

/* Print where the guest stopped and why ("breakpoint 1, exec+0 at ..."). */
void mon_print_stop(struct mon *m);

/* After a watchpoint stop: which one, old and new value (monitor-cmds.c). */
void mon_print_watch_hit(struct mon *m);

/* The vCPU state, through the engine (KVM keeps it in the kernel). */
void mon_get_cpu(struct mon *m, struct x86_cpu *cpu);
void mon_set_cpu(struct mon *m, const struct x86_cpu *cpu);

/* Evaluate an address expression against the current state. Prints the
 * error and returns -1 if it is malformed. */
int mon_eval_addr(struct mon *m, const char *expr, uint32_t *out);

/* " <sym+off>" for addr, or "" if no symbol is near (buf holds it). */
const char *mon_symbolize(struct mon *m, uint32_t addr, char *buf, size_t len);

/* Guest memory through the guest's own page tables (pw_peek: no A/D bit
 * changes). 0, or -1 with *bad = the first address that is not mapped. */
int mon_read_virt(struct vm *vm, uint32_t gva, void *buf, size_t len, uint32_t *bad);
int mon_write_virt(struct vm *vm, uint32_t gva, const void *buf, size_t len, uint32_t *bad);

/* Breakpoints (shared with gdb's Z0/Z1). add: the breakpoint's number (an
 * old one if addr has one already), or -1 if all are in use. remove: 0, or
 * -1 if none is at addr. */
int mon_break_add(struct vm *vm, uint32_t addr);
int mon_break_remove(struct vm *vm, uint32_t addr);

/* Watchpoints (the monitor's `watch`, gdb's Z2/Z3/Z4), on the engines
 * whose executor sees every data access (interp). add: the watchpoint's
 * number, or -1 (all in use), -2 (len not 1..8), -3 (this engine cannot).
 * remove: 0, or -1 if none matches. */
int  mon_watch_add(struct vm *vm, uint32_t addr, uint32_t len, unsigned kind);
int  mon_watch_remove(struct vm *vm, uint32_t addr, uint32_t len, unsigned kind);
bool mon_watch_supported(const struct vm *vm);

/* monitor-mem.c */
/* Print "=> 0xADDR <sym+off>:  insn" for the instruction at eip. */
void mon_print_insn(struct mon *m, uint32_t eip);

int mon_cmd_x(struct mon *m, int argc, char **argv);
int mon_cmd_xp(struct mon *m, int argc, char **argv);
int mon_cmd_pt(struct mon *m, int argc, char **argv);
int mon_cmd_tlb(struct mon *m, int argc, char **argv);
int mon_cmd_info(struct mon *m, int argc, char **argv);

#endif
