/*
 * gdb-packet.h - the GDB remote serial protocol, as pure functions: framing,
 * checksums, escapes and the commands the stub understands (chapter 7,
 * "A gdb stub"). vmm/gdb-stub.c does the socket and the guest; this file
 * only turns bytes into commands and replies into bytes, so a unit test can
 * feed it anything.
 *
 * On the wire a packet is  $payload#cc : cc is the sum of the payload's
 * bytes modulo 256, in two hex digits. The receiver answers '+' (got it) or
 * '-' (bad checksum: send again). Inside the payload '}' escapes the next
 * byte, which is sent XOR 0x20, so that '$', '#', '}' and '*' can appear in
 * binary data. A lone 0x03 byte, outside any packet, is gdb's Ctrl-C.
 */
#ifndef VMM_GDB_PACKET_H
#define VMM_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_MAX_PAYLOAD 4096            /* what qSupported promises (PacketSize=1000) */
#define GDB_MAX_DATA    (GDB_MAX_PAYLOAD / 2)   /* bytes in one G, M or P */

/* What gdb_frame found at the start of the input. */
enum gdb_frame_kind {
    GDB_NEED_MORE,                      /* no whole frame yet */
    GDB_PACKET,                         /* a packet with a good checksum */
    GDB_BAD_CHECKSUM,                   /* a whole packet, damaged: answer '-' */
    GDB_TOO_LONG,                       /* a packet larger than the payload buffer */
    GDB_ACK,                            /* '+' */
    GDB_NAK,                            /* '-': send the last reply again */
    GDB_INTERRUPT,                      /* 0x03: stop the running guest */
};

/*
 * Take one frame from buf[0..len). Bytes before the first '$', '+', '-' or
 * 0x03 are noise and skipped. *used is how many bytes the caller may drop
 * (with GDB_NEED_MORE: the noise before an incomplete packet). A packet's
 * payload is unescaped into payload[0..cap) and NUL-terminated; *plen is
 * its length.
 */
enum gdb_frame_kind gdb_frame(const char *buf, size_t len, size_t *used,
                              char *payload, size_t cap, size_t *plen);

/* Frame payload[0..plen) for sending, escaping what must be. Returns the
 * bytes written to out (NUL-terminated), or -1 if out is too small. */
int gdb_encode(const char *payload, size_t plen, char *out, size_t cap);

/* Hex both ways: n bytes -> 2n digits (lower case, NUL-terminated);
 * 2n digits -> n bytes, or -1 on a character that is not a hex digit. */
void gdb_hex_encode(const uint8_t *src, size_t n, char *dst);
int  gdb_hex_decode(const char *src, size_t ndigits, uint8_t *dst);

/* The commands the stub acts on; everything else gets the empty reply. */
enum gdb_cmd_kind {
    GDB_CMD_UNSUPPORTED,                /* reply "" (the protocol's "I don't know") */
    GDB_CMD_MALFORMED,                  /* a known command with bad arguments: "E01" */
    GDB_CMD_QSUPPORTED,                 /* qSupported */
    GDB_CMD_HALT_REASON,                /* ? */
    GDB_CMD_READ_REGS,                  /* g */
    GDB_CMD_WRITE_REGS,                 /* G XX... */
    GDB_CMD_READ_REG,                   /* p n */
    GDB_CMD_WRITE_REG,                  /* P n=XX... */
    GDB_CMD_READ_MEM,                   /* m addr,len */
    GDB_CMD_WRITE_MEM,                  /* M addr,len:XX... */
    GDB_CMD_CONTINUE,                   /* c [addr] */
    GDB_CMD_STEP,                       /* s [addr] */
    GDB_CMD_INSERT_BREAK,               /* Z type,addr,kind */
    GDB_CMD_REMOVE_BREAK,               /* z type,addr,kind */
    GDB_CMD_KILL,                       /* k */
    GDB_CMD_DETACH,                     /* D */
    GDB_CMD_XFER_FEATURES,              /* qXfer:features:read:ANNEX:offset,length */
    GDB_CMD_RCMD,                       /* qRcmd,HEX: gdb's `monitor LINE` */
};

struct gdb_cmd {
    enum gdb_cmd_kind kind;
    uint32_t addr;                      /* m, M, Z, z; c and s when has_addr */
    bool     has_addr;
    uint32_t len;                       /* m, M: bytes; Z, z: the kind field */
    unsigned reg;                       /* p, P */
    unsigned break_type;                /* Z, z: 0 software, 1 hardware, 2-4 watchpoints */
    uint8_t  data[GDB_MAX_DATA + 1];    /* G, M, P, qRcmd: the decoded bytes (qRcmd:
                                           NUL-terminated) */
    size_t   ndata;
    char     annex[32];                 /* qXfer: the file asked for ("target.xml") */
};

/* Parse one payload (NUL-terminated, as gdb_frame leaves it). Never fails:
 * unknown commands are GDB_CMD_UNSUPPORTED, bad arguments GDB_CMD_MALFORMED. */
void gdb_parse(const char *payload, struct gdb_cmd *out);

#endif
