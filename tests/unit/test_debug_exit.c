/*
 * test_debug_exit.c - unit tests for devices/debug-exit.c (chapter 2):
 * a write to port 0xF4 requests an exit with the value written.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/debug-exit.h"

static void test_write_requests_exit(void **state)
{
    (void)state;
    struct bus bus;
    struct debug_exit dx;
    uint32_t v;

    bus_init(&bus);
    assert_int_equal(debug_exit_init(&dx, &bus), 0);
    assert_false(dx.requested);

    assert_true(bus_pio(&bus, 0xF4, 4, false, &v));
    assert_int_equal(v, 0);                         /* reads give 0 and change nothing */
    assert_false(dx.requested);

    v = 3;
    assert_true(bus_pio(&bus, 0xF4, 1, true, &v));  /* outb(3, 0xF4) */
    assert_true(dx.requested);
    assert_int_equal(dx.code, 3);                   /* our VMM exits with 3, QEMU with 7 */

    v = 9;
    bus_pio(&bus, 0xF4, 4, true, &v);
    assert_int_equal(dx.code, 3);                   /* the first request wins */
}

static void test_wide_write_and_range(void **state)
{
    (void)state;
    struct bus bus;
    struct debug_exit dx;
    uint32_t v = 0x1234;

    bus_init(&bus);
    bus.quiet = true;
    assert_int_equal(debug_exit_init(&dx, &bus), 0);
    assert_true(bus_pio(&bus, 0xF4, 2, true, &v));  /* outw */
    assert_int_equal(dx.code, 0x1234);
    assert_true(bus_pio(&bus, 0xF7, 1, false, &v)); /* iosize=4: 0xF4-0xF7 */
    assert_false(bus_pio(&bus, 0xF8, 1, false, &v));
    assert_int_equal(debug_exit_init(&dx, &bus), -1);   /* ports already taken */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_requests_exit),
        cmocka_unit_test(test_wide_write_and_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
