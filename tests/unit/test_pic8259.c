/*
 * test_pic8259.c - unit tests for devices/pic8259.c (chapter 2, chapter 6):
 * the guest's view through ports 0x20/0x21, 0xA0/0xA1 and 0x4D0/0x4D1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pic8259.h"

static struct bus bus;
static struct pic pic;

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

/* The sequence Linux and xv6 use: master at vector 0x20, slave at 0x28, 8086 mode. */
static void program(uint8_t icw4)
{
    outb(0x20, 0x11);               /* ICW1: edge, cascade, ICW4 follows */
    outb(0x21, 0x20);               /* ICW2: vector base */
    outb(0x21, 0x04);               /* ICW3: slave on IR2 */
    outb(0x21, icw4);               /* ICW4 */
    outb(0xA0, 0x11);
    outb(0xA1, 0x28);
    outb(0xA1, 0x02);               /* ICW3: slave identity 2 */
    outb(0xA1, icw4);
}

static int setup(void **state)
{
    (void)state;
    bus_init(&bus);
    assert_int_equal(pic_init(&pic, &bus), 0);
    program(0x01);
    return 0;
}

static void pulse(int irq)
{
    pic_set_irq(&pic, irq, 1);
    pic_set_irq(&pic, irq, 0);
}

static uint8_t read_irr(uint16_t cmd) { outb(cmd, 0x0A); return inb(cmd); }
static uint8_t read_isr(uint16_t cmd) { outb(cmd, 0x0B); return inb(cmd); }

static void test_init_sequence_and_vector(void **state)
{
    (void)state;
    outb(0x21, 0xFF);               /* OCW1 after init is the mask */
    assert_int_equal(inb(0x21), 0xFF);
    program(0x01);                  /* ICW1 clears the mask again */
    assert_int_equal(inb(0x21), 0x00);
    assert_false(pic_has_interrupt(&pic));

    pulse(1);
    assert_true(pic_has_interrupt(&pic));
    assert_int_equal(pic_acknowledge(&pic), 0x21);
    assert_false(pic_has_interrupt(&pic));
    assert_int_equal(read_isr(0x20), 0x02);
    outb(0x20, 0x20);               /* non-specific EOI */
    assert_int_equal(read_isr(0x20), 0x00);
}

static void test_masking(void **state)
{
    (void)state;
    outb(0x21, 0x02);               /* mask IRQ 1 */
    pulse(1);
    assert_false(pic_has_interrupt(&pic));
    assert_int_equal(read_irr(0x20), 0x02);     /* requested, but masked */
    outb(0x21, 0x00);
    assert_true(pic_has_interrupt(&pic));
    assert_int_equal(pic_acknowledge(&pic), 0x21);
    assert_int_equal(read_irr(0x20), 0x00);     /* INTA consumed the edge request */
}

static void test_priorities_and_nesting(void **state)
{
    (void)state;
    pulse(3);
    pulse(1);
    assert_int_equal(pic_acknowledge(&pic), 0x21);  /* lower number, higher priority */
    assert_false(pic_has_interrupt(&pic));          /* 3 waits behind 1 in service */
    pulse(0);
    assert_true(pic_has_interrupt(&pic));           /* 0 outranks 1: it nests */
    assert_int_equal(pic_acknowledge(&pic), 0x20);
    assert_int_equal(read_isr(0x20), 0x03);
    outb(0x20, 0x20);                               /* EOI ends the best in service: 0 */
    assert_int_equal(read_isr(0x20), 0x02);
    assert_false(pic_has_interrupt(&pic));
    outb(0x20, 0x20);
    assert_true(pic_has_interrupt(&pic));
    assert_int_equal(pic_acknowledge(&pic), 0x23);
}

static void test_specific_eoi(void **state)
{
    (void)state;
    pulse(5);
    assert_int_equal(pic_acknowledge(&pic), 0x25);
    pulse(4);
    assert_int_equal(pic_acknowledge(&pic), 0x24);
    assert_int_equal(read_isr(0x20), 0x30);
    outb(0x20, 0x60 | 5);           /* specific EOI for 5, although 4 ranks higher */
    assert_int_equal(read_isr(0x20), 0x10);
}

static void test_cascade(void **state)
{
    (void)state;
    pulse(12);
    assert_true(pic_has_interrupt(&pic));
    assert_int_equal(read_irr(0xA0), 0x10);
    assert_int_equal(read_irr(0x20), 0x04);         /* the slave asks on master IR2 */
    assert_int_equal(pic_acknowledge(&pic), 0x2C);
    assert_int_equal(read_isr(0xA0), 0x10);
    assert_int_equal(read_isr(0x20), 0x04);

    pulse(3);                                       /* IR3 ranks below IR2 in service */
    assert_false(pic_has_interrupt(&pic));
    pulse(9);                                       /* slave IR1 beats IR4, but IR2 is busy */
    assert_false(pic_has_interrupt(&pic));
    outb(0xA0, 0x20);                               /* the handler EOIs the slave... */
    outb(0x20, 0x20);                               /* ...then the master */
    assert_true(pic_has_interrupt(&pic));
    assert_int_equal(pic_acknowledge(&pic), 0x29);  /* IR2 (slave 9) before IR3 */

    outb(0xA1, 0x02);                               /* slave masks work independently */
    assert_int_equal(inb(0xA1), 0x02);
}

static void test_spurious(void **state)
{
    (void)state;
    pulse(6);
    assert_true(pic_has_interrupt(&pic));
    outb(0x21, 0x40);               /* masked between INTR and INTA */
    assert_int_equal(pic_acknowledge(&pic), 0x27);
    assert_int_equal(read_isr(0x20), 0x00);         /* how a handler tells it is spurious */
    assert_int_equal(pic.stats.spurious, 1);

    outb(0x21, 0x00);
    pulse(10);                      /* now the slave: IR2 latched on the master... */
    outb(0xA1, 0x04);               /* ...and the request masked on the slave */
    assert_true(pic_has_interrupt(&pic));
    assert_int_equal(pic_acknowledge(&pic), 0x2F);  /* the slave's IRQ 15 vector */
    assert_int_equal(read_isr(0xA0), 0x00);
    assert_int_equal(read_isr(0x20), 0x04);         /* the master still needs its EOI */
    assert_int_equal(pic.stats.spurious, 2);
}

static void test_edge_and_level(void **state)
{
    (void)state;
    pic_set_irq(&pic, 1, 1);
    assert_int_equal(pic_acknowledge(&pic), 0x21);
    outb(0x20, 0x20);
    pic_set_irq(&pic, 1, 1);        /* still high, no new edge: no new request */
    assert_false(pic_has_interrupt(&pic));
    pic_set_irq(&pic, 1, 0);

    outb(0x4D0, 0xFF);
    assert_int_equal(inb(0x4D0), 0xF8);     /* IRQ 0-2 cannot be level-triggered */
    outb(0x4D0, 0x00);
    outb(0x4D1, 0x08);              /* IRQ 11 level-triggered, as for a PCI line */
    assert_int_equal(inb(0x4D1), 0x08);
    pic_set_irq(&pic, 11, 1);
    assert_int_equal(pic_acknowledge(&pic), 0x2B);
    outb(0xA0, 0x20);
    outb(0x20, 0x20);
    assert_true(pic_has_interrupt(&pic));   /* the line is still high: asks again */
    pic_set_irq(&pic, 11, 0);
    assert_int_equal(read_irr(0xA0), 0x00); /* the slave forgets the level request */
    /* The master's IR2 is edge-triggered and stays latched: INTA finds the slave empty. */
    assert_int_equal(pic_acknowledge(&pic), 0x2F);
    assert_int_equal(pic.stats.spurious, 1);

    pic_set_level_triggered(&pic, 11, false);
    assert_int_equal(inb(0x4D1), 0x00);
    pic_set_level_triggered(&pic, 10, true);
    assert_int_equal(inb(0x4D1), 0x04);
}

static void test_auto_eoi_and_poll(void **state)
{
    (void)state;
    program(0x03);                  /* ICW4: 8086 mode + automatic EOI */
    pulse(4);
    assert_int_equal(pic_acknowledge(&pic), 0x24);
    assert_int_equal(read_isr(0x20), 0x00);         /* nothing left in service */

    pulse(5);
    outb(0x20, 0x0C);               /* OCW3 poll */
    assert_int_equal(inb(0x20), 0x85);
    outb(0x20, 0x0C);
    assert_int_equal(inb(0x20), 0x00);              /* nothing pending */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_sequence_and_vector, setup),
        cmocka_unit_test_setup(test_masking, setup),
        cmocka_unit_test_setup(test_priorities_and_nesting, setup),
        cmocka_unit_test_setup(test_specific_eoi, setup),
        cmocka_unit_test_setup(test_cascade, setup),
        cmocka_unit_test_setup(test_spurious, setup),
        cmocka_unit_test_setup(test_edge_and_level, setup),
        cmocka_unit_test_setup(test_auto_eoi_and_poll, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
