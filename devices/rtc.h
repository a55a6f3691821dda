/*
 * rtc.h - the CMOS real-time clock at ports 0x70/0x71 (chapter 6, "What an
 * MP kernel expects of a PC").
 *
 * The MC146818's date and time, in BCD or binary and in 12- or 24-hour
 * form as the guest selects in status register B, plus the CMOS bytes a
 * BIOS leaves (memory sizes). Time is the host's wall clock when the VM was
 * made, moved on by the VMM's virtual clock, so that it runs at the guest's
 * pace on every engine. The guest may set the clock; it moves only its own.
 */
#ifndef DEVICES_RTC_H
#define DEVICES_RTC_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

#define RTC_INDEX_PORT 0x70
#define RTC_CMOS_SIZE  128

enum {  /* register numbers */
    RTC_SEC = 0x00, RTC_MIN = 0x02, RTC_HOUR = 0x04, RTC_WDAY = 0x06, RTC_MDAY = 0x07,
    RTC_MONTH = 0x08, RTC_YEAR = 0x09, RTC_STATUS_A = 0x0A, RTC_STATUS_B = 0x0B,
    RTC_STATUS_C = 0x0C, RTC_STATUS_D = 0x0D, RTC_CENTURY = 0x32,
};
enum {  /* status register B bits */
    RTC_B_SET = 0x80, RTC_B_BINARY = 0x04, RTC_B_24H = 0x02,
};
#define RTC_A_UIP 0x80                  /* an update is in progress: read again later */

struct rtc {
    uint8_t         index;
    uint8_t         cmos[RTC_CMOS_SIZE];    /* non-time registers and CMOS RAM */
    int64_t         epoch_at_zero;          /* Unix time at virtual time 0 */
    const uint64_t *now_ns;
};

/*
 * Set the clock to epoch (Unix seconds) at virtual time *now_ns, write the
 * BIOS's memory-size bytes for mem_bytes of RAM, and claim ports 0x70-0x71.
 * Returns 0 or -1.
 */
int rtc_init(struct rtc *rtc, struct bus *bus, const uint64_t *now_ns, int64_t epoch,
             uint64_t mem_bytes);

/* The guest's clock now, in Unix seconds. */
int64_t rtc_time(const struct rtc *rtc);

#endif
