/*
 * monitor-cmds.c - the monitor's command table, and the commands on CPU
 * state, the VMCS, exits, breakpoints and engines (chapter 7, "Commands").
 * Memory commands (x, xp, pt, tlb) are in monitor-mem.c.
 *
 * The table is data: a name, its arguments, one line of help and a
 * handler. `help`, tab completion and the "did you mean" of a mistyped
 * command all read it.
 */
#define _GNU_SOURCE
#include "vmm/monitor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/console.h"

/* The words argv[from..argc) joined by blanks, as one expression into buf;
 * NULL after saying so if they do not fit. */
static char *rest_of_line(int argc, char **argv, int from, char *buf, size_t len)
{
    if (mon_join(argc, argv, from, buf, len))
        return buf;
    printf("expression too long: at most %zu characters\n", len - 1);
    return NULL;
}

/* A whole decimal or 0x-hex number in s; false if it is not one. */
static bool whole_number(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || s[0] == '-' || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- CPU state ---- */

/* The names of the set bits of value, bit i named names[i]. */
static void print_bits(uint32_t value, const char *const names[32])
{
    printf(" [");
    for (int i = 0; i < 32; i++)
        if ((value >> i) & 1 && names[i])
            printf(" %s", names[i]);
    printf(" ]");
}

static const char *const eflags_names[32] = {
    [0] = "CF", [2] = "PF", [4] = "AF", [6] = "ZF", [7] = "SF", [8] = "TF", [9] = "IF",
    [10] = "DF", [11] = "OF", [14] = "NT", [16] = "RF", [17] = "VM", [18] = "AC", [21] = "ID",
};

static int cmd_regs(struct mon *m, int argc, char **argv)
{
    (void)argc, (void)argv;
    static const char *const names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    struct x86_cpu c;
    char sym[96];
    mon_get_cpu(m, &c);
    for (int i = 0; i < 8; i++)
        printf("%s 0x%08x%s", names[i], c.gpr[i], i % 4 == 3 ? "\n" : "   ");
    printf("eip 0x%08x%s\n", c.eip, mon_symbolize(m, c.eip, sym, sizeof(sym)));
    printf("eflags 0x%08x", c.eflags);
    print_bits(c.eflags, eflags_names);
    printf(" iopl %u   cpl %u%s\n", (c.eflags >> 12) & 3, c.cpl, c.halted ? "   halted" : "");
    return 0;
}

/* One segment register: selector, the hidden descriptor cache, and what
 * its access rights say. */
static void print_segment(const char *name, const struct x86_segment *s)
{
    printf("%-4s 0x%04x  base 0x%08x  limit 0x%08x  attr 0x%05x", name, s->selector, s->base,
           s->limit, s->attr);
    if (s->attr & X86_AR_UNUSABLE)
        printf("  unusable (null selector)\n");
    else if (!(s->attr & X86_AR_S))
        printf("  system type %u, dpl %u\n", s->attr & X86_AR_TYPE_MASK,
               (s->attr & X86_AR_DPL_MASK) >> X86_AR_DPL_SHIFT);
    else
        printf("  %s, dpl %u, %s%s\n", (s->attr & 8) ? "code" : "data",
               (s->attr & X86_AR_DPL_MASK) >> X86_AR_DPL_SHIFT,
               (s->attr & X86_AR_DB) ? "32-bit" : "16-bit", (s->attr & X86_AR_P) ? "" : ", not present");
}

static int cmd_sregs(struct mon *m, int argc, char **argv)
{
    (void)argc, (void)argv;
    static const char *const seg_names[X86_SREG_COUNT] = { "es", "cs", "ss", "ds", "fs", "gs" };
    static const char *const cr0_names[32] = {
        [0] = "PE", [1] = "MP", [2] = "EM", [3] = "TS", [4] = "ET", [5] = "NE", [16] = "WP",
        [18] = "AM", [29] = "NW", [30] = "CD", [31] = "PG",
    };
    static const char *const cr4_names[32] = {
        [0] = "VME", [1] = "PVI", [2] = "TSD", [3] = "DE", [4] = "PSE", [5] = "PAE",
        [6] = "MCE", [7] = "PGE", [9] = "OSFXSR", [10] = "OSXMMEXCPT",
    };
    struct x86_cpu c;
    mon_get_cpu(m, &c);
    for (int i = 0; i < X86_SREG_COUNT; i++)
        print_segment(seg_names[i], &c.seg[i]);
    print_segment("ldtr", &c.ldtr);
    print_segment("tr", &c.tr);
    printf("gdtr base 0x%08x  limit 0x%04x\n", c.gdtr.base, c.gdtr.limit);
    printf("idtr base 0x%08x  limit 0x%04x\n", c.idtr.base, c.idtr.limit);
    printf("cr0  0x%08x", c.cr0);
    print_bits(c.cr0, cr0_names);
    printf("\ncr2  0x%08x\ncr3  0x%08x\ncr4  0x%08x", c.cr2, c.cr3, c.cr4);
    print_bits(c.cr4, cr4_names);
    printf("\n");
    return 0;
}

/* ---- the VMCS ---- */

/* As the CPU does at every VM exit, save the guest's state into the
 * guest-state area, so that `vmcs` shows the guest as it is now. */
static void save_guest_state(struct mon *m)
{
    static const uint32_t seg_fields[X86_SREG_COUNT][4] = {
        [X86_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
        [X86_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
        [X86_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
        [X86_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
        [X86_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
        [X86_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
    };
    struct vmcs *v = &m->vm->vmcs;
    struct x86_cpu c;
    mon_get_cpu(m, &c);
    // vmwrite refuses the fields an engine marked unavailable: they stay so.
    vmwrite(v, GUEST_RIP, c.eip);
    vmwrite(v, GUEST_RSP, c.gpr[X86_ESP]);
    vmwrite(v, GUEST_RFLAGS, c.eflags);
    vmwrite(v, GUEST_CR0, c.cr0);
    vmwrite(v, GUEST_CR3, c.cr3);
    vmwrite(v, GUEST_CR4, c.cr4);
    for (int i = 0; i < X86_SREG_COUNT; i++) {
        vmwrite(v, seg_fields[i][0], c.seg[i].selector);
        vmwrite(v, seg_fields[i][1], c.seg[i].base);
        vmwrite(v, seg_fields[i][2], c.seg[i].limit);
        vmwrite(v, seg_fields[i][3], c.seg[i].attr);
    }
    vmwrite(v, GUEST_LDTR_SELECTOR, c.ldtr.selector);
    vmwrite(v, GUEST_LDTR_BASE, c.ldtr.base);
    vmwrite(v, GUEST_LDTR_LIMIT, c.ldtr.limit);
    vmwrite(v, GUEST_LDTR_AR_BYTES, c.ldtr.attr);
    vmwrite(v, GUEST_TR_SELECTOR, c.tr.selector);
    vmwrite(v, GUEST_TR_BASE, c.tr.base);
    vmwrite(v, GUEST_TR_LIMIT, c.tr.limit);
    vmwrite(v, GUEST_TR_AR_BYTES, c.tr.attr);
    vmwrite(v, GUEST_GDTR_BASE, c.gdtr.base);
    vmwrite(v, GUEST_GDTR_LIMIT, c.gdtr.limit);
    vmwrite(v, GUEST_IDTR_BASE, c.idtr.base);
    vmwrite(v, GUEST_IDTR_LIMIT, c.idtr.limit);
    vmwrite(v, GUEST_ACTIVITY_STATE, c.halted ? GUEST_ACTIVITY_HLT : GUEST_ACTIVITY_ACTIVE);
    vmwrite(v, GUEST_INTERRUPTIBILITY_INFO, c.interrupt_shadow ? GUEST_INTR_STATE_STI : 0);
}

static int cmd_vmcs(struct mon *m, int argc, char **argv)
{
    if (argc > 2) {
        printf("usage: vmcs [FIELD|ENC|GROUP]: one at a time ('%s' is one too many)\n", argv[2]);
        return -1;
    }
    save_guest_state(m);
    if (argc < 2) {
        vmcs_print(&m->vm->vmcs, -1, stdout);
        return 0;
    }
    unsigned long long enc;
    const struct vmcs_field *f = vmcs_field_by_name(argv[1]);
    if (!f && whole_number(argv[1], 0xFFFF, &enc))
        f = vmcs_field_by_enc((uint32_t)enc);
    if (f) {
        vmcs_print_field(&m->vm->vmcs, f, stdout);
        return 0;
    }
    int group = vmcs_group_by_name(argv[1]);
    if (group >= 0) {
        vmcs_print(&m->vm->vmcs, group, stdout);
        return 0;
    }
    printf("no VMCS field or group '%s' (try GUEST_RIP, 0x681e, exit-info; Tab completes)\n",
           argv[1]);
    return -1;
}

/* ---- exits ---- */

static int cmd_exits(struct mon *m, int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "reset") == 0) {
        exit_stats_reset(&m->vm->exits);
        m->vm->exits.engine = m->vm->engine->name;
        printf("exit counts reset\n");
        return 0;
    }
    if (argc > 1) {
        printf("usage: exits [reset]\n");
        return -1;
    }
    exit_stats_print(&m->vm->exits, stdout);
    return 0;
}

static int cmd_trace(struct mon *m, int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "exits") != 0 ||
        (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
        printf("usage: trace exits on|off\n");
        return -1;
    }
    m->vm->config.trace_exits = strcmp(argv[2], "on") == 0;
    printf("tracing exits %s (to stderr)\n", argv[2]);
    return 0;
}

static int cmd_stats(struct mon *m, int argc, char **argv)
{
    (void)argc, (void)argv;
    struct vm *vm = m->vm;
    uint64_t ns, total = exit_stats_total(&vm->exits, &ns);
    printf("engine %s; instructions run by the executor %llu; virtual time %.3f s; "
           "exits %llu\n", vm->engine->name, (unsigned long long)vm->cpu.instructions,
           vm->now_ns / 1e9, (unsigned long long)total);
    vm->engine->print_stats(vm, stdout);
    return 0;
}

/* ---- breakpoints and running ---- */

int mon_break_add(struct vm *vm, uint32_t addr)
{
    struct vm_debug *d = &vm->debug;
    for (unsigned i = 0; i < d->nbreaks; i++)
        if (d->breaks[i] == addr)
            return (int)d->break_ids[i];
    if (d->nbreaks == VM_MAX_BREAKPOINTS)
        return -1;
    d->breaks[d->nbreaks] = addr;
    d->break_ids[d->nbreaks++] = ++d->last_break_id;   // numbers are never reused (as gdb)
    vm_debug_update(vm);
    return (int)d->last_break_id;
}

/* Remove entry i, keeping the others in order: `break` lists them oldest first. */
static void break_remove_at(struct vm *vm, unsigned i)
{
    struct vm_debug *d = &vm->debug;
    d->nbreaks--;
    memmove(&d->breaks[i], &d->breaks[i + 1], (d->nbreaks - i) * sizeof(d->breaks[0]));
    memmove(&d->break_ids[i], &d->break_ids[i + 1], (d->nbreaks - i) * sizeof(d->break_ids[0]));
    vm_debug_update(vm);
}

int mon_break_remove(struct vm *vm, uint32_t addr)
{
    struct vm_debug *d = &vm->debug;
    for (unsigned i = 0; i < d->nbreaks; i++) {
        if (d->breaks[i] == addr) {
            break_remove_at(vm, i);
            return 0;
        }
    }
    return -1;
}

/* ---- watchpoints ---- */

bool mon_watch_supported(const struct vm *vm)
{
    return vm->engine == &interp_engine;
}

/* The little-endian value of w's range now; false if it is not mapped. */
static bool watch_value(struct vm *vm, const struct vm_watch *w, uint64_t *v)
{
    uint32_t bad;
    *v = 0;
    return mon_read_virt(vm, w->addr, v, w->len, &bad) == 0;
}

int mon_watch_add(struct vm *vm, uint32_t addr, uint32_t len, unsigned kind)
{
    struct vm_debug *d = &vm->debug;
    if (!mon_watch_supported(vm))
        return -3;
    if (len < 1 || len > 8)
        return -2;
    for (unsigned i = 0; i < d->nwatches; i++)
        if (d->watches[i].addr == addr && d->watches[i].len == len && d->watches[i].kind == kind)
            return (int)d->watches[i].id;
    if (d->nwatches == VM_MAX_WATCHPOINTS)
        return -1;
    struct vm_watch *w = &d->watches[d->nwatches++];
    *w = (struct vm_watch){ .addr = addr, .len = len, .kind = kind, .id = ++d->last_break_id };
    w->old_known = watch_value(vm, w, &w->old);
    vm_debug_update(vm);
    return (int)w->id;
}

static void watch_remove_at(struct vm *vm, unsigned i)
{
    struct vm_debug *d = &vm->debug;
    d->nwatches--;
    memmove(&d->watches[i], &d->watches[i + 1], (d->nwatches - i) * sizeof(d->watches[0]));
    vm_debug_update(vm);
}

int mon_watch_remove(struct vm *vm, uint32_t addr, uint32_t len, unsigned kind)
{
    struct vm_debug *d = &vm->debug;
    for (unsigned i = 0; i < d->nwatches; i++) {
        if (d->watches[i].addr == addr && d->watches[i].len == len && d->watches[i].kind == kind) {
            watch_remove_at(vm, i);
            return 0;
        }
    }
    return -1;
}

static const char *watch_kind_name(unsigned kind)
{
    return kind == VM_WATCH_READ ? "read" : kind == VM_WATCH_WRITE ? "write" : "access";
}

/* watch ADDR [r|w|rw] [LEN]: LEN only after an explicit kind, so that an
 * address written with blanks (exec + 4) stays one expression. */
static int cmd_watch(struct mon *m, int argc, char **argv)
{
    char expr[MON_EXPR_MAX];
    unsigned kind = VM_WATCH_WRITE;
    unsigned long long len = 4;
    int last = argc;
    static const char *const kinds[] = { "r", "w", "rw" };
    if (argc < 2) {
        printf("usage: watch ADDR [r|w|rw] [LEN]: stop after an instruction that reads (r), "
               "writes (w, the default) or touches (rw) LEN bytes (1-8, default 4) at ADDR\n");
        return -1;
    }
    for (int back = 1; back <= 2 && last - back >= 2; back++) {
        for (unsigned k = 0; k < 3; k++) {
            if (strcmp(argv[last - back], kinds[k]) != 0)
                continue;
            if (back == 2 && (!whole_number(argv[last - 1], 8, &len) || len == 0)) {
                printf("watch: LEN must be 1 to 8 bytes, not '%s'\n", argv[last - 1]);
                return -1;
            }
            kind = k == 0 ? VM_WATCH_READ : k == 1 ? VM_WATCH_WRITE : VM_WATCH_READ | VM_WATCH_WRITE;
            last -= back;
            back = 3;                   // found: stop looking
            break;
        }
    }
    uint32_t addr;
    if (!rest_of_line(last, argv, 1, expr, sizeof(expr)) || mon_eval_addr(m, expr, &addr) < 0)
        return -1;
    int id = mon_watch_add(m->vm, addr, (uint32_t)len, kind);
    if (id == -3) {
        printf("watchpoints need the interp engine, whose executor sees every access "
               "(`engine interp` moves the guest there)\n");
        return -1;
    }
    if (id < 0) {
        printf("all %d watchpoints are in use (delete one)\n", VM_MAX_WATCHPOINTS);
        return -1;
    }
    char sym[96];
    printf("watchpoint %d: %s of %llu byte%s at 0x%08x%s\n", id, watch_kind_name(kind), len,
           len > 1 ? "s" : "", addr, mon_symbolize(m, addr, sym, sizeof(sym)));
    return 0;
}

/* Say which watchpoint stopped the guest, with the old and new value. */
void mon_print_watch_hit(struct mon *m)
{
    struct vm_debug *d = &m->vm->debug;
    if (d->watch_hit < 0 || (unsigned)d->watch_hit >= d->nwatches)
        return;
    struct vm_watch *w = &d->watches[d->watch_hit];
    uint64_t now;
    bool known = watch_value(m->vm, w, &now);
    char sym[96];
    printf("watchpoint %u: %s of 0x%08x%s by the instruction before (%s at 0x%08x)\n", w->id,
           watch_kind_name(w->kind), w->addr, mon_symbolize(m, w->addr, sym, sizeof(sym)),
           d->watch_write ? "a write" : "a read", d->watch_lin);
    if (!known)
        printf("  the range is not mapped now\n");
    else if (!d->watch_write)
        printf("  value 0x%0*llx\n", (int)w->len * 2, (unsigned long long)now);
    else if (w->old_known)
        printf("  old 0x%0*llx  new 0x%0*llx%s\n", (int)w->len * 2, (unsigned long long)w->old,
               (int)w->len * 2, (unsigned long long)now, w->old == now ? " (unchanged)" : "");
    else
        printf("  new 0x%0*llx\n", (int)w->len * 2, (unsigned long long)now);
    w->old = now;
    w->old_known = known;
}

/* An exit reason by number or by (a unique prefix of) its SDM name; -1
 * after saying what was wrong (unknown, or which names a prefix fits). */
static int exit_reason_by_name(char *s)
{
    unsigned long long n;
    if (s[0] == '"' && s[1] && s[strlen(s) - 1] == '"') {  // "I/O instruction"
        s[strlen(s) - 1] = 0;
        s++;
    }
    if (whole_number(s, VMX_NR_EXIT_REASONS - 1, &n) &&
        strcmp(vmcs_exit_reason_name((unsigned)n), "unknown") != 0)
        return (int)n;
    int found = -1, nfound = 0;
    for (unsigned r = 0; r < VMX_NR_EXIT_REASONS; r++) {
        const char *name = vmcs_exit_reason_name(r);
        if (strcasecmp(name, s) == 0)
            return (int)r;
        if (s[0] && strncasecmp(name, s, strlen(s)) == 0) {
            found = (int)r;
            nfound++;
        }
    }
    if (nfound == 1)
        return found;
    if (nfound > 1) {
        printf("ambiguous exit reason '%s', which of", s);
        for (unsigned r = 0, k = 0; r < VMX_NR_EXIT_REASONS; r++)
            if (strncasecmp(vmcs_exit_reason_name(r), s, strlen(s)) == 0)
                printf("%s \"%s\" (%u)", k++ ? "," : "", vmcs_exit_reason_name(r), r);
        printf("?\n");
        return -1;
    }
    printf("usage: break exit REASON (a number, or a name such as HLT, \"I/O instruction\", "
           "\"external interrupt\"; `exits` lists those seen)\n");
    return -1;
}

static void list_breakpoints(struct mon *m)
{
    const struct vm_debug *d = &m->vm->debug;
    char sym[96];
    if (!d->nbreaks && d->stop_exit < 0 && !d->nwatches)
        printf("no breakpoints\n");
    for (unsigned i = 0; i < d->nbreaks; i++)
        printf("%u: 0x%08x%s\n", d->break_ids[i], d->breaks[i],
               mon_symbolize(m, d->breaks[i], sym, sizeof(sym)));
    for (unsigned i = 0; i < d->nwatches; i++)
        printf("%u: watch %s of %u bytes at 0x%08x%s\n", d->watches[i].id,
               watch_kind_name(d->watches[i].kind), d->watches[i].len, d->watches[i].addr,
               mon_symbolize(m, d->watches[i].addr, sym, sizeof(sym)));
    if (d->stop_exit >= 0)
        printf("exit: stop after the next exit %d (%s)\n", d->stop_exit,
               vmcs_exit_reason_name((unsigned)d->stop_exit));
}

static int cmd_break(struct mon *m, int argc, char **argv)
{
    char expr[MON_EXPR_MAX], sym[96];
    if (argc == 1) {
        list_breakpoints(m);
        return 0;
    }
    if (strcmp(argv[1], "exit") == 0) {
        expr[0] = 0;
        if (argc > 2 && !rest_of_line(argc, argv, 2, expr, sizeof(expr)))
            return -1;
        int r = exit_reason_by_name(expr);
        if (r < 0)
            return -1;
        m->vm->debug.stop_exit = r;
        vm_debug_update(m->vm);
        printf("will stop after the next exit %d (%s)\n", r, vmcs_exit_reason_name((unsigned)r));
        return 0;
    }
    uint32_t addr;
    if (!rest_of_line(argc, argv, 1, expr, sizeof(expr)) || mon_eval_addr(m, expr, &addr) < 0)
        return -1;
    int id = mon_break_add(m->vm, addr);
    if (id < 0) {
        printf("all %d breakpoints are in use (delete one)\n", VM_MAX_BREAKPOINTS);
        return -1;
    }
    printf("breakpoint %d at 0x%08x%s\n", id, addr, mon_symbolize(m, addr, sym, sizeof(sym)));
    return 0;
}

static int cmd_delete(struct mon *m, int argc, char **argv)
{
    struct vm_debug *d = &m->vm->debug;
    unsigned long long n;
    if (argc == 1) {
        d->nbreaks = 0;
        d->nwatches = 0;
        d->stop_exit = -1;
        vm_debug_update(m->vm);
        printf("deleted every breakpoint\n");
        return 0;
    }
    if (argc > 2) {
        printf("usage: delete [N]\n");
        return -1;
    }
    if (whole_number(argv[1], UINT32_MAX, &n)) {
        for (unsigned i = 0; i < d->nbreaks; i++) {
            if (d->break_ids[i] == n) {
                break_remove_at(m->vm, i);
                printf("deleted breakpoint %llu\n", n);
                return 0;
            }
        }
        for (unsigned i = 0; i < d->nwatches; i++) {
            if (d->watches[i].id == n) {
                watch_remove_at(m->vm, i);
                printf("deleted watchpoint %llu\n", n);
                return 0;
            }
        }
    }
    printf("no breakpoint '%s' (`break` lists them)\n", argv[1]);
    return -1;
}

/* Resume, then say why the guest stopped (or how it ended). */
static int run_and_report(struct mon *m)
{
    if (m->finished) {
        printf("the guest is not running any more\n");
        return -1;
    }
    if (!m->script && m->vm->debug.steps == 0)
        printf("[back to the guest: Ctrl-A c for the monitor]\n");
    if (!mon_resume(m))
        return 0;                       // mon_execute reports the end
    if (!m->script && m->vm->debug.why != VM_DEBUG_STEP)
        printf("\n");
    mon_print_stop(m);
    return 0;
}

static int cmd_step(struct mon *m, int argc, char **argv)
{
    unsigned long long n = 1;
    if (m->gdb_attached) {
        printf("gdb has the guest: step with gdb's stepi (cont or Ctrl-A c gives it back)\n");
        return -1;
    }
    if (argc > 1 && (!whole_number(argv[1], 1000000000, &n) || n == 0)) {
        printf("usage: step [N]: N a number of instructions, 1 to 1000000000\n");
        return -1;
    }
    m->vm->debug.steps = n;
    return run_and_report(m);
}

static int cmd_cont(struct mon *m, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (m->gdb_attached) {              // gdb's continue goes on; it hears of the next stop
        printf("[back to the guest, under gdb]\n");
        m->leave = true;
        return 0;
    }
    return run_and_report(m);
}

/* set step-irqs on|off: whether `step` lets interrupts and time in. */
static int cmd_set(struct mon *m, int argc, char **argv)
{
    if (argc == 1) {
        printf("step-irqs %s\n", m->vm->debug.step_irqs ? "on" : "off");
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "step-irqs") != 0 ||
        (strcmp(argv[2], "on") != 0 && strcmp(argv[2], "off") != 0)) {
        printf("usage: set step-irqs on|off (off: `step` masks interrupts and stops the "
               "clock, as QEMU's gdbstub does)\n");
        return -1;
    }
    m->vm->debug.step_irqs = strcmp(argv[2], "on") == 0;
    printf("step-irqs %s: `step` %s\n", argv[2],
           m->vm->debug.step_irqs ? "lets timer ticks and interrupts in"
                                  : "masks interrupts and holds virtual time still");
    return 0;
}

/* symbols: the files whose symbols the monitor knows; symbols add FILE
 * [ADDR]: one more, as gdb's add-symbol-file (ADDR: where its .text is). */
static int cmd_symbols(struct mon *m, int argc, char **argv)
{
    struct mon_symbols *s = &m->syms;
    if (argc == 1) {
        if (!s->nfiles)
            printf("no symbol files (symbols add FILE [ADDR] adds one)\n");
        for (size_t f = 0; f < s->nfiles; f++) {
            size_t n = 0;
            for (size_t i = 0; i < s->n; i++)
                n += s->v[i].file == s->files[f];
            printf("%s: %zu symbols%s\n", s->files[f], n, f == 0 ? " (the guest kernel)" : "");
        }
        return 0;
    }
    if (strcmp(argv[1], "add") != 0 || argc < 3) {
        printf("usage: symbols [add FILE [ADDR]]: list the symbol files, or read one more "
               "(a user program; ADDR: where its .text is, default as linked)\n");
        return -1;
    }
    char expr[MON_EXPR_MAX], err[512];
    uint32_t text;
    if (argc > 3 && (!rest_of_line(argc, argv, 3, expr, sizeof(expr)) ||
                     mon_eval_addr(m, expr, &text) < 0))
        return -1;
    size_t added;
    if (mon_symbols_add_file(s, argv[2], argc > 3 ? &text : NULL, &added, err, sizeof(err)) < 0) {
        printf("%s\n", err);
        return -1;
    }
    const char *name = s->files[s->nfiles - 1];
    printf("read %zu symbols from %s as '%s' (break %s:main; a name of the kernel's wins "
           "without the prefix)\n", added, argv[2], name, name);
    return 0;
}

/* ---- engines ---- */

static const struct engine *const engines[] = { &interp_engine, &trap_engine, &kvm_engine };

/* The exit counts so far are the old engine's: after a switch the label
 * says whose they are ("exits on interp, then trap") until `exits reset`. */
static void label_exits(struct vm *vm, const char *to)
{
    static char label[128];
    uint64_t ns;
    if (exit_stats_total(&vm->exits, &ns) == 0) {
        vm->exits.engine = to;
        return;
    }
    char was[sizeof(label)];
    snprintf(was, sizeof(was), "%s", vm->exits.engine);
    snprintf(label, sizeof(label), "%.80s, then %s", was, to);
    vm->exits.engine = label;
}

/* Move the guest to another engine at this instruction boundary: the
 * engine-neutral CPU state goes across; memory and devices are the VM's
 * and stay where they are. */
static int switch_engine(struct mon *m, const struct engine *to)
{
    struct vm *vm = m->vm;
    const struct engine *from = vm->engine;
    struct x86_cpu cpu;
    from->get_state(vm, &cpu);
    from->destroy(vm);
    vm->engine = to;
    if (to->init(vm) < 0) {
        printf("the %s engine could not start; staying on %s\n", to->name, from->name);
        to->destroy(vm);
        vm->engine = from;
        if (from->init(vm) < 0) {       // it ran a moment ago: our bug
            fprintf(stderr, "vmm: cannot restart the %s engine\n", from->name);
            abort();
        }
        from->set_state(vm, &cpu);
        return -1;
    }
    to->set_state(vm, &cpu);
    label_exits(vm, to->name);
    return 0;
}

static int cmd_engine(struct mon *m, int argc, char **argv)
{
    if (argc == 1) {
        printf("engine %s\n", m->vm->engine->name);
        return 0;
    }
    for (size_t i = 0; i < sizeof(engines) / sizeof(engines[0]); i++) {
        if (strcmp(engines[i]->name, argv[1]) != 0)
            continue;
        if (engines[i] == m->vm->engine) {
            printf("already on the %s engine\n", argv[1]);
            return 0;
        }
        if (m->finished) {
            printf("the guest is not running any more\n");
            return -1;
        }
        const char *from = m->vm->engine->name;
        if (m->vm->debug.nwatches && engines[i] != &interp_engine) {
            printf("deleted %u watchpoint%s: the %s engine cannot watch memory\n",
                   m->vm->debug.nwatches, m->vm->debug.nwatches > 1 ? "s" : "", engines[i]->name);
            m->vm->debug.nwatches = 0;
            vm_debug_update(m->vm);
        }
        if (switch_engine(m, engines[i]) < 0)
            return -1;
        struct x86_cpu cpu;
        mon_get_cpu(m, &cpu);
        printf("moved the guest from the %s engine to the %s engine at eip 0x%08x\n", from,
               argv[1], cpu.eip);
        return 0;
    }
    printf("no engine '%s' (interp, trap, kvm)\n", argv[1]);
    return -1;
}

/* ---- the console itself ---- */

static int cmd_help(struct mon *m, int argc, char **argv)
{
    (void)m;
    char err[256];
    if (argc > 1) {
        const struct mon_command *c = mon_find_command(argv[1], err, sizeof(err));
        if (!c) {
            printf("%s\n", err);
            return -1;
        }
        printf("usage: %s %s\n  %s\n", c->name, c->args, c->help);
        return 0;
    }
    for (unsigned i = 0; i < mon_ncommands; i++)
        printf("  %-7s %-22s %s\n", mon_commands[i].name, mon_commands[i].args,
               mon_commands[i].help);
    printf("Addresses: 0x1f, 31, $eip, $esp+8, exec, exec+4. Tab completes; "
           "Ctrl-A c goes back to the guest.\n");
    return 0;
}

static int cmd_quit(struct mon *m, int argc, char **argv)
{
    (void)argc, (void)argv;
    m->leave = true;
    m->quit = true;
    return 0;
}

const struct mon_command mon_commands[] = {
    { "help",   "[CMD]",              "list the commands, or say what one does", cmd_help },
    { "regs",   "",                   "general registers, EIP (with its symbol), EFLAGS, CPL", cmd_regs },
    { "sregs",  "",                   "segment registers and their caches, GDTR, IDTR, CR0-CR4", cmd_sregs },
    { "vmcs",   "[FIELD|ENC|GROUP]",  "the software VMCS, by the SDM's groups, or one field", cmd_vmcs },
    { "exits",  "[reset]",            "exits by reason: count, share, total and mean time", cmd_exits },
    { "x",      "[/Nfmt] GVA",         "guest-virtual memory; fmt x d u c s i, size b h w", mon_cmd_x },
    { "xp",     "[/Nfmt] GPA",         "guest-physical memory, formats as x", mon_cmd_xp },
    { "pt",     "GVA",                "the guest's page walk for GVA, and what the engine holds", mon_cmd_pt },
    { "tlb",    "",                   "the engine's translation cache (soft TLB, shadow)", mon_cmd_tlb },
    { "info",   "mem|tlb|registers",  "mapped ranges of CR3 and rights, every page, all regs", mon_cmd_info },
    { "break",  "[ADDR|exit REASON]", "stop before ADDR, or after the next exit of REASON; list", cmd_break },
    { "watch",  "ADDR [r|w|rw] [LEN]", "stop after a write (read, either) of LEN bytes (interp)", cmd_watch },
    { "delete", "[N]",                "delete breakpoint or watchpoint N, or all of them", cmd_delete },
    { "step",   "[N]",                "run N instructions (default 1)", cmd_step },
    { "cont",   "",                   "let the guest run (Ctrl-A c stops it again)", cmd_cont },
    { "trace",  "exits on|off",       "print every exit to stderr", cmd_trace },
    { "set",    "[step-irqs on|off]", "settings: may `step` take interrupts (default off)", cmd_set },
    { "stats",  "",                   "the engine's counters", cmd_stats },
    { "symbols", "[add FILE [ADDR]]", "symbol files; add a user program's (compute:main)", cmd_symbols },
    { "engine", "[interp|trap|kvm]",  "show the engine, or move the guest to another", cmd_engine },
    { "quit",   "",                   "leave the VMM (status 0, or the guest's if it ended)", cmd_quit },
};
const unsigned mon_ncommands = sizeof(mon_commands) / sizeof(mon_commands[0]);

const struct mon_command *mon_find_command(const char *name, char *err, size_t errlen)
{
    const struct mon_command *prefix = NULL;
    unsigned nprefix = 0;
    for (unsigned i = 0; i < mon_ncommands; i++) {
        if (strcmp(mon_commands[i].name, name) == 0)
            return &mon_commands[i];
        if (name[0] && strncmp(mon_commands[i].name, name, strlen(name)) == 0) {
            prefix = &mon_commands[i];
            nprefix++;
        }
    }
    if (nprefix == 1)
        return prefix;
    if (nprefix > 1) {
        int n = snprintf(err, errlen, "ambiguous command '%s':", name);
        for (unsigned i = 0; i < mon_ncommands && n > 0 && (size_t)n < errlen; i++)
            if (strncmp(mon_commands[i].name, name, strlen(name)) == 0)
                n += snprintf(err + n, errlen - (size_t)n, " %s", mon_commands[i].name);
        return NULL;
    }
    const char *names[sizeof(mon_commands) / sizeof(mon_commands[0])];
    for (unsigned i = 0; i < mon_ncommands; i++)
        names[i] = mon_commands[i].name;
    const char *near = mon_closest(name, names, mon_ncommands);
    if (near)
        snprintf(err, errlen, "unknown command '%s'; did you mean '%s'? (help lists them)",
                 name, near);
    else
        snprintf(err, errlen, "unknown command '%s' (help lists them)", name);
    return NULL;
}
