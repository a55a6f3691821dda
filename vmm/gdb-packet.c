/*
 * gdb-packet.c - framing and parsing of the GDB remote serial protocol
 * (chapter 7, "A gdb stub"). Pure functions: no I/O, no guest; every input
 * is untrusted, so every length is checked and nothing here can fail by
 * more than saying "malformed".
 */
#include "vmm/gdb-packet.h"

#include <string.h>

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

enum gdb_frame_kind gdb_frame(const char *buf, size_t len, size_t *used,
                              char *payload, size_t cap, size_t *plen)
{
    size_t start = 0;
    *plen = 0;
    while (start < len && buf[start] != '$' && buf[start] != '+' && buf[start] != '-' &&
           buf[start] != 0x03)
        start++;
    *used = start;
    if (start == len)
        return GDB_NEED_MORE;
    switch (buf[start]) {
    case '+': *used = start + 1; return GDB_ACK;
    case '-': *used = start + 1; return GDB_NAK;
    case 0x03: *used = start + 1; return GDB_INTERRUPT;
    }
    // A packet: find '#' and its two checksum digits. '#' cannot be escaped
    // into the payload, so the first '#' ends it.
    const char *hash = memchr(buf + start, '#', len - start);
    if (!hash || (size_t)(hash - buf) + 3 > len) {
        if (len - start > 2 * cap + 3) {        // no end in sight: drop it all
            *used = len;
            return GDB_TOO_LONG;
        }
        return GDB_NEED_MORE;
    }
    size_t end = (size_t)(hash - buf);
    *used = end + 3;
    unsigned sum = 0;
    size_t n = 0;
    bool too_long = false;
    for (size_t i = start + 1; i < end; i++) {
        sum += (unsigned char)buf[i];
        char c = buf[i];
        if (c == '}' && i + 1 < end) {
            sum += (unsigned char)buf[++i];
            c = (char)(buf[i] ^ 0x20);
        }
        if (n + 1 < cap)
            payload[n++] = c;
        else
            too_long = true;
    }
    payload[n] = 0;
    *plen = n;
    int hi = hex_value(hash[1]), lo = hex_value(hash[2]);
    if (hi < 0 || lo < 0 || (unsigned)(hi * 16 + lo) != (sum & 0xFF))
        return GDB_BAD_CHECKSUM;
    return too_long ? GDB_TOO_LONG : GDB_PACKET;
}

int gdb_encode(const char *payload, size_t plen, char *out, size_t cap)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;
    unsigned sum = 0;
    if (cap < 5)
        return -1;
    out[n++] = '$';
    for (size_t i = 0; i < plen; i++) {
        char c = payload[i];
        bool escape = c == '$' || c == '#' || c == '}' || c == '*';
        if (n + (escape ? 2 : 1) + 4 > cap)
            return -1;
        if (escape) {
            out[n++] = '}';
            sum += '}';
            c ^= 0x20;
        }
        out[n++] = c;
        sum += (unsigned char)c;
    }
    out[n++] = '#';
    out[n++] = digits[(sum >> 4) & 0xF];
    out[n++] = digits[sum & 0xF];
    out[n] = 0;
    return (int)n;
}

void gdb_hex_encode(const uint8_t *src, size_t n, char *dst)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = digits[src[i] >> 4];
        dst[2 * i + 1] = digits[src[i] & 0xF];
    }
    dst[2 * n] = 0;
}

int gdb_hex_decode(const char *src, size_t ndigits, uint8_t *dst)
{
    if (ndigits % 2)
        return -1;
    for (size_t i = 0; i < ndigits / 2; i++) {
        int hi = hex_value(src[2 * i]), lo = hex_value(src[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        dst[i] = (uint8_t)(hi * 16 + lo);
    }
    return (int)(ndigits / 2);
}

/* A hex number of at most 8 digits at *p, which moves past it. */
static bool hex_number(const char **p, uint32_t *out)
{
    uint32_t v = 0;
    int digits = 0;
    for (; hex_value(**p) >= 0; (*p)++) {
        if (++digits > 8)
            return false;
        v = v * 16 + (uint32_t)hex_value(**p);
    }
    *out = v;
    return digits > 0;
}

/* Hex bytes from p to the end of the payload into out->data. */
static bool hex_data(const char *p, struct gdb_cmd *out)
{
    size_t n = strlen(p);
    if (n / 2 > GDB_MAX_DATA)           // data[] keeps one byte for qRcmd's NUL
        return false;
    int got = gdb_hex_decode(p, n, out->data);
    if (got < 0)
        return false;
    out->ndata = (size_t)got;
    return true;
}

/* The argument parsers: each returns false on malformed arguments. */
static bool parse_mem(const char *p, struct gdb_cmd *c, bool write)
{
    if (!hex_number(&p, &c->addr) || *p++ != ',' || !hex_number(&p, &c->len))
        return false;
    if (!write)
        return *p == 0 && c->len <= GDB_MAX_DATA;
    return *p++ == ':' && hex_data(p, c) && c->ndata == c->len;
}

static bool parse_break(const char *p, struct gdb_cmd *c)
{
    uint32_t type;
    if (!hex_number(&p, &type) || type > 4 || *p++ != ',' || !hex_number(&p, &c->addr) ||
        *p++ != ',' || !hex_number(&p, &c->len))
        return false;
    c->break_type = type;
    return *p == 0 || *p == ';';        // ";cond..." lists are allowed and ignored
}

static bool parse_resume(const char *p, struct gdb_cmd *c)
{
    if (*p == 0)
        return true;
    c->has_addr = true;
    return hex_number(&p, &c->addr) && *p == 0;
}

static bool parse_reg(const char *p, struct gdb_cmd *c, bool write)
{
    uint32_t reg;
    if (!hex_number(&p, &reg))
        return false;
    c->reg = reg;
    if (!write)
        return *p == 0;
    return *p++ == '=' && hex_data(p, c) && c->ndata > 0;
}

/* qXfer:features:read:ANNEX:OFFSET,LENGTH (the part after "read:"). */
static bool parse_xfer(const char *p, struct gdb_cmd *c)
{
    size_t n = strcspn(p, ":");
    if (n == 0 || n >= sizeof(c->annex) || p[n] != ':')
        return false;
    memcpy(c->annex, p, n);
    c->annex[n] = 0;
    p += n + 1;
    return hex_number(&p, &c->addr) && *p++ == ',' && hex_number(&p, &c->len) && *p == 0;
}

/* qRcmd,HEX: the command line of gdb's `monitor`, hex-encoded. */
static bool parse_rcmd(const char *p, struct gdb_cmd *c)
{
    if (strlen(p) % 2 || !hex_data(p, c) || memchr(c->data, 0, c->ndata))
        return false;
    c->data[c->ndata] = 0;
    return true;
}

void gdb_parse(const char *payload, struct gdb_cmd *out)
{
    memset(out, 0, sizeof(*out));
    const char *args = payload + (payload[0] ? 1 : 0);
    bool ok = true;
    switch (payload[0]) {
    case '?': out->kind = GDB_CMD_HALT_REASON; ok = *args == 0; break;
    case 'g': out->kind = GDB_CMD_READ_REGS; ok = *args == 0; break;
    case 'G': out->kind = GDB_CMD_WRITE_REGS; ok = hex_data(args, out); break;
    case 'p': out->kind = GDB_CMD_READ_REG; ok = parse_reg(args, out, false); break;
    case 'P': out->kind = GDB_CMD_WRITE_REG; ok = parse_reg(args, out, true); break;
    case 'm': out->kind = GDB_CMD_READ_MEM; ok = parse_mem(args, out, false); break;
    case 'M': out->kind = GDB_CMD_WRITE_MEM; ok = parse_mem(args, out, true); break;
    case 'c': out->kind = GDB_CMD_CONTINUE; ok = parse_resume(args, out); break;
    case 's': out->kind = GDB_CMD_STEP; ok = parse_resume(args, out); break;
    case 'Z': out->kind = GDB_CMD_INSERT_BREAK; ok = parse_break(args, out); break;
    case 'z': out->kind = GDB_CMD_REMOVE_BREAK; ok = parse_break(args, out); break;
    case 'k': out->kind = GDB_CMD_KILL; break;
    case 'D': out->kind = GDB_CMD_DETACH; break;   // "D;pid" too
    case 'q':
        if (strncmp(payload, "qSupported", 10) == 0 && (payload[10] == 0 || payload[10] == ':')) {
            out->kind = GDB_CMD_QSUPPORTED;
        } else if (strncmp(payload, "qXfer:features:read:", 20) == 0) {
            out->kind = GDB_CMD_XFER_FEATURES;
            ok = parse_xfer(payload + 20, out);
        } else if (strncmp(payload, "qRcmd,", 6) == 0) {
            out->kind = GDB_CMD_RCMD;
            ok = parse_rcmd(payload + 6, out);
        } else
            out->kind = GDB_CMD_UNSUPPORTED;
        break;
    default:
        out->kind = GDB_CMD_UNSUPPORTED;
    }
    if (!ok)
        out->kind = GDB_CMD_MALFORMED;
}
