/*
 * test_kbd8042.c - unit tests for devices/kbd8042.c (chapter 6, "What an MP
 * kernel expects of a PC"): no key is ever waiting, and the controller's and
 * keyboard's commands get their replies (with IRQ 1 when enabled).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/kbd8042.h"
#include "devices/pic8259.h"

static struct bus bus;
static struct pic pic;
static struct kbd8042 kbd;
static unsigned irq1_edges;

static void on_line(void *opaque, int irq, int level)
{
    (void)opaque;
    if (irq == 1 && level)
        irq1_edges++;
}

static void outb(uint16_t port, uint8_t v) { uint32_t x = v; assert_true(bus_pio(&bus, port, 1, true, &x)); }
static uint8_t inb(uint16_t port)         { uint32_t x; assert_true(bus_pio(&bus, port, 1, false, &x)); return (uint8_t)x; }

static int setup(void **state)
{
    (void)state;
    bus_init(&bus);
    assert_int_equal(pic_init(&pic, &bus), 0);
    pic_set_line_listener(&pic, on_line, NULL);
    irq1_edges = 0;
    assert_int_equal(kbd8042_init(&kbd, &bus, &pic), 0);
    return 0;
}

static void test_no_key(void **state)
{
    (void)state;
    // xv6's kbdgetc: no data in the buffer, so nothing to read.
    assert_false(inb(0x64) & KBD_STATUS_OBF);
    assert_false(inb(0x64) & KBD_STATUS_OBF);
    assert_int_equal(irq1_edges, 0);
}

static void test_controller_commands(void **state)
{
    (void)state;
    outb(0x64, 0xAA);                       // self test
    assert_true(inb(0x64) & KBD_STATUS_OBF);
    assert_int_equal(inb(0x60), 0x55);
    assert_false(inb(0x64) & KBD_STATUS_OBF);
    assert_int_equal(irq1_edges, 1);
    outb(0x64, 0x60);                       // write the command byte: IRQ 1 off
    outb(0x60, 0x44);
    outb(0x64, 0x20);
    assert_int_equal(inb(0x60), 0x44);
    assert_int_equal(irq1_edges, 1);        // no interrupt with bit 0 clear
    outb(0x64, 0xAB);                       // interface test
    assert_int_equal(inb(0x60), 0x00);
}

static void test_keyboard_commands(void **state)
{
    (void)state;
    outb(0x60, 0xED);                       // set LEDs: acknowledged
    assert_int_equal(inb(0x60), 0xFA);
    outb(0x60, 0xFF);                       // reset: self test passed
    assert_int_equal(inb(0x60), 0xAA);
    outb(0x64, 0x12);                       // junk command: ignored with a warning
    assert_false(inb(0x64) & KBD_STATUS_OBF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_no_key, setup),
        cmocka_unit_test_setup(test_controller_commands, setup),
        cmocka_unit_test_setup(test_keyboard_commands, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
