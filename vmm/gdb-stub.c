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
 * Everything gdb sends is untrusted: gdb-packet.c parses it, and anything
 * malformed gets "E01", never a crash.
 */
#define _GNU_SOURCE
#include "vmm/gdb-stub.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/console.h"
#include "vmm/gdb-packet.h"
#include "vmm/monitor.h"

#define GDB_NREGS 16                    /* eax..edi, eip, eflags, cs ss ds es fs gs */

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

static uint32_t *reg_slot(struct x86_cpu *c, unsigned r)
{
    static const enum x86_sreg segs[6] = { X86_CS, X86_SS, X86_DS, X86_ES, X86_FS, X86_GS };
    static uint32_t selector;           // selectors are 16-bit in the CPU, 32 for gdb
    if (r < 8)
        return &c->gpr[r];
    if (r == 8)
        return &c->eip;
    if (r == 9)
        return &c->eflags;
    selector = c->seg[segs[r - 10]].selector;
    return &selector;
}

static void read_regs(struct stub *s)
{
    struct x86_cpu c;
    uint8_t bytes[4 * GDB_NREGS];
    char hex[8 * GDB_NREGS + 1];
    mon_get_cpu(s->m, &c);
    for (unsigned r = 0; r < GDB_NREGS; r++)
        memcpy(bytes + 4 * r, reg_slot(&c, r), 4);      // little-endian, as gdb wants
    gdb_hex_encode(bytes, sizeof(bytes), hex);
    reply(s, hex);
}

/* Write registers first..first+n from data. Segment selectors are not
 * written: a selector without its descriptor cache would be a lie. */
static void write_regs(struct stub *s, unsigned first, const uint8_t *data, size_t n)
{
    struct x86_cpu c;
    mon_get_cpu(s->m, &c);
    for (unsigned r = first; r < first + n && r < 10; r++)
        memcpy(reg_slot(&c, r), data + 4 * (r - first), 4);
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

/* Resume until the guest stops; tell gdb why. Returns 1 if it ended. */
static int resume(struct stub *s, const struct gdb_cmd *c, bool step)
{
    struct mon *m = s->m;
    if (c->has_addr) {
        struct x86_cpu cpu;
        mon_get_cpu(m, &cpu);
        cpu.eip = c->addr;
        mon_set_cpu(m, &cpu);
    }
    m->vm->debug.steps = step ? 1 : 0;
    console_watch_fd(s->fd);            // gdb's Ctrl-C arrives on the socket
    bool stopped = mon_resume(m);
    console_watch_fd(-1);
    char buf[16];
    if (stopped) {
        reply(s, m->vm->debug.why == VM_DEBUG_REQUEST ? "S02" : "S05");   // SIGINT, SIGTRAP
        return 0;
    }
    if (m->final == VM_STOP_POWEROFF)
        snprintf(buf, sizeof(buf), "W%02x", m->vm->debug_exit.code & 0xFF);
    else
        snprintf(buf, sizeof(buf), "X%02x", 9);  // "killed": it crashed or was stopped
    reply(s, buf);
    return 1;
}

static void breakpoint(struct stub *s, const struct gdb_cmd *c, bool insert)
{
    if (c->break_type > 1) {
        reply(s, "");                   // watchpoints: not supported
        return;
    }
    if (insert)
        reply(s, mon_break_add(s->m->vm, c->addr) < 0 ? "E01" : "OK");
    else {
        mon_break_remove(s->m->vm, c->addr);
        reply(s, "OK");
    }
}

/* One command. Returns -1 to go on, 0 detached, 1 killed or ended. */
static int dispatch(struct stub *s, const struct gdb_cmd *c)
{
    char buf[32];
    switch (c->kind) {
    case GDB_CMD_QSUPPORTED:
        snprintf(buf, sizeof(buf), "PacketSize=%x", GDB_MAX_PAYLOAD);
        reply(s, buf);
        break;
    case GDB_CMD_HALT_REASON:   reply(s, "S05"); break;
    case GDB_CMD_READ_REGS:     read_regs(s); break;
    case GDB_CMD_WRITE_REGS:    write_regs(s, 0, c->data, c->ndata / 4); break;
    case GDB_CMD_READ_REG: {
        struct x86_cpu cpu;
        char hex[9];
        if (c->reg >= GDB_NREGS) {
            reply(s, "E01");
            break;
        }
        mon_get_cpu(s->m, &cpu);
        gdb_hex_encode((const uint8_t *)reg_slot(&cpu, c->reg), 4, hex);
        reply(s, hex);
        break;
    }
    case GDB_CMD_WRITE_REG:
        if (c->reg >= GDB_NREGS || c->ndata != 4)
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
    case GDB_CMD_KILL:          return 1;
    case GDB_CMD_DETACH:        reply(s, "OK"); return 0;
    case GDB_CMD_MALFORMED:     reply(s, "E01"); break;
    case GDB_CMD_UNSUPPORTED:   reply(s, ""); break;
    }
    return -1;
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
    fprintf(stderr, "vmm: waiting for gdb on 127.0.0.1:%d (in gdb: target remote :%d)\n",
            ntohs(a.sin_port), ntohs(a.sin_port));
    int fd;
    while ((fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (fd < 0) {
        fprintf(stderr, "vmm: --gdb: accept: %s; running without gdb\n", strerror(errno));
        return 0;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   // one small packet at a time
    *s = (struct stub){ .m = m, .fd = fd };
    fprintf(stderr, "vmm: gdb connected\n");
    int result;
    for (;;) {
        if (next_packet(s, payload, sizeof(payload)) < 0) {
            result = 0;                 // gdb hung up: as a detach
            break;
        }
        gdb_parse(payload, &cmd);
        if ((result = dispatch(s, &cmd)) >= 0)
            break;
    }
    close(fd);
    if (result == 0) {                  // detached: the guest runs on, undebugged
        m->vm->debug.nbreaks = 0;
        vm_debug_update(m->vm);
        fprintf(stderr, "vmm: gdb detached; the guest runs on\n");
    }
    return result;
}
