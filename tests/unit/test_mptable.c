/*
 * test_mptable.c - unit tests for devices/mptable.c (chapter 6, "APICs"):
 * the tables are found by the MP spec's search, their checksums hold, and
 * they describe one CPU, the ISA bus, one I/O APIC and the ISA wiring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/mptable.h"
#include "vmm/guest-mem.h"

static struct guest_mem mem;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(guest_mem_init(&mem, 2u << 20), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    guest_mem_destroy(&mem);
    return 0;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    while (len--)
        s += *p++;
    return s;
}

/* The MP spec's search of [base, base+len) for "_MP_" with a good checksum. */
static const uint8_t *search(uint32_t base, uint32_t len)
{
    for (uint32_t a = base; a + 16 <= base + len; a += 16) {
        const uint8_t *p = gpa_ptr(&mem, a, 16);
        if (memcmp(p, "_MP_", 4) == 0 && sum(p, 16) == 0)
            return p;
    }
    return NULL;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void test_found_where_a_bios_leaves_it(void **state)
{
    (void)state;
    int len = mptable_write(&mem, IOAPIC_ID, IOAPIC_BASE, LAPIC_BASE);
    assert_true(len > 44);
    const uint8_t *bda = gpa_ptr(&mem, 0x400, 0x100);
    uint32_t ebda = (uint32_t)le16(bda + 0x0E) << 4;
    assert_int_equal(ebda, 0x9FC00);
    assert_int_equal(le16(bda + 0x13), 639);
    // The kernel's order: EBDA, last KiB of base memory, BIOS ROM.
    const uint8_t *fp = search(ebda, 1024);
    if (!fp)
        fp = search(639 * 1024, 1024);
    if (!fp)
        fp = search(0xF0000, 0x10000);
    assert_non_null(fp);
    assert_int_equal(fp[8], 1);             // one paragraph
    assert_int_equal(fp[9], 4);             // spec 1.4
    assert_int_equal(fp[11], 0);            // a configuration table follows, no default config

    uint32_t cfg_addr = le32(fp + 4);
    const uint8_t *cfg = gpa_ptr(&mem, cfg_addr, 44);
    assert_memory_equal(cfg, "PCMP", 4);
    uint16_t cfg_len = le16(cfg + 4);
    assert_int_equal(cfg_len, len);
    cfg = gpa_ptr(&mem, cfg_addr, cfg_len);
    assert_int_equal(sum(cfg, cfg_len), 0);
    assert_int_equal(le32(cfg + 36), LAPIC_BASE);

    unsigned procs = 0, buses = 0, ioapics = 0, ioints = 0, lints = 0;
    int pin_of_irq[16];
    for (int i = 0; i < 16; i++)
        pin_of_irq[i] = -1;
    const uint8_t *e = cfg + 44;
    for (unsigned n = 0; n < le16(cfg + 34); n++) {
        switch (e[0]) {
        case 0:
            procs++;
            assert_int_equal(e[1], 0);      // APIC ID 0
            assert_int_equal(e[3] & 3, 3);  // enabled, bootstrap processor
            e += 20;
            continue;
        case 1:
            buses++;
            assert_memory_equal(e + 2, "ISA   ", 6);
            break;
        case 2:
            ioapics++;
            assert_int_equal(e[1], IOAPIC_ID);
            assert_int_equal(le32(e + 4), IOAPIC_BASE);
            break;
        case 3:
            ioints++;
            assert_int_equal(e[6], IOAPIC_ID);
            pin_of_irq[e[5] & 15] = e[7];
            break;
        case 4:
            lints++;
            break;
        default:
            fail_msg("unknown entry type %u", e[0]);
        }
        e += 8;
    }
    assert_ptr_equal(e, cfg + cfg_len);
    assert_int_equal(procs, 1);
    assert_int_equal(buses, 1);
    assert_int_equal(ioapics, 1);
    assert_int_equal(ioints, 15);
    assert_int_equal(lints, 2);
    assert_int_equal(pin_of_irq[0], 2);     // the timer
    assert_int_equal(pin_of_irq[1], 1);
    assert_int_equal(pin_of_irq[14], 14);
}

static void test_too_little_ram(void **state)
{
    (void)state;
    struct guest_mem small;
    assert_int_equal(guest_mem_init(&small, 512 * 1024), 0);
    assert_int_equal(mptable_write(&small, IOAPIC_ID, IOAPIC_BASE, LAPIC_BASE), -1);
    guest_mem_destroy(&small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_found_where_a_bios_leaves_it, setup, teardown),
        cmocka_unit_test(test_too_little_ram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
