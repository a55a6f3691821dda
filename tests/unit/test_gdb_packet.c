/*
 * test_gdb_packet.c - the GDB remote protocol's framing and parsing
 * (vmm/gdb-packet.c): checksums, escapes, acks and Ctrl-C, partial and
 * damaged input, and every command the stub acts on, well and badly formed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/gdb-packet.h"

static char payload[GDB_MAX_PAYLOAD + 1];

/* Frame s (a C string) and return the kind; *used and *plen as gdb_frame. */
static enum gdb_frame_kind frame(const char *s, size_t *used, size_t *plen)
{
    return gdb_frame(s, strlen(s), used, payload, sizeof(payload), plen);
}

static void test_good_packet(void **state)
{
    size_t used, plen;
    (void)state;
    // "g" is 0x67.
    assert_int_equal(frame("$g#67", &used, &plen), GDB_PACKET);
    assert_int_equal(used, 5);
    assert_string_equal(payload, "g");
    assert_int_equal(plen, 1);
    // Upper-case checksum digits are accepted too.
    assert_int_equal(frame("$m0,4#FD", &used, &plen), GDB_PACKET);
    assert_string_equal(payload, "m0,4");
}

static void test_bad_checksum(void **state)
{
    size_t used, plen;
    (void)state;
    assert_int_equal(frame("$g#68", &used, &plen), GDB_BAD_CHECKSUM);
    assert_int_equal(used, 5);                  // dropped: gdb sends it again
    assert_int_equal(frame("$g#zz", &used, &plen), GDB_BAD_CHECKSUM);
}

static void test_acks_interrupt_noise(void **state)
{
    size_t used, plen;
    (void)state;
    assert_int_equal(frame("+$g#67", &used, &plen), GDB_ACK);
    assert_int_equal(used, 1);
    assert_int_equal(frame("-", &used, &plen), GDB_NAK);
    assert_int_equal(frame("\x03", &used, &plen), GDB_INTERRUPT);
    // Noise before a packet is skipped.
    assert_int_equal(frame("xyz$g#67", &used, &plen), GDB_PACKET);
    assert_int_equal(used, 8);
    assert_int_equal(frame("xyz", &used, &plen), GDB_NEED_MORE);
    assert_int_equal(used, 3);
}

static void test_partial(void **state)
{
    size_t used, plen;
    (void)state;
    assert_int_equal(frame("", &used, &plen), GDB_NEED_MORE);
    assert_int_equal(frame("$g", &used, &plen), GDB_NEED_MORE);
    assert_int_equal(used, 0);
    assert_int_equal(frame("ab$g#6", &used, &plen), GDB_NEED_MORE);
    assert_int_equal(used, 2);                  // the noise may go, the packet stays
}

static void test_escapes_both_ways(void **state)
{
    size_t used, plen;
    char wire[64];
    (void)state;
    const char raw[] = "X$#}*";
    int n = gdb_encode(raw, strlen(raw), wire, sizeof(wire));
    assert_true(n > 0);
    assert_non_null(strstr(wire, "}\x04}\x03}]}\x0a"));  // '$'^0x20 = 0x04 ...
    assert_int_equal(gdb_frame(wire, (size_t)n, &used, payload, sizeof(payload), &plen),
                     GDB_PACKET);
    assert_int_equal(plen, strlen(raw));
    assert_memory_equal(payload, raw, plen);
    assert_int_equal(gdb_encode("OK", 2, wire, 4), -1);    // too small
    assert_int_equal(gdb_encode("OK", 2, wire, sizeof(wire)), 6);
    assert_string_equal(wire, "$OK#9a");
}

static void test_too_long(void **state)
{
    size_t used, plen;
    char small[4];
    (void)state;
    assert_int_equal(gdb_frame("$abcdef#55", 10, &used, small, sizeof(small), &plen),
                     GDB_TOO_LONG);
    assert_int_equal(used, 10);
    // No end in sight, far more than a packet: drop everything.
    static char flood[3 * GDB_MAX_PAYLOAD];
    memset(flood, 'a', sizeof(flood));
    flood[0] = '$';
    assert_int_equal(gdb_frame(flood, sizeof(flood), &used, payload, sizeof(payload), &plen),
                     GDB_TOO_LONG);
    assert_int_equal(used, sizeof(flood));
}

static void test_hex(void **state)
{
    uint8_t bytes[4] = { 0xde, 0xad, 0x00, 0x0f }, back[4];
    char hex[9];
    (void)state;
    gdb_hex_encode(bytes, 4, hex);
    assert_string_equal(hex, "dead000f");
    assert_int_equal(gdb_hex_decode("DEAD000f", 8, back), 4);
    assert_memory_equal(back, bytes, 4);
    assert_int_equal(gdb_hex_decode("abc", 3, back), -1);
    assert_int_equal(gdb_hex_decode("zz", 2, back), -1);
}

static void test_commands(void **state)
{
    static struct gdb_cmd c;
    (void)state;
    gdb_parse("qXfer:features:read:target.xml:0,ffb", &c);
    assert_int_equal(c.kind, GDB_CMD_XFER_FEATURES);
    assert_string_equal(c.annex, "target.xml");
    assert_int_equal(c.addr, 0);
    assert_int_equal(c.len, 0xffb);
    gdb_parse("qXfer:features:read:target.xml:0", &c);
    assert_int_equal(c.kind, GDB_CMD_MALFORMED);
    gdb_parse("qXfer:features:read::0,10", &c);
    assert_int_equal(c.kind, GDB_CMD_MALFORMED);
    gdb_parse("qRcmd,696e666f206d656d", &c);           // "info mem"
    assert_int_equal(c.kind, GDB_CMD_RCMD);
    assert_string_equal((const char *)c.data, "info mem");
    gdb_parse("qRcmd,696", &c);                         // odd digits
    assert_int_equal(c.kind, GDB_CMD_MALFORMED);
    gdb_parse("qRcmd,6900", &c);                        // a NUL inside
    assert_int_equal(c.kind, GDB_CMD_MALFORMED);
    static char big[8 + 2 * (GDB_MAX_DATA + 1) + 1];    // qRcmd at and past the limit
    strcpy(big, "qRcmd,");
    memset(big + 6, '6', 2 * GDB_MAX_DATA);
    big[6 + 2 * GDB_MAX_DATA] = 0;
    gdb_parse(big, &c);
    assert_int_equal(c.kind, GDB_CMD_RCMD);
    assert_int_equal(c.ndata, GDB_MAX_DATA);
    assert_int_equal(c.data[GDB_MAX_DATA], 0);
    memset(big + 6, '6', 2 * (GDB_MAX_DATA + 1));
    big[6 + 2 * (GDB_MAX_DATA + 1)] = 0;
    gdb_parse(big, &c);
    assert_int_equal(c.kind, GDB_CMD_MALFORMED);
    gdb_parse("Z2,c0100000,4", &c);                     // a write watchpoint
    assert_int_equal(c.kind, GDB_CMD_INSERT_BREAK);
    assert_int_equal(c.break_type, 2);
    assert_int_equal(c.len, 4);
    gdb_parse("qSupported:multiprocess+;swbreak+", &c);
    assert_int_equal(c.kind, GDB_CMD_QSUPPORTED);
    gdb_parse("?", &c);
    assert_int_equal(c.kind, GDB_CMD_HALT_REASON);
    gdb_parse("g", &c);
    assert_int_equal(c.kind, GDB_CMD_READ_REGS);
    gdb_parse("G0100000002000000", &c);
    assert_int_equal(c.kind, GDB_CMD_WRITE_REGS);
    assert_int_equal(c.ndata, 8);
    gdb_parse("p8", &c);
    assert_int_equal(c.kind, GDB_CMD_READ_REG);
    assert_int_equal(c.reg, 8);
    gdb_parse("P8=10000c00", &c);
    assert_int_equal(c.kind, GDB_CMD_WRITE_REG);
    assert_int_equal(c.ndata, 4);
    gdb_parse("mc0102810,40", &c);
    assert_int_equal(c.kind, GDB_CMD_READ_MEM);
    assert_int_equal(c.addr, 0xc0102810);
    assert_int_equal(c.len, 0x40);
    gdb_parse("M1000,2:abcd", &c);
    assert_int_equal(c.kind, GDB_CMD_WRITE_MEM);
    assert_int_equal(c.data[0], 0xab);
    gdb_parse("c", &c);
    assert_int_equal(c.kind, GDB_CMD_CONTINUE);
    assert_false(c.has_addr);
    gdb_parse("s10000c", &c);
    assert_int_equal(c.kind, GDB_CMD_STEP);
    assert_true(c.has_addr);
    assert_int_equal(c.addr, 0x10000c);
    gdb_parse("Z0,c0102810,1", &c);
    assert_int_equal(c.kind, GDB_CMD_INSERT_BREAK);
    assert_int_equal(c.break_type, 0);
    assert_int_equal(c.addr, 0xc0102810);
    gdb_parse("z1,c0102810,1", &c);
    assert_int_equal(c.kind, GDB_CMD_REMOVE_BREAK);
    assert_int_equal(c.break_type, 1);
    gdb_parse("k", &c);
    assert_int_equal(c.kind, GDB_CMD_KILL);
    gdb_parse("D;1", &c);
    assert_int_equal(c.kind, GDB_CMD_DETACH);
    gdb_parse("vCont?", &c);
    assert_int_equal(c.kind, GDB_CMD_UNSUPPORTED);
    gdb_parse("", &c);
    assert_int_equal(c.kind, GDB_CMD_UNSUPPORTED);
}

static void test_malformed_commands(void **state)
{
    static struct gdb_cmd c;
    static const char *const bad[] = {
        "m", "m1000", "m1000,", "mxyz,4", "m1,2,3", "m123456789,4", "m0,100000",
        "M1000,2:abc", "M1000,4:abcd", "M1000,2", "M1000,2:zzzz",
        "Z9,1000,1", "Z0,1000", "Z0", "z0,,1",
        "G123", "Gzz", "p", "pzz", "P8", "P8=", "P8=xyz",
        "cxyz", "s1000,", "?x", "gg",
    };
    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gdb_parse(bad[i], &c);
        if (c.kind != GDB_CMD_MALFORMED)
            fail_msg("'%s' parsed as kind %d, not malformed", bad[i], c.kind);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_packet),
        cmocka_unit_test(test_bad_checksum),
        cmocka_unit_test(test_acks_interrupt_noise),
        cmocka_unit_test(test_partial),
        cmocka_unit_test(test_escapes_both_ways),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_malformed_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
