/*
 * test_crtc.c - unit tests for devices/crtc.c (chapter 6, "What an MP
 * kernel expects of a PC"): the cursor registers hold what the guest wrote.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/crtc.h"

static void test_cursor_registers(void **state)
{
    (void)state;
    struct bus bus;
    struct crtc crtc;
    bus_init(&bus);
    assert_int_equal(crtc_init(&crtc, &bus), 0);
    uint32_t v;
    // The cursor starts at 0 (a kernel computes pos = reg14 << 8 | reg15).
    v = 14; bus_pio(&bus, 0x3D4, 1, true, &v);
    bus_pio(&bus, 0x3D5, 1, false, &v);
    assert_int_equal(v, 0);
    v = 0x07; bus_pio(&bus, 0x3D5, 1, true, &v);
    v = 15; bus_pio(&bus, 0x3D4, 1, true, &v);
    v = 0xD0; bus_pio(&bus, 0x3D5, 1, true, &v);
    v = 14; bus_pio(&bus, 0x3D4, 1, true, &v);
    bus_pio(&bus, 0x3D5, 1, false, &v);
    assert_int_equal(v, 0x07);
    // Index and data in one 16-bit write.
    v = 0x120F; bus_pio(&bus, 0x3D4, 2, true, &v);
    v = 15; bus_pio(&bus, 0x3D4, 1, true, &v);
    bus_pio(&bus, 0x3D5, 1, false, &v);
    assert_int_equal(v, 0x12);
    // A register that does not exist: reads 0, writes vanish.
    v = 0x7F; bus_pio(&bus, 0x3D4, 1, true, &v);
    v = 0xAA; bus_pio(&bus, 0x3D5, 1, true, &v);
    bus_pio(&bus, 0x3D5, 1, false, &v);
    assert_int_equal(v, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_registers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
