/*
 * rtc.c - the CMOS clock: time registers computed from virtual time, the
 * encoding (BCD or binary, 12 or 24 hours) chosen by status register B
 * (chapter 6, "What an MP kernel expects of a PC").
 */
#define _GNU_SOURCE
#include "devices/rtc.h"

#include <string.h>
#include <time.h>

#include "devices/bus.h"

#define NS 1000000000ull
#define UIP_NS 244000ull                /* the update cycle's length before each second */

int64_t rtc_time(const struct rtc *rtc)
{
    return rtc->epoch_at_zero + (int64_t)(*rtc->now_ns / NS);
}

static bool binary(const struct rtc *rtc) { return rtc->cmos[RTC_STATUS_B] & RTC_B_BINARY; }

static uint8_t encode(const struct rtc *rtc, unsigned v)
{
    return binary(rtc) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned decode(const struct rtc *rtc, uint8_t v)
{
    return binary(rtc) ? v : (v >> 4) * 10u + (v & 0x0F);
}

/* The hour register: bit 7 is PM in 12-hour mode. */
static uint8_t encode_hour(const struct rtc *rtc, unsigned hour)
{
    if (rtc->cmos[RTC_STATUS_B] & RTC_B_24H)
        return encode(rtc, hour);
    unsigned h12 = hour % 12 ? hour % 12 : 12;
    return encode(rtc, h12) | (hour >= 12 ? 0x80 : 0);
}

static unsigned decode_hour(const struct rtc *rtc, uint8_t v)
{
    if (rtc->cmos[RTC_STATUS_B] & RTC_B_24H)
        return decode(rtc, v);
    unsigned h = decode(rtc, v & 0x7F) % 12;
    return (v & 0x80) ? h + 12 : h;
}

/* Read time register reg as the guest's encoding says; -1 if reg is no time register. */
static int time_register(const struct rtc *rtc, uint8_t reg)
{
    time_t t = (time_t)rtc_time(rtc);
    struct tm tm;
    gmtime_r(&t, &tm);
    switch (reg) {
    case RTC_SEC:     return encode(rtc, tm.tm_sec);
    case RTC_MIN:     return encode(rtc, tm.tm_min);
    case RTC_HOUR:    return encode_hour(rtc, tm.tm_hour);
    case RTC_WDAY:    return encode(rtc, tm.tm_wday + 1);       // Sunday is 1
    case RTC_MDAY:    return encode(rtc, tm.tm_mday);
    case RTC_MONTH:   return encode(rtc, tm.tm_mon + 1);
    case RTC_YEAR:    return encode(rtc, tm.tm_year % 100);
    case RTC_CENTURY: return encode(rtc, 19 + tm.tm_year / 100);
    }
    return -1;
}

/* The guest sets one field of the clock: move our offset so that it reads back. */
static void set_time_register(struct rtc *rtc, uint8_t reg, uint8_t v)
{
    time_t t = (time_t)rtc_time(rtc);
    struct tm tm;
    gmtime_r(&t, &tm);
    unsigned n = reg == RTC_HOUR ? decode_hour(rtc, v) : decode(rtc, v);
    switch (reg) {
    case RTC_SEC:     tm.tm_sec = n % 60; break;
    case RTC_MIN:     tm.tm_min = n % 60; break;
    case RTC_HOUR:    tm.tm_hour = n % 24; break;
    case RTC_WDAY:    return;                   // follows from the date
    case RTC_MDAY:    tm.tm_mday = n >= 1 && n <= 31 ? (int)n : tm.tm_mday; break;
    case RTC_MONTH:   tm.tm_mon = n >= 1 && n <= 12 ? (int)n - 1 : tm.tm_mon; break;
    case RTC_YEAR:    tm.tm_year = tm.tm_year / 100 * 100 + (int)(n % 100); break;
    case RTC_CENTURY: tm.tm_year = ((int)n - 19) * 100 + tm.tm_year % 100; break;
    }
    rtc->epoch_at_zero += (int64_t)timegm(&tm) - (int64_t)t;
}

static void rtc_io(void *opaque, uint32_t offset, unsigned size, bool is_write,
                   uint32_t *value)
{
    struct rtc *rtc = opaque;
    (void)size;
    if (offset == 0) {                  // bit 7 of the index gates NMI: nothing to gate
        if (is_write)
            rtc->index = (uint8_t)*value & 0x7F;
        else
            *value = 0xFF;              // the index port is write-only
        return;
    }
    uint8_t reg = rtc->index;
    if (!is_write) {
        int t = time_register(rtc, reg);
        if (t >= 0)
            *value = (uint8_t)t;
        else if (reg == RTC_STATUS_A)
            *value = rtc->cmos[reg] | (*rtc->now_ns % NS >= NS - UIP_NS ? RTC_A_UIP : 0);
        else if (reg == RTC_STATUS_C)
            *value = 0;                 // no interrupt flags: we raise none
        else
            *value = rtc->cmos[reg];
        return;
    }
    uint8_t v = (uint8_t)*value;
    if (time_register(rtc, reg) >= 0)
        set_time_register(rtc, reg, v);
    else if (reg == RTC_STATUS_A)
        rtc->cmos[reg] = v & 0x7F;      // UIP is read-only
    else if (reg != RTC_STATUS_C && reg != RTC_STATUS_D)
        rtc->cmos[reg] = v;
}

int rtc_init(struct rtc *rtc, struct bus *bus, const uint64_t *now_ns, int64_t epoch,
             uint64_t mem_bytes)
{
    memset(rtc, 0, sizeof(*rtc));
    rtc->now_ns = now_ns;
    rtc->epoch_at_zero = epoch - (int64_t)(*now_ns / NS);
    rtc->cmos[RTC_STATUS_A] = 0x26;     // 32.768 kHz base, 1024 Hz rate
    rtc->cmos[RTC_STATUS_B] = RTC_B_24H;    // BCD, 24 hours, as PC BIOSes leave it
    rtc->cmos[RTC_STATUS_D] = 0x80;     // the battery is fine
    // What a BIOS records: 640 KiB base memory, KiB above 1 MiB (to 64 MiB),
    // 64 KiB units above 16 MiB.
    uint64_t ext_kib = mem_bytes > (1u << 20) ? (mem_bytes - (1u << 20)) >> 10 : 0;
    uint64_t high = mem_bytes > (16u << 20) ? (mem_bytes - (16u << 20)) >> 16 : 0;
    if (ext_kib > 0xFFFF)
        ext_kib = 0xFFFF;
    if (high > 0xFFFF)
        high = 0xFFFF;
    rtc->cmos[0x15] = 640 & 0xFF;
    rtc->cmos[0x16] = 640 >> 8;
    rtc->cmos[0x17] = rtc->cmos[0x30] = (uint8_t)ext_kib;
    rtc->cmos[0x18] = rtc->cmos[0x31] = (uint8_t)(ext_kib >> 8);
    rtc->cmos[0x34] = (uint8_t)high;
    rtc->cmos[0x35] = (uint8_t)(high >> 8);
    return bus_register_pio(bus, RTC_INDEX_PORT, 2, rtc_io, rtc, "rtc");
}
