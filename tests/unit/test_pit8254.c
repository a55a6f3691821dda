/*
 * test_pit8254.c - unit tests for devices/pit8254.c (chapter 2, chapter 6):
 * periods and IRQ 0 counts over virtual time, count latches and read-back,
 * access modes, port 0x61.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pic8259.h"
#include "devices/pit8254.h"

static struct bus bus;
static struct pic pic;
static struct pit pit;
static uint64_t now;            /* the virtual clock the PIT reads */

static const uint64_t NS = 1000000000ull;

static void outb(uint16_t port, uint8_t val)
{
    uint32_t v = val;
    assert_true(bus_pio(&bus, port, 1, true, &v));
}

static uint8_t inb(uint16_t port)
{
    uint32_t v;
    assert_true(bus_pio(&bus, port, 1, false, &v));
    return v;
}

/* A lohi count read: low byte first (C leaves the order of `inb() | inb() << 8` open). */
static uint16_t inw_lohi(uint16_t port)
{
    uint8_t lo = inb(port);
    return lo | inb(port) << 8;
}

/* Nanoseconds that surely hold `ticks` input-clock ticks. */
static uint64_t ticks_ns(uint64_t ticks)
{
    return (ticks * NS + PIT_HZ - 1) / PIT_HZ;
}

static int setup(void **state)
{
    (void)state;
    now = 1000;                 /* not zero: loads happen at "some" time */
    bus_init(&bus);
    assert_int_equal(pic_init(&pic, &bus), 0);
    outb(0x20, 0x11); outb(0x21, 0x20); outb(0x21, 0x04); outb(0x21, 0x01);
    assert_int_equal(pit_init(&pit, &bus, &pic, &now), 0);
    return 0;
}

/* Program channel ch with mode and access, then load count (lohi when access is 3). */
static void program(int ch, int access, int mode, uint16_t count)
{
    outb(0x43, ch << 6 | access << 4 | mode << 1);
    if (access == PIT_ACCESS_HI)
        outb(0x40 + ch, count >> 8);
    else
        outb(0x40 + ch, count & 0xFF);
    if (access == PIT_ACCESS_LOHI)
        outb(0x40 + ch, count >> 8);
}

/* Run the clock to `until` the way a halted guest would, taking every IRQ 0. Returns how many. */
static int run_until(uint64_t until)
{
    int irqs = 0;
    for (;;) {
        uint64_t next = pit_next_event_ns(&pit, now);
        assert_true(next >= now);
        if (next > until)
            break;
        now = next;
        pit_update(&pit, now);
        if (pic_has_interrupt(&pic)) {
            assert_int_equal(pic_acknowledge(&pic), 0x20);
            outb(0x20, 0x20);
            irqs++;
        }
    }
    now = until;
    return irqs;
}

static void test_mode2_100hz(void **state)
{
    (void)state;
    program(0, PIT_ACCESS_LOHI, 2, 11932);          /* 1193182 / 11932 = 99.998 Hz */
    uint64_t start = now;
    assert_int_equal(run_until(start + NS), 99);
    assert_int_equal(run_until(start + 2 * NS), 100);   /* 199.997 periods by now */
    assert_int_equal(pit.stats.irqs, 199);
    assert_int_equal(pit.stats.coalesced, 0);

    /* Stepping in small slices gives the same count as jumping from edge to edge. */
    setup(NULL);
    program(0, PIT_ACCESS_LOHI, 2, 11932);
    start = now;
    int irqs = 0;
    for (int ms = 1; ms <= 1000; ms++) {
        now = start + ms * 1000000ull;
        pit_update(&pit, now);
        if (pic_has_interrupt(&pic)) {
            pic_acknowledge(&pic);
            outb(0x20, 0x20);
            irqs++;
        }
    }
    assert_int_equal(irqs, 99);
}

static void test_mode3_count0_is_65536(void **state)
{
    (void)state;
    program(0, PIT_ACCESS_LOHI, 3, 0);               /* the BIOS's 18.2 Hz */
    assert_int_equal(pit.ch[0].reload, 65536);
    uint64_t start = now;
    /* Edges fall on multiples of 65536 ticks. */
    assert_int_equal(pit_next_event_ns(&pit, now), start + ticks_ns(65536));
    assert_int_equal(run_until(start + 10 * NS), 182);  /* 10 s * 18.2065 Hz */
    assert_int_equal(pit_next_event_ns(&pit, now), start + ticks_ns(183 * 65536ull));
}

static void test_huge_gap_coalesced(void **state)
{
    (void)state;
    program(0, PIT_ACCESS_LOHI, 2, 1193);            /* ~1000 Hz */
    uint64_t start = now;
    now = start + 1000000 * NS;                       /* eleven days in one step */
    pit_update(&pit, now);
    assert_int_equal(pit.stats.irqs, 1);              /* one request, not a billion */
    assert_true(pit.stats.coalesced > 999000000ull);
    assert_true(pic_has_interrupt(&pic));
    uint64_t next = pit_next_event_ns(&pit, now);
    assert_true(next > now && next - now <= ticks_ns(1193));
    pit_update(&pit, now);                            /* nothing new at the same time */
    assert_int_equal(pit.stats.irqs, 1);
}

static void test_latch_and_lohi_read(void **state)
{
    (void)state;
    program(0, PIT_ACCESS_LOHI, 2, 1000);
    uint64_t start = now;
    assert_int_equal(inb(0x40), 1000 & 0xFF);         /* live lohi read: low byte... */
    assert_int_equal(inb(0x40), 1000 >> 8);           /* ...then high byte */

    now = start + ticks_ns(100);
    outb(0x43, 0x00);                                 /* counter latch, channel 0 */
    now = start + ticks_ns(400);                      /* time moves on, the latch holds */
    outb(0x43, 0x00);                                 /* a second latch is ignored */
    assert_int_equal(inb(0x40), 900 & 0xFF);
    assert_int_equal(inb(0x40), 900 >> 8);
    /* Latch consumed: reads are live again. */
    assert_int_equal(inb(0x40), 600 & 0xFF);
    assert_int_equal(inb(0x40), 600 >> 8);
    /* Mode 2 reloads: 1000 ticks later the count is back where it was. */
    now = start + ticks_ns(1400);
    outb(0x43, 0x00);
    assert_int_equal(inw_lohi(0x40), 600);
}

static void test_readback(void **state)
{
    (void)state;
    outb(0x43, 0x34);                                 /* ch0, lohi, mode 2, no count yet */
    outb(0x43, 0xE2);                                 /* read-back: status only, channel 0 */
    assert_int_equal(inb(0x40), 0x80 | 0x40 | 0x34);  /* OUT high (mode 2), null count */
    outb(0x40, 0xE8);
    outb(0x40, 0x03);                                 /* 1000 */
    uint64_t start = now;

    now = start + ticks_ns(250);
    outb(0x43, 0xC2);                                 /* read-back: count and status */
    now = start + ticks_ns(999);
    assert_int_equal(inb(0x40), 0x80 | 0x34);         /* status first: OUT high, count loaded */
    assert_int_equal(inb(0x40), 750 & 0xFF);
    assert_int_equal(inb(0x40), 750 >> 8);
    outb(0x43, 0xE2);
    assert_int_equal(inb(0x40), 0x34);                /* OUT low: the tick before reload */

    /* Channel 2 through read-back bit 3, count only. */
    program(2, PIT_ACCESS_LOHI, 0, 5000);
    now += ticks_ns(10);
    outb(0x43, 0xD8);
    assert_int_equal(inw_lohi(0x42), 4990);
}

static void test_lobyte_hibyte_access(void **state)
{
    (void)state;
    program(1, PIT_ACCESS_LO, 0, 0x50);
    assert_int_equal(pit.ch[1].reload, 0x50);
    now += ticks_ns(0x10);
    assert_int_equal(inb(0x41), 0x40);                /* only the low byte, every read */
    assert_int_equal(inb(0x41), 0x40);

    program(1, PIT_ACCESS_HI, 0, 0x0300);
    assert_int_equal(pit.ch[1].reload, 0x300);
    now += ticks_ns(0x101);
    assert_int_equal(inb(0x41), 0x01);                /* 0x300 - 0x101 = 0x1FF: high byte */

    /* Mode 0 counts past zero and wraps; a count of 0 reads as 0 (65536). */
    program(1, PIT_ACCESS_LOHI, 2, 0);
    assert_int_equal(inw_lohi(0x41), 0);
    now += ticks_ns(1);
    assert_int_equal(inw_lohi(0x41), 65535);
}

static void test_mode0_one_shot(void **state)
{
    (void)state;
    program(0, PIT_ACCESS_LOHI, 0, 500);
    uint64_t start = now;
    outb(0x43, 0xE2);
    assert_int_equal(inb(0x40) & 0x80, 0x00);         /* OUT low while counting */
    assert_int_equal(pit_next_event_ns(&pit, now), start + ticks_ns(500));
    assert_int_equal(run_until(start + NS), 1);       /* one interrupt, then silence */
    assert_int_equal(pit_next_event_ns(&pit, now), UINT64_MAX);
    outb(0x43, 0xE2);
    assert_int_equal(inb(0x40) & 0x80, 0x80);         /* OUT high after terminal count */

    outb(0x43, 0x30);                                 /* a new mode stops the counter */
    assert_int_equal(pit_next_event_ns(&pit, now), UINT64_MAX);
}

/* A new count loaded after channel 0 has fired starts its own edges from
   zero: a rate generator reprogrammed after ten periods, and a one-shot
   loaded again after its terminal count, interrupt as freshly programmed. */
static void test_reload_after_expiry(void **state)
{
    (void)state;
    program(0, PIT_ACCESS_LOHI, 2, 1000);
    uint64_t start = now;
    assert_int_equal(run_until(start + ticks_ns(10 * 1000) + 1), 10);

    outb(0x40, 3000 & 0xFF);                          /* a new count, same mode: */
    outb(0x40, 3000 >> 8);                            /* 3000 ticks per period from now */
    start = now;
    assert_int_equal(pit_next_event_ns(&pit, now), start + ticks_ns(3000));
    assert_int_equal(run_until(start + ticks_ns(4 * 3000) + 1), 4);
    assert_int_equal(pit.stats.irqs, 14);

    program(0, PIT_ACCESS_LOHI, 0, 500);              /* one-shot, fired... */
    start = now;
    assert_int_equal(run_until(start + NS), 1);
    assert_int_equal(pit_next_event_ns(&pit, now), UINT64_MAX);
    outb(0x40, 700 & 0xFF);                           /* ...and loaded again */
    outb(0x40, 700 >> 8);
    start = now;
    assert_int_equal(pit_next_event_ns(&pit, now), start + ticks_ns(700));
    assert_int_equal(run_until(start + NS), 1);
    assert_int_equal(pit.stats.irqs, 16);
}

static void test_port61_channel2(void **state)
{
    (void)state;
    outb(0x61, 0x01);                                 /* gate 2 on, speaker off */
    program(2, PIT_ACCESS_LOHI, 0, 1000);
    uint64_t start = now;
    uint8_t a = inb(0x61), b = inb(0x61);
    assert_int_equal(a & 0x23, 0x01);                 /* gate on, OUT 2 low */
    assert_int_equal((a ^ b) & 0x10, 0x10);           /* refresh bit toggles on each read */
    now = start + ticks_ns(1000);
    assert_int_equal(inb(0x61) & 0x20, 0x20);         /* terminal count: OUT 2 high */
    outb(0x61, 0x03);
    assert_int_equal(inb(0x61) & 0x03, 0x03);
    assert_false(pic_has_interrupt(&pic));            /* channel 2 has no IRQ */
    pit_update(&pit, now);
    assert_false(pic_has_interrupt(&pic));
    assert_int_equal(pit_next_event_ns(&pit, now), UINT64_MAX);   /* channel 0 idle */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_mode2_100hz, setup),
        cmocka_unit_test_setup(test_mode3_count0_is_65536, setup),
        cmocka_unit_test_setup(test_huge_gap_coalesced, setup),
        cmocka_unit_test_setup(test_latch_and_lohi_read, setup),
        cmocka_unit_test_setup(test_readback, setup),
        cmocka_unit_test_setup(test_lobyte_hibyte_access, setup),
        cmocka_unit_test_setup(test_mode0_one_shot, setup),
        cmocka_unit_test_setup(test_reload_after_expiry, setup),
        cmocka_unit_test_setup(test_port61_channel2, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
