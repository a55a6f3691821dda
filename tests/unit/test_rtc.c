/*
 * test_rtc.c - unit tests for devices/rtc.c (chapter 6, "What an MP kernel
 * expects of a PC"): the date and time in BCD and binary, 12 and 24 hours,
 * time moving with the virtual clock, the update-in-progress bit, the guest
 * setting the clock, and the BIOS's memory-size bytes.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <time.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/rtc.h"

static struct bus bus;
static struct rtc rtc;
static uint64_t now;

static uint8_t cmos(uint8_t reg)
{
    uint32_t v = reg;
    assert_true(bus_pio(&bus, 0x70, 1, true, &v));
    assert_true(bus_pio(&bus, 0x71, 1, false, &v));
    return (uint8_t)v;
}

static void cmos_w(uint8_t reg, uint8_t val)
{
    uint32_t v = reg;
    assert_true(bus_pio(&bus, 0x70, 1, true, &v));
    v = val;
    assert_true(bus_pio(&bus, 0x71, 1, true, &v));
}

/* 2026-12-02 16:54:07 UTC, a Wednesday. */
static int setup(void **state)
{
    (void)state;
    struct tm tm = { .tm_year = 126, .tm_mon = 11, .tm_mday = 2, .tm_hour = 16,
                     .tm_min = 54, .tm_sec = 7 };
    now = 123456789;                    // not zero: the clock is set at "some" virtual time
    bus_init(&bus);
    assert_int_equal(rtc_init(&rtc, &bus, &now, (int64_t)timegm(&tm), 512ull << 20), 0);
    return 0;
}

static void test_bcd_24h(void **state)
{
    (void)state;
    assert_int_equal(cmos(RTC_SEC), 0x07);
    assert_int_equal(cmos(RTC_MIN), 0x54);
    assert_int_equal(cmos(RTC_HOUR), 0x16);
    assert_int_equal(cmos(RTC_WDAY), 4);            // Sunday is 1
    assert_int_equal(cmos(RTC_MDAY), 0x02);
    assert_int_equal(cmos(RTC_MONTH), 0x12);
    assert_int_equal(cmos(RTC_YEAR), 0x26);
    assert_int_equal(cmos(RTC_CENTURY), 0x20);
    assert_int_equal(cmos(RTC_STATUS_D), 0x80);
}

static void test_binary_and_12h(void **state)
{
    (void)state;
    cmos_w(RTC_STATUS_B, RTC_B_BINARY | RTC_B_24H);
    assert_int_equal(cmos(RTC_MIN), 54);
    assert_int_equal(cmos(RTC_HOUR), 16);
    assert_int_equal(cmos(RTC_YEAR), 26);
    cmos_w(RTC_STATUS_B, RTC_B_BINARY);             // 12 hours: 4 PM
    assert_int_equal(cmos(RTC_HOUR), 0x80 | 4);
    cmos_w(RTC_STATUS_B, 0);                        // BCD, 12 hours
    assert_int_equal(cmos(RTC_HOUR), 0x84);
}

static void test_time_moves_with_virtual_clock(void **state)
{
    (void)state;
    now += 61ull * 1000000000;
    assert_int_equal(cmos(RTC_SEC), 0x08);
    assert_int_equal(cmos(RTC_MIN), 0x55);
    // The update cycle runs in the last 244 us before each second.
    now = now / 1000000000 * 1000000000 + 999900000;
    assert_true(cmos(RTC_STATUS_A) & RTC_A_UIP);
    now += 200000;
    assert_false(cmos(RTC_STATUS_A) & RTC_A_UIP);
}

static void test_guest_sets_clock(void **state)
{
    (void)state;
    cmos_w(RTC_MIN, 0x30);
    assert_int_equal(cmos(RTC_MIN), 0x30);
    assert_int_equal(cmos(RTC_HOUR), 0x16);         // the rest stays
    cmos_w(RTC_YEAR, 0x99);
    assert_int_equal(cmos(RTC_YEAR), 0x99);
    assert_int_equal(cmos(RTC_CENTURY), 0x20);
    // Junk: a month of 0x45 and a status C write are ignored.
    cmos_w(RTC_MONTH, 0x45);
    assert_int_equal(cmos(RTC_MONTH), 0x12);
    cmos_w(RTC_STATUS_C, 0xFF);
    assert_int_equal(cmos(RTC_STATUS_C), 0);
    // The NMI bit in the index is not part of the register number.
    uint32_t v = 0x80 | RTC_MDAY;
    bus_pio(&bus, 0x70, 1, true, &v);
    bus_pio(&bus, 0x71, 1, false, &v);
    assert_int_equal(v, 0x02);
}

static void test_memory_sizes(void **state)
{
    (void)state;
    assert_int_equal(cmos(0x15) | cmos(0x16) << 8, 640);
    assert_int_equal(cmos(0x17) | cmos(0x18) << 8, 0xFFFF);             // capped at 64 MiB
    assert_int_equal(cmos(0x34) | cmos(0x35) << 8, (512 - 16) * 16);    // 64 KiB units
    cmos_w(0x40, 0x5A);                                                 // CMOS RAM keeps bytes
    assert_int_equal(cmos(0x40), 0x5A);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bcd_24h, setup),
        cmocka_unit_test_setup(test_binary_and_12h, setup),
        cmocka_unit_test_setup(test_time_moves_with_virtual_clock, setup),
        cmocka_unit_test_setup(test_guest_sets_clock, setup),
        cmocka_unit_test_setup(test_memory_sizes, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
