/*
 * test_ide.c - unit tests for devices/ide.c (chapter 6, "IDE: a disk the
 * slow way"): probing for drives, the command state machine of READ and
 * WRITE SECTORS and MULTIPLE, IDENTIFY, interrupts and nIEN, software
 * reset, and a guest that asks for sectors that are not there or for
 * commands that do not exist.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/bus.h"
#include "devices/ide.h"
#include "devices/pic8259.h"

#define SECTORS 300                     /* more than 256: a count of 0 fits */

static struct bus bus;
static struct pic pic;
static struct ide ide;
static int fd = -1;
static unsigned irq14_edges;            /* rising edges of IRQ 14 */
static int irq14_level;

static void on_line(void *opaque, int irq, int level)
{
    (void)opaque;
    if (irq != 14)
        return;
    if (level && !irq14_level)
        irq14_edges++;
    irq14_level = level;
}

static void outb(uint16_t port, uint8_t v) { uint32_t x = v; assert_true(bus_pio(&bus, port, 1, true, &x)); }
static uint8_t inb(uint16_t port)         { uint32_t x; assert_true(bus_pio(&bus, port, 1, false, &x)); return (uint8_t)x; }
static uint32_t inl(uint16_t port)        { uint32_t x; assert_true(bus_pio(&bus, port, 4, false, &x)); return x; }
static void outl(uint16_t port, uint32_t v) { assert_true(bus_pio(&bus, port, 4, true, &v)); }
static uint16_t inw(uint16_t port)        { uint32_t x; assert_true(bus_pio(&bus, port, 2, false, &x)); return (uint16_t)x; }

/* Sector s of the image holds bytes (s * 7 + i) & 0xFF. */
static uint8_t pattern(unsigned s, unsigned i) { return (uint8_t)(s * 7 + i); }

static int setup(void **state)
{
    (void)state;
    char path[] = "/tmp/test-ide.XXXXXX";
    fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    uint8_t buf[IDE_SECTOR];
    for (unsigned s = 0; s < SECTORS; s++) {
        for (unsigned i = 0; i < IDE_SECTOR; i++)
            buf[i] = pattern(s, i);
        assert_int_equal(pwrite(fd, buf, IDE_SECTOR, (off_t)s * IDE_SECTOR), IDE_SECTOR);
    }
    bus_init(&bus);
    bus.quiet = true;
    assert_int_equal(pic_init(&pic, &bus), 0);
    pic_set_line_listener(&pic, on_line, NULL);
    irq14_edges = 0;
    irq14_level = 0;
    assert_int_equal(ide_init(&ide, &bus, &pic), 0);
    assert_int_equal(ide_attach(&ide, 1, fd, false), 0);   // primary slave, as xv6 wants
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    close(fd);
    return 0;
}

/* Set up the task file for drive `slave`, LBA mode, and issue cmd. */
static void issue(bool slave, uint32_t lba, uint8_t count, uint8_t cmd)
{
    outb(0x3F6, 0);
    outb(0x1F2, count);
    outb(0x1F3, lba & 0xFF);
    outb(0x1F4, (lba >> 8) & 0xFF);
    outb(0x1F5, (lba >> 16) & 0xFF);
    outb(0x1F6, 0xE0 | (slave ? 0x10 : 0) | ((lba >> 24) & 0x0F));
    outb(0x1F7, cmd);
}

/* Read one sector through the data port with insl and check it is sector s. */
static void expect_sector(unsigned s)
{
    for (unsigned i = 0; i < IDE_SECTOR; i += 4) {
        uint32_t w = inl(0x1F0);
        for (unsigned b = 0; b < 4; b++)
            assert_int_equal((w >> (8 * b)) & 0xFF, pattern(s, i + b));
    }
}

static void test_probe(void **state)
{
    (void)state;
    outb(0x1F6, 0xE0 | 0x10);               // xv6's idecheck: select disk 1
    assert_int_not_equal(inb(0x1F7), 0);
    assert_int_equal(inb(0x1F7) & (IDE_STATUS_BSY | IDE_STATUS_DRDY), IDE_STATUS_DRDY);
    // The secondary channel has no drives: its bus floats.
    assert_int_equal(inb(0x177), 0xFF);
    assert_int_equal(inw(0x170), 0xFFFF);
    // A channel with a master only: the absent slave reads 0.
    struct ide other;
    struct bus b2;
    bus_init(&b2);
    assert_int_equal(ide_init(&other, &b2, &pic), 0);
    assert_int_equal(ide_attach(&other, 0, fd, true), 0);
    uint32_t v = 0xF0;
    bus_pio(&b2, 0x1F6, 1, true, &v);
    bus_pio(&b2, 0x1F7, 1, false, &v);
    assert_int_equal(v, 0);
    // Bad attachments.
    assert_int_equal(ide_attach(&ide, 1, fd, false), -1);  // taken
    assert_int_equal(ide_attach(&ide, 4, fd, false), -1);  // no such index
}

static void test_read_sectors(void **state)
{
    (void)state;
    issue(true, 5, 2, IDE_CMD_READ);
    assert_int_equal(irq14_edges, 1);       // the first sector is ready
    uint8_t st = inb(0x1F7);                // and reading status drops the line
    assert_int_equal(st & (IDE_STATUS_BSY | IDE_STATUS_DRQ | IDE_STATUS_ERR), IDE_STATUS_DRQ);
    assert_int_equal(irq14_level, 0);
    expect_sector(5);
    assert_int_equal(irq14_edges, 2);       // the second one
    assert_true(inb(0x1F7) & IDE_STATUS_DRQ);
    expect_sector(6);
    st = inb(0x1F7);
    assert_int_equal(st & (IDE_STATUS_DRQ | IDE_STATUS_ERR | IDE_STATUS_BSY), 0);
    assert_true(st & IDE_STATUS_DRDY);
    assert_int_equal(irq14_edges, 2);
    assert_int_equal(inb(0x1F3), 6);        // the task file shows the last sector
    assert_int_equal(ide.stats.sectors_read, 2);
    // 16-bit reads work the same.
    issue(true, 9, 1, IDE_CMD_READ);
    for (unsigned i = 0; i < IDE_SECTOR; i += 2) {
        uint16_t w = inw(0x1F0);
        assert_int_equal(w, pattern(9, i) | pattern(9, i + 1) << 8);
    }
    assert_false(inb(0x1F7) & IDE_STATUS_DRQ);
}

static void test_write_sectors(void **state)
{
    (void)state;
    issue(true, 20, 2, IDE_CMD_WRITE);
    assert_int_equal(irq14_edges, 0);       // no interrupt before the first block
    assert_true(inb(0x1F7) & IDE_STATUS_DRQ);
    for (unsigned i = 0; i < 2 * IDE_SECTOR; i += 4) {
        if (i == IDE_SECTOR) {              // the first sector is written: an interrupt
            assert_int_equal(irq14_edges, 1);
            assert_true(inb(0x1F7) & IDE_STATUS_DRQ);   // the driver acknowledges it
        }
        outl(0x1F0, 0xA5A5A500u + i);
    }
    assert_int_equal(irq14_edges, 2);       // one per sector written
    assert_false(inb(0x1F7) & (IDE_STATUS_DRQ | IDE_STATUS_ERR));
    uint32_t got[2 * IDE_SECTOR / 4];
    assert_int_equal(pread(fd, got, sizeof got, 20 * IDE_SECTOR), sizeof got);
    for (unsigned i = 0; i < 2 * IDE_SECTOR / 4; i++)
        assert_int_equal(got[i], 0xA5A5A500u + 4 * i);
    assert_int_equal(ide.stats.sectors_written, 2);
}

static void test_multiple(void **state)
{
    (void)state;
    issue(true, 0, 4, IDE_CMD_READ_MULTIPLE);      // before SET MULTIPLE: refused
    uint8_t st = inb(0x1F7);
    assert_true(st & IDE_STATUS_ERR);
    assert_int_equal(inb(0x1F1), IDE_ERROR_ABRT);
    issue(true, 0, 3, IDE_CMD_SET_MULTIPLE);       // not a power of two
    assert_true(inb(0x1F7) & IDE_STATUS_ERR);
    issue(true, 0, 4, IDE_CMD_SET_MULTIPLE);
    assert_false(inb(0x1F7) & IDE_STATUS_ERR);
    irq14_edges = 0;
    issue(true, 10, 8, IDE_CMD_READ_MULTIPLE);
    for (unsigned s = 10; s < 18; s++) {
        assert_true(inb(0x1F7) & IDE_STATUS_DRQ);
        expect_sector(s);
    }
    assert_int_equal(irq14_edges, 2);              // one per block of 4
    issue(true, 40, 6, IDE_CMD_WRITE_MULTIPLE);
    for (unsigned i = 0; i < 6 * IDE_SECTOR; i += 4) {
        if (i == 4 * IDE_SECTOR)
            (void)inb(0x1F7);               // acknowledge the first block's interrupt
        outl(0x1F0, i);
    }
    assert_int_equal(irq14_edges, 4);              // blocks of 4 and 2
    assert_int_equal(ide.stats.sectors_written, 6);
}

static void test_count_zero_means_256(void **state)
{
    (void)state;
    issue(true, 1, 0, IDE_CMD_READ);
    for (unsigned s = 1; s <= 256; s++)
        expect_sector(s);
    assert_false(inb(0x1F7) & (IDE_STATUS_DRQ | IDE_STATUS_ERR));
    assert_int_equal(ide.stats.sectors_read, 256);
}

static void test_identify(void **state)
{
    (void)state;
    issue(true, 0, 0, IDE_CMD_IDENTIFY);
    uint16_t w[256];
    for (unsigned i = 0; i < 256; i++)
        w[i] = inw(0x1F0);
    assert_int_equal(w[0], 0x0040);
    assert_true(w[49] & 0x0200);                   // LBA
    assert_int_equal(w[60] | (uint32_t)w[61] << 16, SECTORS);
    assert_int_equal(w[47] & 0xFF, IDE_MAX_MULTIPLE);
    assert_false(inb(0x1F7) & IDE_STATUS_DRQ);
}

/* A misbehaving guest: sectors past the end, unknown commands, reads with nothing to read. */
static void test_bad_requests(void **state)
{
    (void)state;
    issue(true, SECTORS, 1, IDE_CMD_READ);         // one past the end
    uint8_t st = inb(0x1F7);
    assert_true(st & IDE_STATUS_ERR);
    assert_false(st & IDE_STATUS_DRQ);
    assert_true(inb(0x1F1) & IDE_ERROR_IDNF);
    issue(true, 0x0FFFFFFF, 0, IDE_CMD_WRITE);     // the largest LBA28 and 256 sectors
    assert_true(inb(0x1F7) & IDE_STATUS_ERR);
    // A read that runs off the end: sectors before it arrive, then the error.
    issue(true, SECTORS - 1, 2, IDE_CMD_READ);
    expect_sector(SECTORS - 1);
    st = inb(0x1F7);
    assert_true(st & IDE_STATUS_ERR);
    assert_true(inb(0x1F1) & IDE_ERROR_IDNF);
    // A write that runs off the end is refused at the block that does.
    issue(true, SECTORS - 1, 2, IDE_CMD_WRITE);
    for (unsigned i = 0; i < IDE_SECTOR; i += 4)
        outl(0x1F0, 0);
    assert_true(inb(0x1F7) & IDE_STATUS_DRQ);
    for (unsigned i = 0; i < IDE_SECTOR; i += 4)
        outl(0x1F0, 0);
    assert_true(inb(0x1F7) & IDE_STATUS_ERR);
    issue(true, 0, 1, 0x42);                       // no such command
    assert_true(inb(0x1F7) & IDE_STATUS_ERR);
    assert_int_equal(inb(0x1F1), IDE_ERROR_ABRT);
    // CHS sector 0 does not exist.
    outb(0x1F2, 1); outb(0x1F3, 0); outb(0x1F4, 0); outb(0x1F5, 0);
    outb(0x1F6, 0xB0);
    outb(0x1F7, IDE_CMD_READ);
    assert_true(inb(0x1F7) & IDE_STATUS_ERR);
    // Data port with no transfer: reads 0, writes vanish.
    assert_int_equal(inl(0x1F0), 0);
    outl(0x1F0, 0xDEADBEEF);
    // Commands to the absent master are not answered.
    unsigned cmds = (unsigned)ide.stats.commands;
    issue(false, 0, 1, IDE_CMD_READ);
    assert_int_equal(ide.stats.commands, cmds);
    assert_true(ide.stats.errors >= 6);
}

static void test_read_only(void **state)
{
    (void)state;
    struct ide ro;
    struct bus b2;
    bus_init(&b2);
    assert_int_equal(ide_init(&ro, &b2, &pic), 0);
    assert_int_equal(ide_attach(&ro, 0, fd, true), 0);
    uint32_t v;
    v = 1;    bus_pio(&b2, 0x1F2, 1, true, &v);
    v = 0xE0; bus_pio(&b2, 0x1F6, 1, true, &v);
    v = IDE_CMD_WRITE; bus_pio(&b2, 0x1F7, 1, true, &v);
    bus_pio(&b2, 0x1F7, 1, false, &v);
    assert_true(v & IDE_STATUS_ERR);
    assert_false(v & IDE_STATUS_DRQ);
}

static void test_nien_and_reset(void **state)
{
    (void)state;
    outb(0x1F6, 0xF0);
    outb(0x3F6, 0x02);                             // nIEN: no interrupts
    outb(0x1F2, 1); outb(0x1F3, 0); outb(0x1F4, 0); outb(0x1F5, 0);
    outb(0x1F7, IDE_CMD_READ);
    assert_int_equal(irq14_edges, 0);
    assert_true(inb(0x3F6) & IDE_STATUS_DRQ);      // alternate status
    outb(0x3F6, 0x04);                             // SRST pulse
    outb(0x3F6, 0x00);
    assert_false(inb(0x3F6) & IDE_STATUS_DRQ);
    assert_int_equal(inb(0x1F2), 1);               // the ATA signature
    assert_int_equal(inb(0x1F3), 1);
    assert_int_equal(inb(0x1F4), 0);
    assert_int_equal(inb(0x1F5), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_sectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_sectors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiple, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_zero_means_256, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nien_and_reset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
