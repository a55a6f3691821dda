/*
 * monitor-mem.c - the monitor's view of guest memory: x (guest-virtual),
 * xp (guest-physical), pt (one address through the guest's page tables,
 * beside what the engine holds for it) and tlb (chapter 7, "Memory").
 *
 * Guest-virtual reads walk the guest's own tables with pw_peek, which sets
 * no Accessed or Dirty bit: looking must not change what the guest sees.
 */
#include "vmm/monitor.h"

#include <string.h>

#include "shadow-mmu/page-walk.h"
#include "vmm/x86/decode.h"
#include "vmm/x86/x86.h"

/* ---- reading and writing through the guest's translation ---- */

/* Host pointer to the page holding gva, n bytes from gva on (n within the
 * page); NULL if the guest's tables do not map it to RAM. */
static uint8_t *virt_ptr(struct vm *vm, const struct x86_cpu *c, uint32_t gva, size_t n)
{
    struct pw_result w;
    if (pw_peek(&vm->mem, c->cr0, c->cr3, c->cr4, gva, PW_ACC_READ, &w) < 0)
        return NULL;
    return gpa_ptr(&vm->mem, w.gpa, n);
}

/* Copy len bytes between buf and guest-virtual gva, page by page. */
static int copy_virt(struct vm *vm, uint32_t gva, uint8_t *buf, size_t len, bool write,
                     uint32_t *bad)
{
    struct x86_cpu c;
    vm->engine->get_state(vm, &c);
    for (size_t done = 0; done < len;) {
        uint32_t a = gva + (uint32_t)done;
        size_t chunk = 4096 - (a & 0xFFF);
        if (chunk > len - done)
            chunk = len - done;
        uint8_t *host = virt_ptr(vm, &c, a, chunk);
        if (!host) {
            *bad = a;
            return -1;
        }
        if (write)
            memcpy(host, buf + done, chunk);
        else
            memcpy(buf + done, host, chunk);
        done += chunk;
    }
    return 0;
}

int mon_read_virt(struct vm *vm, uint32_t gva, void *buf, size_t len, uint32_t *bad)
{
    return copy_virt(vm, gva, buf, len, false, bad);
}

int mon_write_virt(struct vm *vm, uint32_t gva, const void *buf, size_t len, uint32_t *bad)
{
    return copy_virt(vm, gva, (uint8_t *)buf, len, true, bad);
}

/* Read for x (virtual) or xp (physical); on failure say why in one line. */
static int read_mem(struct mon *m, bool physical, uint32_t addr, void *buf, size_t len)
{
    uint32_t bad;
    if (!physical) {
        if (mon_read_virt(m->vm, addr, buf, len, &bad) == 0)
            return 0;
        struct x86_cpu c;
        mon_get_cpu(m, &c);
        if (!(c.cr0 & X86_CR0_PG))
            printf("cannot access 0x%08x: paging is off (GVA = GPA) and it is not guest RAM "
                   "(RAM is 0x0..0x%llx)\n", bad, (unsigned long long)m->vm->mem.size - 1);
        else
            printf("cannot access 0x%08x: the guest's page tables do not map it to RAM "
                   "(pt 0x%08x shows the walk)\n", bad, bad);
        return -1;
    }
    if (gpa_read(&m->vm->mem, addr, buf, len) == 0)
        return 0;
    printf("0x%08x..0x%08llx is not guest RAM (RAM is 0x0..0x%llx)\n", addr,
           (unsigned long long)addr + len - 1, (unsigned long long)m->vm->mem.size - 1);
    return -1;
}

/* As many bytes as can be read at addr, up to len (instructions near the
 * end of a mapping). */
static size_t read_some(struct mon *m, bool physical, uint32_t addr, uint8_t *buf, size_t len)
{
    size_t n = 0;
    uint32_t bad;
    for (; n < len; n++) {
        int rc = physical ? gpa_read(&m->vm->mem, addr + n, buf + n, 1)
                          : mon_read_virt(m->vm, addr + (uint32_t)n, buf + n, 1, &bad);
        if (rc < 0)
            break;
    }
    return n;
}

void mon_print_insn(struct mon *m, uint32_t eip)
{
    uint8_t bytes[X86_MAX_INSN_LEN];
    char sym[96];
    struct x86_insn_text t;
    size_t n = read_some(m, false, eip, bytes, sizeof(bytes));
    mon_symbolize(m, eip, sym, sizeof(sym));
    if (n == 0) {
        printf("=> 0x%08x%s: (not mapped)\n", eip, sym);
        return;
    }
    x86_disassemble(bytes, (unsigned)n, eip, &t);
    printf("=> 0x%08x%s:  %s\n", eip, sym, t.length ? t.text : "(bad)");
}

/* ---- x and xp ---- */

/* Each print_ returns the address after the last thing it showed. */
static uint32_t print_instructions(struct mon *m, bool physical, uint32_t addr, unsigned count)
{
    char sym[96], hex[3 * X86_MAX_INSN_LEN + 1];
    for (unsigned i = 0; i < count; i++) {
        uint8_t bytes[X86_MAX_INSN_LEN];
        struct x86_insn_text t;
        size_t n = read_some(m, physical, addr, bytes, sizeof(bytes));
        if (n == 0) {
            printf("cannot access 0x%08x\n", addr);
            return addr;
        }
        x86_disassemble(bytes, (unsigned)n, addr, &t);
        unsigned len = t.length ? t.length : 1;
        hex[0] = 0;
        for (unsigned k = 0; k < len && k < n; k++)
            snprintf(hex + 3 * k, 4, "%02x ", bytes[k]);
        printf("0x%08x%s:  %-24s %s\n", addr, physical ? "" : mon_symbolize(m, addr, sym, sizeof(sym)),
               hex, t.length ? t.text : "(bad)");
        addr += len;
    }
    return addr;
}

static uint32_t print_strings(struct mon *m, bool physical, uint32_t addr, unsigned count)
{
    for (unsigned i = 0; i < count; i++) {
        uint8_t buf[256];
        size_t n = read_some(m, physical, addr, buf, sizeof(buf));
        size_t len = strnlen((const char *)buf, n);
        printf("0x%08x:  \"", addr);
        for (size_t k = 0; k < len; k++)
            printf(buf[k] >= 0x20 && buf[k] < 0x7F && buf[k] != '"' ? "%c" : "\\x%02x", buf[k]);
        printf("\"%s\n", len == sizeof(buf) ? "..." : len == n && n < sizeof(buf) ? " (unmapped after)" : "");
        addr += (uint32_t)len + 1;
    }
    return addr;
}

static void print_units(uint32_t addr, const uint8_t *buf, const struct mon_xfmt *f)
{
    unsigned per_line = f->size == 4 ? 4 : 8;
    for (unsigned i = 0; i < f->count; i++) {
        uint32_t v = 0;
        memcpy(&v, buf + i * f->size, f->size);        // little-endian, like the guest
        if (i % per_line == 0)
            printf("%s0x%08x:", i ? "\n" : "", addr + i * f->size);
        switch (f->format) {
        case 'x': printf("  0x%0*x", (int)f->size * 2, v); break;
        case 'u': printf("  %u", v); break;
        case 'd':
            printf("  %d", f->size == 1 ? (int8_t)v : f->size == 2 ? (int16_t)v : (int32_t)v);
            break;
        case 'c':
            printf(v >= 0x20 && v < 0x7F ? "  %3u '%c'" : "  %3u '\\x%02x'", v, v);
            break;
        }
    }
    printf("\n");
}

/* x/Nfmt ADDR and xp/Nfmt ADDR. */
static int examine(struct mon *m, int argc, char **argv, bool physical)
{
    const char *slash = strchr(argv[0], '/');
    struct mon_xfmt f;
    char err[256], expr[MON_EXPR_MAX];
    uint32_t addr;
    if (mon_parse_xfmt(slash ? slash + 1 : NULL, &f, err, sizeof(err)) < 0) {
        printf("%s\n", err);
        return -1;
    }
    if (argc < 2) {
        printf("usage: %s/Nfmt ADDRESS (e.g. %s/4x $esp, x/3i $eip, xp/s 0x1000)\n",
               physical ? "xp" : "x", physical ? "xp" : "x");
        return -1;
    }
    if (!mon_join(argc, argv, 1, expr, sizeof(expr))) {
        printf("expression too long: at most %d characters\n", MON_EXPR_MAX - 1);
        return -1;
    }
    if (mon_eval_addr(m, expr, &addr) < 0)
        return -1;
    uint32_t next;                      // where an empty line (gdb's habit) goes on
    if (f.format == 'i') {
        next = print_instructions(m, physical, addr, f.count);
    } else if (f.format == 's') {
        next = print_strings(m, physical, addr, f.count);
    } else {
        uint8_t buf[MON_X_MAX_BYTES];
        if (read_mem(m, physical, addr, buf, (size_t)f.count * f.size) < 0)
            return -1;
        print_units(addr, buf, &f);
        next = addr + f.count * f.size;
    }
    snprintf(m->repeat, sizeof(m->repeat), "%.*s 0x%08x", (int)strcspn(argv[0], " "), argv[0],
             next);
    return 0;
}

int mon_cmd_x(struct mon *m, int argc, char **argv)
{
    return examine(m, argc, argv, false);
}

int mon_cmd_xp(struct mon *m, int argc, char **argv)
{
    return examine(m, argc, argv, true);
}

/* ---- pt and tlb ---- */

/* One page-directory or page-table entry with its flags spelt out. */
static void print_entry(const char *what, unsigned index, uint32_t addr, uint32_t e, bool pde)
{
    printf("  %s[0x%03x] at GPA 0x%08x = 0x%08x ", what, index, addr, e);
    static const struct { uint32_t bit; const char *name; } flags[] = {
        { PW_P, "P" }, { PW_RW, "RW" }, { PW_US, "US" }, { 0x008, "PWT" }, { 0x010, "PCD" },
        { PW_A, "A" }, { PW_D, "D" }, { PW_PS, "PS" }, { PW_G, "G" },
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (flags[i].bit == PW_PS && !pde)
            continue;                   // bit 7 of a PTE is PAT: not ours
        if (e & flags[i].bit)
            printf(" %s", flags[i].name);
    }
    if (!(e & PW_P))
        printf(" (not present)");
    printf("\n");
}

int mon_cmd_pt(struct mon *m, int argc, char **argv)
{
    char expr[MON_EXPR_MAX];
    uint32_t gva;
    if (argc < 2) {
        printf("usage: pt GVA (e.g. pt $eip, pt 0xc0100000)\n");
        return -1;
    }
    if (!mon_join(argc, argv, 1, expr, sizeof(expr))) {
        printf("expression too long: at most %d characters\n", MON_EXPR_MAX - 1);
        return -1;
    }
    if (mon_eval_addr(m, expr, &gva) < 0)
        return -1;
    struct vm *vm = m->vm;
    struct x86_cpu c;
    struct pw_result w;
    mon_get_cpu(m, &c);
    // Walk as the guest would read at its current privilege: at CPL 3 a
    // supervisor-only page faults (error code 0x5), in the kernel it does not.
    bool user = c.cpl == 3;
    int rc = pw_peek(&vm->mem, c.cr0, c.cr3, c.cr4, gva, PW_ACC_READ | (user ? PW_ACC_USER : 0), &w);
    if (!(c.cr0 & X86_CR0_PG)) {
        printf("paging is off (CR0.PG = 0): GVA 0x%08x is GPA 0x%08x\n", gva, gva);
    } else {
        printf("guest walk of 0x%08x from CR3 0x%08x, as a %s read%s:\n", gva, c.cr3,
               user ? "user (CPL 3)" : "supervisor", (c.cr4 & X86_CR4_PSE) ? " (CR4.PSE: 4 MiB pages allowed)" : "");
        if (w.levels >= 1)
            print_entry("PDE", gva >> 22, w.pde_addr, w.pde, true);
        if (w.levels >= 2)
            print_entry("PTE", (gva >> 12) & 0x3FF, w.pte_addr, w.pte, false);
        if (w.table_outside_ram)
            printf("  a table lies outside guest RAM\n");
    }
    if (rc < 0) {
        printf("  not mapped: an access would raise #PF with error code 0x%x\n", w.error_code);
        return 0;
    }
    uint8_t *host = gpa_ptr(&vm->mem, w.gpa, 1);
    printf("  -> GPA 0x%08x, %s page, %s, %s", w.gpa, w.page_size == 4096 ? "4 KiB" : "4 MiB",
           w.writable ? "writable" : "read-only", w.user ? "user" : "supervisor only");
    if (host)
        printf("; host address %p\n", (void *)host);
    else
        printf("; not RAM (a device's MMIO, or nothing)\n");
    printf("engine %s: ", vm->engine->name);
    if (vm->engine->show_page)
        vm->engine->show_page(vm, gva, stdout);
    else
        printf("(keeps its translations out of our sight)\n");
    return 0;
}

int mon_cmd_tlb(struct mon *m, int argc, char **argv)
{
    (void)argc, (void)argv;
    struct vm *vm = m->vm;
    if (vm->engine->show_tlb)
        vm->engine->show_tlb(vm, stdout);
    else
        printf("the %s engine shows no TLB of its own\n", vm->engine->name);
    return 0;
}

/* ---- info mem and info tlb: the whole address space of CR3 ---- */

/* Call each(gva, gpa, size, flags) for every mapped page of the guest's
 * tables, in address order: flags are the effective U/S and R/W (both
 * levels must allow), plus A, D and G of the leaf. 4 MiB pages come whole.
 * Returns -1 if the page directory is not in RAM. */
static int walk_space(struct mon *m, const struct x86_cpu *c,
                      void (*each)(void *arg, uint32_t gva, uint32_t gpa, uint32_t size,
                                   uint32_t flags),
                      void *arg)
{
    uint32_t pd[1024];
    if (gpa_read(&m->vm->mem, c->cr3 & PW_FRAME, pd, sizeof(pd)) < 0)
        return -1;
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t pde = pd[i];
        if (!(pde & PW_P))
            continue;
        if ((pde & PW_PS) && (c->cr4 & X86_CR4_PSE)) {
            each(arg, i << 22, pde & PW_FRAME_4M, 1u << 22, pde & (PW_RW | PW_US | PW_A | PW_D | PW_G));
            continue;
        }
        uint32_t pt[1024];
        if (gpa_read(&m->vm->mem, pde & PW_FRAME, pt, sizeof(pt)) < 0)
            continue;                   // a table outside RAM maps nothing we can show
        for (uint32_t j = 0; j < 1024; j++) {
            uint32_t pte = pt[j];
            if (pte & PW_P)
                each(arg, (i << 22) | (j << 12), pte & PW_FRAME, 4096,
                     (pte & pde & (PW_RW | PW_US)) | (pte & (PW_A | PW_D | PW_G)));
        }
    }
    return 0;
}

static const char *rights(uint32_t flags, char *buf)
{
    buf[0] = (flags & PW_US) ? 'u' : '-';
    buf[1] = 'r';
    buf[2] = (flags & PW_RW) ? 'w' : '-';
    buf[3] = 0;
    return buf;
}

/* info mem: runs of virtually contiguous pages with the same rights. */
struct mem_run {
    struct mon *m;
    bool     open;
    uint32_t start, end, flags;         /* [start, end), end 0: the top of 4 GiB */
    unsigned ranges;
};

static void mem_run_flush(struct mem_run *r)
{
    char buf[4];
    if (!r->open)
        return;
    uint64_t end = r->end ? r->end : 0x100000000ull;
    printf("0x%08x-0x%08llx %10llu KiB  %s\n", r->start, (unsigned long long)end,
           (unsigned long long)(end - r->start) / 1024, rights(r->flags, buf));
    r->ranges++;
    r->open = false;
}

static void mem_run_add(void *arg, uint32_t gva, uint32_t gpa, uint32_t size, uint32_t flags)
{
    (void)gpa;
    struct mem_run *r = arg;
    flags &= PW_RW | PW_US;
    if (r->open && r->end == gva && r->flags == flags) {
        r->end = gva + size;
        return;
    }
    mem_run_flush(r);
    *r = (struct mem_run){ .m = r->m, .open = true, .start = gva, .end = gva + size,
                           .flags = flags, .ranges = r->ranges };
}

static void tlb_line(void *arg, uint32_t gva, uint32_t gpa, uint32_t size, uint32_t flags)
{
    (void)arg;
    printf("0x%08x: 0x%08x %s %c%c%c%c%c\n", gva, gpa, size == 4096 ? "4K" : "4M",
           (flags & PW_G) ? 'G' : '-', (flags & PW_D) ? 'D' : '-', (flags & PW_A) ? 'A' : '-',
           (flags & PW_US) ? 'U' : '-', (flags & PW_RW) ? 'W' : '-');
}

int mon_cmd_info(struct mon *m, int argc, char **argv)
{
    struct x86_cpu c;
    mon_get_cpu(m, &c);
    bool mem = argc == 2 && strcmp(argv[1], "mem") == 0;
    bool tlb = argc == 2 && strcmp(argv[1], "tlb") == 0;
    if (argc == 2 && strcmp(argv[1], "registers") == 0) {
        static char regs[] = "regs", sregs[] = "sregs";
        char *one[] = { regs }, *two[] = { sregs };
        mon_find_command("regs", NULL, 0)->run(m, 1, one);
        return mon_find_command("sregs", NULL, 0)->run(m, 1, two);
    }
    if (!mem && !tlb) {
        printf("usage: info mem|tlb|registers: the mapped ranges of CR3 with their rights, "
               "every mapped page, or all registers\n");
        return -1;
    }
    if (!(c.cr0 & X86_CR0_PG)) {
        printf("paging is off: every address is its own GPA (RAM 0x0-0x%llx)\n",
               (unsigned long long)m->vm->mem.size);
        return 0;
    }
    printf("CR3 0x%08x%s; rights u (user), r, w as the guest's tables give them%s\n", c.cr3,
           (c.cr4 & X86_CR4_PSE) ? ", 4 MiB pages on" : "",
           (c.cr0 & X86_CR0_WP) ? "" : " (CR0.WP off: the kernel may write anywhere)");
    struct mem_run run = { .m = m };
    int rc = mem ? walk_space(m, &c, mem_run_add, &run) : walk_space(m, &c, tlb_line, NULL);
    if (rc < 0) {
        printf("the page directory at 0x%08x is not guest RAM\n", c.cr3 & PW_FRAME);
        return -1;
    }
    if (mem) {
        mem_run_flush(&run);
        printf("%u range%s mapped", run.ranges, run.ranges == 1 ? "" : "s");
        if (m->vm->engine->show_tlb)
            printf(" (what the %s engine holds: tlb; one page: pt ADDR)", m->vm->engine->name);
        printf("\n");
    }
    return 0;
}
