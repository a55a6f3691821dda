/*
 * test_pci.c - unit tests for devices/pci.c (chapter 6): configuration
 * mechanism #1, the host bridge, absent devices, BAR sizing and moving,
 * Command decoding and the registers firmware would fill in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pci.h"

static struct bus bus;
static struct pci pci;
static struct pci_dev dev;
static unsigned calls;
static uint32_t last_offset;

static void out(uint16_t port, unsigned size, uint32_t val)
{
    bus_pio(&bus, port, size, true, &val);
}

static uint32_t in(uint16_t port, unsigned size)
{
    uint32_t v;
    bus_pio(&bus, port, size, false, &v);
    return v;
}

static uint32_t cfg_addr(unsigned busno, unsigned slot, unsigned fn, unsigned reg)
{
    return 0x80000000u | busno << 16 | slot << 11 | fn << 8 | (reg & 0xFC);
}

/* Read size bytes of configuration register reg of 00:slot.0, as a guest driver does. */
static uint32_t cfg_read(unsigned slot, unsigned reg, unsigned size)
{
    out(0xCF8, 4, cfg_addr(0, slot, 0, reg));
    return in(0xCFC + (reg & 3), size);
}

static void cfg_write(unsigned slot, unsigned reg, unsigned size, uint32_t val)
{
    out(0xCF8, 4, cfg_addr(0, slot, 0, reg));
    out(0xCFC + (reg & 3), size, val);
}

static void bar_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    (void)opaque, (void)size, (void)is_write;
    calls++;
    last_offset = offset;
    *value = 0xA5;
}

static int setup(void **state)
{
    (void)state;
    static const struct pci_id id = {
        .vendor = 0x1234, .device = 0x5678, .subsys_vendor = 0x1AF4, .subsys_id = 9,
        .class_code = 0x020000, .revision = 3,
    };
    calls = 0;
    bus_init(&bus);
    bus.quiet = true;
    assert_int_equal(pci_init(&pci, &bus), 0);
    pci_dev_init(&dev, "test-nic", &id);
    pci_dev_set_bar(&dev, 0, true, 0x40, 0xC000, bar_io, NULL);
    pci_dev_set_bar(&dev, 1, false, 0x1000, 0xFEBF0000, bar_io, NULL);
    pci_dev_set_irq(&dev, 11);
    assert_int_equal(pci_register(&pci, &dev, 3), 0);
    return 0;
}

static void test_host_bridge(void **state)
{
    (void)state;
    assert_int_equal(cfg_read(0, 0x00, 4), 0x12378086);
    assert_int_equal(cfg_read(0, 0x08, 4), 0x06000002);    /* class 06 00 00, revision 2 */
    assert_int_equal(cfg_read(0, 0x0E, 1), 0x00);          /* header type 0 */
    assert_int_equal(cfg_read(0, 0x02, 2), 0x1237);        /* word access at offset 2 */
    assert_int_equal(cfg_read(0, 0x01, 1), 0x80);          /* byte access at offset 1 */
    assert_int_equal(cfg_read(0, 0x10, 4), 0);             /* no BARs */
}

static void test_address_register(void **state)
{
    (void)state;
    out(0xCF8, 4, 0x80001234);
    assert_int_equal(in(0xCF8, 4), 0x80001234);
    out(0xCF8, 4, 0xFFFFFFFF);
    assert_int_equal(in(0xCF8, 4), 0x80FFFFFC);            /* reserved bits read 0 */
    out(0xCFB, 1, 0x01);                                   /* Linux's type-1 probe: no effect */
    assert_int_equal(in(0xCF8, 4), 0x80FFFFFC);
}

static void test_absent_devices(void **state)
{
    (void)state;
    assert_int_equal(cfg_read(5, 0x00, 4), 0xFFFFFFFF);    /* empty slot */
    assert_int_equal(cfg_read(5, 0x00, 2), 0xFFFF);
    out(0xCF8, 4, cfg_addr(0, 0, 1, 0));                   /* function 1 */
    assert_int_equal(in(0xCFC, 4), 0xFFFFFFFF);
    out(0xCF8, 4, cfg_addr(1, 0, 0, 0));                   /* bus 1 */
    assert_int_equal(in(0xCFC, 4), 0xFFFFFFFF);
    out(0xCF8, 4, cfg_addr(0, 0, 0, 0) & ~0x80000000u);    /* enable bit clear */
    assert_int_equal(in(0xCFC, 4), 0xFFFFFFFF);
    cfg_write(5, 0x04, 2, 0x0007);                         /* writes to nobody are dropped */
    assert_int_equal(cfg_read(5, 0x04, 4), 0xFFFFFFFF);
}

static void test_function_header(void **state)
{
    (void)state;
    assert_int_equal(cfg_read(3, 0x00, 4), 0x56781234);
    assert_int_equal(cfg_read(3, 0x08, 4), 0x02000003);
    assert_int_equal(cfg_read(3, 0x2C, 4), 0x00091AF4);    /* subsystem */
    assert_int_equal(cfg_read(3, 0x04, 2), 0x0003);        /* firmware enabled I/O and memory */
    assert_int_equal(cfg_read(3, 0x10, 4), 0xC001);        /* BAR0 in I/O space */
    assert_int_equal(cfg_read(3, 0x14, 4), 0xFEBF0000);    /* BAR1 in memory space */
    assert_int_equal(cfg_read(3, 0x18, 4), 0);             /* no BAR2 */
    assert_int_equal(cfg_read(3, 0x3C, 1), 11);            /* Interrupt Line */
    assert_int_equal(cfg_read(3, 0x3D, 1), 1);             /* Interrupt Pin: INTA# */

    cfg_write(3, 0x00, 4, 0);                              /* read-only registers stay */
    assert_int_equal(cfg_read(3, 0x00, 4), 0x56781234);
    cfg_write(3, 0x3C, 1, 10);                             /* Interrupt Line is writable */
    assert_int_equal(cfg_read(3, 0x3C, 1), 10);

    /* The BARs decode on the bus. */
    assert_int_equal(in(0xC008, 1), 0xA5);
    assert_int_equal(last_offset, 8);
    uint32_t v;
    assert_true(bus_mmio(&bus, 0xFEBF0010, 4, false, &v));
    assert_int_equal(last_offset, 0x10);
}

static void test_bar_sizing_and_moving(void **state)
{
    (void)state;
    cfg_write(3, 0x04, 2, 0);                              /* decoding off while sizing */
    assert_false(bus_pio(&bus, 0xC000, 1, false, &(uint32_t){ 0 }));
    cfg_write(3, 0x10, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_read(3, 0x10, 4), 0xFFFFFFC1);    /* 64 bytes of I/O */
    cfg_write(3, 0x14, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_read(3, 0x14, 4), 0xFFFFF000);    /* 4 KiB of memory */
    cfg_write(3, 0x18, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_read(3, 0x18, 4), 0);             /* unimplemented BAR */

    cfg_write(3, 0x10, 4, 0xD000);                         /* the guest moves BAR0 */
    cfg_write(3, 0x14, 4, 0xFEBF0000);
    cfg_write(3, 0x04, 2, 0x0001);                         /* I/O decoding back on */
    assert_int_equal(cfg_read(3, 0x10, 4), 0xD001);
    assert_false(bus_pio(&bus, 0xC000, 1, false, &(uint32_t){ 0 }));   /* old range gone */
    assert_int_equal(in(0xD010, 1), 0xA5);
    assert_int_equal(last_offset, 0x10);
    assert_false(bus_mmio(&bus, 0xFEBF0000, 4, false, &(uint32_t){ 0 }));  /* memory off */

    cfg_write(3, 0x11, 1, 0xE0);                           /* byte write to BAR0 bits 15-8 */
    assert_int_equal(cfg_read(3, 0x10, 4), 0xE001);
    assert_int_equal(in(0xE03F, 1), 0xA5);
    assert_int_equal(last_offset, 0x3F);
    assert_false(bus_pio(&bus, 0xD010, 1, false, &(uint32_t){ 0 }));
}

static void test_register_conflicts(void **state)
{
    (void)state;
    static const struct pci_id id = { .vendor = 0x1111, .device = 0x2222 };
    struct pci_dev other;

    pci_dev_init(&other, "other", &id);
    pci_dev_set_bar(&other, 0, true, 0x20, 0xC020, bar_io, NULL);   /* inside test-nic's BAR0 */
    assert_int_equal(pci_register(&pci, &other, 3), -1);           /* slot taken */
    assert_int_equal(pci_register(&pci, &other, 4), -1);           /* ports taken */
    assert_int_equal(cfg_read(4, 0x00, 4), 0xFFFFFFFF);            /* not plugged in */
    pci_dev_set_bar(&other, 0, true, 0x20, 0xC100, bar_io, NULL);
    assert_int_equal(pci_register(&pci, &other, 4), 0);
    assert_int_equal(cfg_read(4, 0x00, 4), 0x22221111);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_host_bridge, setup),
        cmocka_unit_test_setup(test_address_register, setup),
        cmocka_unit_test_setup(test_absent_devices, setup),
        cmocka_unit_test_setup(test_function_header, setup),
        cmocka_unit_test_setup(test_bar_sizing_and_moving, setup),
        cmocka_unit_test_setup(test_register_conflicts, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
