/*
 * gdb-stub.c - a GDB remote-protocol server for the guest kernel (chapter
 * 7, "A gdb stub"). `vmm run --gdb 1234` waits on 127.0.0.1:1234 before
 * the guest's first instruction; then
 *
 *     gdb -ex 'set architecture i386' -ex 'target remote :1234' kernel.elf
 *
 * reads registers and memory, sets breakpoints, steps and continues, as it
 * would on QEMU's stub. Breakpoints (Z0 and Z1 alike) are the VMM's own
 * (struct vm_debug): nothing is patched into guest memory, so the guest
 * cannot see them and the trap engine needs no int3 of its own. Memory is
 * read through the guest's page tables, as the guest would see it.
 *
 * gdb learns the registers from target.xml (qXfer:features:read): the
 * i386 core set, whose x87 registers this FPU-less machine reports as
 * unavailable, and the control registers cr0, cr2, cr3 and cr4, so that
 * `p/x $cr3` works. `monitor LINE` (qRcmd) runs a monitor command and
 * shows its output in gdb. After `detach` the port stays open: the guest
 * runs on, and a new `target remote` stops it again.
 *
 * Everything gdb sends is untrusted: gdb-packet.c parses it, and anything
 * malformed gets "E01", never a crash.
 */
#define _GNU_SOURCE
#include "vmm/gdb-stub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/exit-stats.h"
#include "vmm/gdb-packet.h"
#include "vmm/monitor.h"

#define GDB_NREGS  16                   /* eax..edi, eip, eflags, cs ss ds es fs gs */
#define GDB_REG_ST0 16                  /* st0..st7 (10 bytes), then 8 x87 control words */
#define GDB_REG_CR0 32                  /* cr0, cr2, cr3, cr4: our "org.vmm.i386.sys" */
#define GDB_ALLREGS 36

/* What `set $eflags = ...` may change: not VM (no virtual-8086 mode here). */
#define EFLAGS_WRITABLE (X86_FLAG_CF | X86_FLAG_PF | X86_FLAG_AF | X86_FLAG_ZF | X86_FLAG_SF | \
                         X86_FLAG_TF | X86_FLAG_IF | X86_FLAG_DF | X86_FLAG_OF | X86_FLAG_IOPL | \
                         X86_FLAG_NT | X86_FLAG_RF | X86_FLAG_AC | X86_FLAG_ID)

/* What gdb reads with qXfer:features:read:target.xml: gdb's i386 core
 * feature (it must have the x87 registers) and the control registers. */
static const char target_xml[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n<architecture>i386</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>\n"
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n<feature name=\"org.vmm.i386.sys\">\n"
    "<reg name=\"cr0\" bitsize=\"32\" type=\"int32\" group=\"system\" regnum=\"32\"/>\n"
    "<reg name=\"cr2\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"cr3\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "<reg name=\"cr4\" bitsize=\"32\" type=\"int32\" group=\"system\"/>\n"
    "</feature>\n</target>\n";

struct stub {
    struct mon *m;
    int         fd;
    char        in[2 * GDB_MAX_PAYLOAD + 16];
    size_t      inlen;
    char        last[2 * GDB_MAX_PAYLOAD + 8];  /* the last reply, for a '-' */
    int         lastlen;
};

int gdb_listen(int port, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };  // this machine only
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
        snprintf(err, errlen, "--gdb: cannot listen on 127.0.0.1:%d: %s", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void send_raw(struct stub *s, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(s->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;                     // gdb is gone: the next read says so
        buf += n;
        len -= (size_t)n;
    }
}

static void reply(struct stub *s, const char *payload)
{
    s->lastlen = gdb_encode(payload, strlen(payload), s->last, sizeof(s->last));
    if (s->lastlen > 0)
        send_raw(s, s->last, (size_t)s->lastlen);
}

/* The next good packet into payload, acknowledged. -1: gdb hung up. */
static int next_packet(struct stub *s, char *payload, size_t cap)
{
    for (;;) {
        size_t used, plen;
        enum gdb_frame_kind k = gdb_frame(s->in, s->inlen, &used, payload, cap, &plen);
        memmove(s->in, s->in + used, s->inlen - used);
        s->inlen -= used;
        switch (k) {
        case GDB_PACKET:
            send_raw(s, "+", 1);
            return 0;
        case GDB_BAD_CHECKSUM:
            send_raw(s, "-", 1);        // "send it again"
            continue;
        case GDB_TOO_LONG:
            send_raw(s, "+", 1);
            reply(s, "E01");
            continue;
        case GDB_NAK:
            if (s->lastlen > 0)
                send_raw(s, s->last, (size_t)s->lastlen);
            continue;
        case GDB_ACK:
        case GDB_INTERRUPT:             // the guest is stopped already
            continue;
        case GDB_NEED_MORE:
            break;
        }
        if (s->inlen == sizeof(s->in))
            s->inlen = 0;               // noise that never frames: drop it
        ssize_t n = read(s->fd, s->in + s->inlen, sizeof(s->in) - s->inlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        s->inlen += (size_t)n;
    }
}

/* ---- registers, in gdb's i386 order ---- */

/* The value of register r (0..15, or a control register), false for one
 * this machine does not have (the x87 registers: the guest has no FPU). */
static bool reg_value(const struct x86_cpu *c, unsigned r, uint32_t *v)
{
    static const enum x86_sreg segs[6] = { X86_CS, X86_SS, X86_DS, X86_ES, X86_FS, X86_GS };
    if (r < 8)
        *v = c->gpr[r];
    else if (r == 8)
        *v = c->eip;
    else if (r == 9)
        *v = c->eflags;
    else if (r < GDB_NREGS)
        *v = c->seg[segs[r - 10]].selector;     // 16-bit in the CPU, 32 for gdb
    else if (r >= GDB_REG_CR0 && r < GDB_ALLREGS) {
        const uint32_t crs[4] = { c->cr0, c->cr2, c->cr3, c->cr4 };
        *v = crs[r - GDB_REG_CR0];
    } else
        return false;
    return true;
}

static void read_regs(struct stub *s)
{
    struct x86_cpu c;
    uint8_t bytes[4 * GDB_NREGS];
    char hex[8 * GDB_NREGS + 1];
    mon_get_cpu(s->m, &c);
    for (unsigned r = 0; r < GDB_NREGS; r++) {
        uint32_t v;
        reg_value(&c, r, &v);
        memcpy(bytes + 4 * r, &v, 4);   // little-endian, as gdb wants
    }
    gdb_hex_encode(bytes, sizeof(bytes), hex);
    reply(s, hex);                      // the rest gdb reads one by one (p)
}

static void read_reg(struct stub *s, unsigned r)
{
    struct x86_cpu c;
    char hex[21];
    uint32_t v;
    mon_get_cpu(s->m, &c);
    if (reg_value(&c, r, &v)) {
        gdb_hex_encode((const uint8_t *)&v, 4, hex);
        reply(s, hex);
    } else if (r >= GDB_REG_ST0 && r < GDB_REG_CR0) {
        // The guest has no FPU: "x" digits say "unavailable", which gdb
        // shows as <unavailable> rather than failing `info all-registers`.
        reply(s, r < GDB_REG_ST0 + 8 ? "xxxxxxxxxxxxxxxxxxxx" : "xxxxxxxx");
    } else {
        reply(s, "E01");
    }
}

/* Write n registers from first, from data. General registers, EIP and
 * EFLAGS are written; a segment selector only if unchanged (a selector
 * without its descriptor cache would be a lie), a control register never
 * (the engines' translation caches follow the guest's own CR writes).
 * Anything refused: E01, and nothing is written. */
static void write_regs(struct stub *s, unsigned first, const uint8_t *data, size_t n)
{
    struct x86_cpu c;
    mon_get_cpu(s->m, &c);
    for (unsigned r = first; r < first + n; r++) {
        uint32_t v, old;
        memcpy(&v, data + 4 * (r - first), 4);
        if (r < 8)
            c.gpr[r] = v;
        else if (r == 8)
            c.eip = v;
        else if (r == 9)
            c.eflags = (c.eflags & ~EFLAGS_WRITABLE) | (v & EFLAGS_WRITABLE) | X86_FLAG_FIXED;
        else if (!reg_value(&c, r, &old) || old != v) {
            reply(s, "E01");
            return;
        }
    }
    mon_set_cpu(s->m, &c);
    reply(s, "OK");
}
/* ---- memory ---- */

static void read_mem(struct stub *s, const struct gdb_cmd *c)
{
    uint8_t buf[GDB_MAX_DATA];
    char hex[2 * GDB_MAX_DATA + 1];
    uint32_t bad;
    if (mon_read_virt(s->m->vm, c->addr, buf, c->len, &bad) < 0) {
        reply(s, "E14");                // EFAULT: the guest does not map it
        return;
    }
    gdb_hex_encode(buf, c->len, hex);
    reply(s, hex);
}

static void write_mem(struct stub *s, const struct gdb_cmd *c)
{
    uint32_t bad;
    reply(s, mon_write_virt(s->m->vm, c->addr, c->data, c->ndata, &bad) < 0 ? "E14" : "OK");
}

/* ---- running ---- */

static bool readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    return poll(&p, 1, 0) > 0;
}

/* Resume until the guest stops; tell gdb why. Returns 1 if it ended (or
 * the user quit from the monitor). Ctrl-A c on the terminal while gdb
 * waits opens the monitor: gdb gets the stop only when the guest does. */
static int resume(struct stub *s, const struct gdb_cmd *c, bool step)
{
    struct mon *m = s->m;
    if (c->has_addr) {
        struct x86_cpu cpu;
        mon_get_cpu(m, &cpu);
        cpu.eip = c->addr;
        mon_set_cpu(m, &cpu);
    }
    bool stopped;
    for (;;) {
        m->vm->debug.steps = step ? 1 : 0;
        console_watch_fd(s->fd);        // gdb's Ctrl-C arrives on the socket
        stopped = mon_resume(m);
        console_watch_fd(-1);
        if (!stopped || m->vm->debug.why != VM_DEBUG_REQUEST || readable(s->fd))
            break;
        console_printf("\n[the monitor, while gdb waits: cont or Ctrl-A c gives the guest "
                       "back to gdb]\n");
        mon_console(m);
        if (m->quit || m->finished) {
            stopped = false;
            break;
        }
    }
    char buf[48];
    const struct vm_debug *d = &m->vm->debug;
    if (stopped && d->why == VM_DEBUG_WATCH && d->watch_hit >= 0) {
        // Which watchpoint, by its address: gdb reads old and new itself.
        const struct vm_watch *w = &d->watches[d->watch_hit];
        snprintf(buf, sizeof(buf), "T05%s:%x;", w->kind == VM_WATCH_WRITE ? "watch"
                 : w->kind == VM_WATCH_READ ? "rwatch" : "awatch", w->addr);
        reply(s, buf);
        return 0;
    }
    if (stopped) {
        reply(s, d->why == VM_DEBUG_REQUEST ? "S02" : "S05");   // SIGINT, SIGTRAP
        return 0;
    }
    if (m->finished && m->final == VM_STOP_POWEROFF)
        snprintf(buf, sizeof(buf), "W%02x", m->vm->debug_exit.code & 0xFF);
    else
        snprintf(buf, sizeof(buf), "X%02x", 9);  // "killed": it crashed or was stopped
    reply(s, buf);
    return 1;
}

static void breakpoint(struct stub *s, const struct gdb_cmd *c, bool insert)
{
    if (c->break_type > 1) {            // Z2 write, Z3 read, Z4 access watchpoints
        static const unsigned kinds[] = { [2] = VM_WATCH_WRITE, [3] = VM_WATCH_READ,
                                          [4] = VM_WATCH_READ | VM_WATCH_WRITE };
        if (insert)
            reply(s, mon_watch_add(s->m->vm, c->addr, c->len, kinds[c->break_type]) < 0
                         ? "E01" : "OK");   // E01: gdb says it cannot insert it
        else
            reply(s, mon_watch_remove(s->m->vm, c->addr, c->len, kinds[c->break_type]) < 0
                         ? "E01" : "OK");
        return;
    }
    if (insert)
        reply(s, mon_break_add(s->m->vm, c->addr) < 0 ? "E01" : "OK");
    else {
        mon_break_remove(s->m->vm, c->addr);
        reply(s, "OK");
    }
}

/* qXfer:features:read: a window of target.xml, "m" (more) or "l" (last). */
static void xfer_features(struct stub *s, const struct gdb_cmd *c)
{
    static char out[GDB_MAX_PAYLOAD + 2];
    size_t size = sizeof(target_xml) - 1;
    if (strcmp(c->annex, "target.xml") != 0) {
        reply(s, "E00");
        return;
    }
    size_t off = c->addr < size ? c->addr : size;
    size_t n = size - off;
    if (n > c->len)
        n = c->len;
    if (n > GDB_MAX_PAYLOAD - 1)
        n = GDB_MAX_PAYLOAD - 1;
    out[0] = off + n < size ? 'm' : 'l';
    memcpy(out + 1, target_xml + off, n);
    out[n + 1] = 0;
    reply(s, out);
}

/* Send text as gdb console output ("O" packets, hex). */
static void console_output_to_gdb(struct stub *s, const char *text, size_t len)
{
    static char buf[GDB_MAX_PAYLOAD + 1];
    const size_t chunk = (GDB_MAX_PAYLOAD - 1) / 2;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        buf[0] = 'O';
        gdb_hex_encode((const uint8_t *)text + off, n, buf + 1);
        reply(s, buf);
    }
}

/* gdb's `monitor LINE`: the monitor command, its output shown in gdb.
 * Running the guest belongs to gdb (continue, stepi), so cont, step and
 * quit are refused. */
static void remote_command(struct stub *s, struct gdb_cmd *c)
{
    char *line = (char *)c->data, name[32], err[256];
    snprintf(name, sizeof(name), "%.*s", (int)strcspn(line + strspn(line, " "), " /"),
             line + strspn(line, " "));
    const struct mon_command *cmd = name[0] ? mon_find_command(name, err, sizeof(err)) : NULL;
    if (cmd && (strcmp(cmd->name, "cont") == 0 || strcmp(cmd->name, "step") == 0 ||
                strcmp(cmd->name, "quit") == 0)) {
        snprintf(err, sizeof(err), "monitor %s: gdb runs the guest here (continue, stepi, "
                 "kill)\n", cmd->name);
        console_output_to_gdb(s, err, strlen(err));
        reply(s, "OK");
        return;
    }
    // The monitor prints to stdout: catch that in a file for the length
    // of one command.
    fflush(stdout);
    FILE *tmp = tmpfile();
    int saved = dup(STDOUT_FILENO);
    if (!tmp || saved < 0 || dup2(fileno(tmp), STDOUT_FILENO) < 0) {
        if (tmp)
            fclose(tmp);
        if (saved >= 0)
            close(saved);
        reply(s, "E01");
        return;
    }
    bool was_script = s->m->script;
    s->m->script = true;                // no interactive extras
    mon_execute(s->m, line);
    s->m->script = was_script;
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    static char text[64 * 1024];
    rewind(tmp);
    size_t n = fread(text, 1, sizeof(text), tmp);
    fclose(tmp);
    console_output_to_gdb(s, text, n);
    reply(s, "OK");
}

/* One command. Returns -1 to go on, 0 detached, 1 killed or ended. */
static int dispatch(struct stub *s, struct gdb_cmd *c)
{
    char buf[64];
    switch (c->kind) {
    case GDB_CMD_QSUPPORTED:
        snprintf(buf, sizeof(buf), "PacketSize=%x;qXfer:features:read+", GDB_MAX_PAYLOAD);
        reply(s, buf);
        break;
    case GDB_CMD_HALT_REASON:   reply(s, "S05"); break;
    case GDB_CMD_READ_REGS:     read_regs(s); break;
    case GDB_CMD_WRITE_REGS:    write_regs(s, 0, c->data, c->ndata / 4); break;
    case GDB_CMD_READ_REG:      read_reg(s, c->reg); break;
    case GDB_CMD_WRITE_REG:
        if (c->reg >= GDB_ALLREGS || c->ndata != 4)
            reply(s, "E01");
        else
            write_regs(s, c->reg, c->data, 1);
        break;
    case GDB_CMD_READ_MEM:      read_mem(s, c); break;
    case GDB_CMD_WRITE_MEM:     write_mem(s, c); break;
    case GDB_CMD_CONTINUE:      return resume(s, c, false) ? 1 : -1;
    case GDB_CMD_STEP:          return resume(s, c, true) ? 1 : -1;
    case GDB_CMD_INSERT_BREAK:  breakpoint(s, c, true); break;
    case GDB_CMD_REMOVE_BREAK:  breakpoint(s, c, false); break;
    case GDB_CMD_XFER_FEATURES: xfer_features(s, c); break;
    case GDB_CMD_RCMD:          remote_command(s, c); break;
    case GDB_CMD_KILL:          return 1;
    case GDB_CMD_DETACH:        reply(s, "OK"); return 0;
    case GDB_CMD_MALFORMED:     reply(s, "E01"); break;
    case GDB_CMD_UNSUPPORTED:   reply(s, ""); break;
    }
    return -1;
}

/* Wait for gdb to connect. On a terminal (raw mode) Ctrl-C, Ctrl-D and
 * Ctrl-A x give up waiting, and --timeout bounds the wait (deadline_ns on
 * exit_stats_now_ns()'s clock, 0 for none). Returns the connection, -1
 * (quit) or -2 (the deadline passed). */
static int wait_for_gdb(int listen_fd, uint64_t deadline_ns)
{
    bool tty = isatty(STDIN_FILENO);
    bool escape = false;
    for (;;) {
        struct pollfd p[2] = { { .fd = listen_fd, .events = POLLIN },
                               { .fd = STDIN_FILENO, .events = POLLIN } };
        int wait_ms = -1;
        if (deadline_ns) {
            uint64_t now = exit_stats_now_ns();
            if (now >= deadline_ns)
                return -2;
            wait_ms = (int)((deadline_ns - now + 999999) / 1000000);
        }
        if (poll(p, tty ? 2 : 1, wait_ms) < 0 && errno != EINTR)
            return -1;
        if (p[0].revents & POLLIN) {
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0)
                return fd;
            if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
                return -1;
            continue;
        }
        if (!tty || !(p[1].revents & (POLLIN | POLLHUP)))
            continue;
        char key[64];
        ssize_t n = read(STDIN_FILENO, key, sizeof(key));
        if (n <= 0)
            return -1;                  // the terminal is gone
        for (ssize_t i = 0; i < n; i++) {
            if (key[i] == 0x03 || key[i] == 0x04 || (escape && (key[i] == 'x' || key[i] == 'X')))
                return -1;
            escape = key[i] == 0x01;
        }
        if (!escape)
            console_printf("[waiting for gdb; Ctrl-C, Ctrl-D or Ctrl-A x quits]\n");
    }
}

int gdb_serve(struct mon *m, int listen_fd)
{
    static struct stub stub;
    static struct gdb_cmd cmd;
    static char payload[GDB_MAX_PAYLOAD + 1];
    struct stub *s = &stub;
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    getsockname(listen_fd, (struct sockaddr *)&a, &alen);
    console_printf("vmm: waiting for gdb on 127.0.0.1:%d (in gdb: target remote :%d)\n",
                   ntohs(a.sin_port), ntohs(a.sin_port));
    double timeout_s = m->vm->config.timeout_s;
    int fd = wait_for_gdb(listen_fd, timeout_s > 0 ? exit_stats_now_ns() +
                                         (uint64_t)(timeout_s * 1e9) : 0);
    if (fd == -2)
        return GDB_TIMEOUT;
    if (fd < 0)
        return GDB_QUIT;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   // one small packet at a time
    *s = (struct stub){ .m = m, .fd = fd };
    console_printf("vmm: gdb connected\n");
    m->gdb_attached = true;
    int result;
    for (;;) {
        if (next_packet(s, payload, sizeof(payload)) < 0) {
            result = GDB_DETACHED;      // gdb hung up: as a detach
            break;
        }
        gdb_parse(payload, &cmd);
        if ((result = dispatch(s, &cmd)) >= 0)
            break;
    }
    m->gdb_attached = false;
    close(fd);
    if (m->quit)                        // `quit` in the monitor under gdb: as a kill
        return GDB_KILLED;
    if (result == GDB_DETACHED) {       // the guest runs on, undebugged
        m->vm->debug.nbreaks = 0;
        m->vm->debug.nwatches = 0;
        vm_debug_update(m->vm);
        console_printf("vmm: gdb detached; the guest runs on (gdb may attach again)\n");
    }
    return result;
}
