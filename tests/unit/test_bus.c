/*
 * test_bus.c - unit tests for devices/bus.c (chapter 2, chapter 6):
 * dispatch with offsets, size masking, unassigned ports, overlap refusal,
 * unregistering and the statistics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/bus.h"

/* A test device: remembers the last access and answers reads with 0x12345678 + offset. */
struct probe {
    uint32_t offset, value;
    unsigned size, calls;
    bool is_write;
};

static void probe_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct probe *p = opaque;
    p->calls++;
    p->offset = offset;
    p->size = size;
    p->is_write = is_write;
    if (is_write)
        p->value = *value;
    else
        *value = 0x12345678 + offset;
}

static void test_dispatch_with_offset_and_mask(void **state)
{
    (void)state;
    struct bus bus;
    struct probe p = { 0 };
    uint32_t v;

    bus_init(&bus);
    assert_int_equal(bus_register_pio(&bus, 0x3F8, 8, probe_io, &p, "probe"), 0);

    v = 0xAABBCCDD;
    assert_true(bus_pio(&bus, 0x3FA, 1, true, &v));
    assert_int_equal(p.offset, 2);
    assert_int_equal(p.size, 1);
    assert_true(p.is_write);
    assert_int_equal(p.value, 0xDD);        /* writes arrive masked to the access size */

    assert_true(bus_pio(&bus, 0x3FF, 2, false, &v));
    assert_int_equal(p.offset, 7);
    assert_int_equal(v, (0x12345678 + 7) & 0xFFFF);   /* reads are masked too */

    assert_true(bus_pio(&bus, 0x3F8, 4, false, &v));
    assert_int_equal(v, 0x12345678);
    assert_int_equal(p.calls, 3);
    assert_int_equal(bus.stats.pio_writes, 1);
    assert_int_equal(bus.stats.pio_reads, 2);
}

/* A region answers from its first port to its last, not one past either end. */
static void test_region_edges(void **state)
{
    (void)state;
    struct bus bus;
    struct probe p = { 0 };
    uint32_t v;

    bus_init(&bus);
    bus.quiet = true;
    assert_int_equal(bus_register_pio(&bus, 0x40, 4, probe_io, &p, "pit"), 0);
    assert_true(bus_pio(&bus, 0x40, 1, false, &v));
    assert_int_equal(p.offset, 0);
    assert_true(bus_pio(&bus, 0x43, 1, false, &v));
    assert_int_equal(p.offset, 3);
    assert_int_equal(p.calls, 2);
    assert_false(bus_pio(&bus, 0x44, 1, false, &v));    /* one past the end */
    assert_false(bus_pio(&bus, 0x3F, 1, true, &v));     /* one before the start */
    assert_int_equal(p.calls, 2);
    assert_int_equal(bus.stats.unassigned, 2);
}

static void test_unassigned_port(void **state)
{
    (void)state;
    struct bus bus;
    uint32_t v;

    bus_init(&bus);
    bus.quiet = true;
    assert_false(bus_pio(&bus, 0x80, 1, false, &v));
    assert_int_equal(v, 0xFF);
    assert_false(bus_pio(&bus, 0x80, 2, false, &v));
    assert_int_equal(v, 0xFFFF);
    assert_false(bus_pio(&bus, 0x80, 4, false, &v));
    assert_int_equal(v, 0xFFFFFFFF);
    v = 0x55;
    assert_false(bus_pio(&bus, 0x80, 1, true, &v));     /* dropped */
    assert_int_equal(bus.stats.unassigned, 4);
    assert_int_equal(bus.nreported, 0);                 /* quiet: nothing recorded */
}

/* Run fn(bus) with stderr going to buf (at most len-1 bytes kept). */
static void capture_stderr(void (*fn)(struct bus *), struct bus *bus, char *buf, size_t len)
{
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    fflush(stderr);
    int saved = dup(2);
    dup2(fileno(tmp), 2);
    fn(bus);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, len - 1, tmp);
    buf[n] = 0;
    fclose(tmp);
}

static void poke_0x80_and_0x81(struct bus *bus)
{
    uint32_t v = 0;
    bus_pio(bus, 0x80, 1, true, &v);
    bus_pio(bus, 0x80, 1, false, &v);
    bus_pio(bus, 0x80, 1, true, &v);
    bus_pio(bus, 0x81, 1, true, &v);
}

static void scan_ports(struct bus *bus)
{
    uint32_t v;
    for (uint32_t port = 0x100; port < 0x200; port++)
        bus_pio(bus, port, 1, false, &v);
}

static void test_unassigned_reported_once(void **state)
{
    (void)state;
    struct bus bus;
    char out[4096];

    bus_init(&bus);
    capture_stderr(poke_0x80_and_0x81, &bus, out, sizeof(out));
    assert_string_equal(out, "vmm: guest accessed unassigned port 0x0080\n"
                             "vmm: guest accessed unassigned port 0x0081\n");
    assert_int_equal(bus.nreported, 2);
    assert_int_equal(bus.stats.unassigned, 4);

    /* The set is bounded: a guest scanning all ports does not grow it forever. */
    capture_stderr(scan_ports, &bus, out, sizeof(out));
    assert_int_equal(bus.nreported, BUS_MAX_REPORTED);
    assert_non_null(strstr(out, "further unassigned accesses are not reported"));
    assert_non_null(strstr(out, "port 0x0100\n"));
    assert_null(strstr(out, "port 0x01ff"));          /* past the limit: counted, not printed */
    assert_int_equal(bus.stats.unassigned, 4 + 0x100);
}

static void test_overlap_and_range_refused(void **state)
{
    (void)state;
    struct bus bus;
    struct probe p = { 0 };

    bus_init(&bus);
    assert_int_equal(bus_register_pio(&bus, 0x40, 4, probe_io, &p, "a"), 0);
    assert_int_equal(bus_register_pio(&bus, 0x43, 1, probe_io, &p, "inside"), -1);
    assert_int_equal(bus_register_pio(&bus, 0x3C, 5, probe_io, &p, "tail"), -1);
    assert_int_equal(bus_register_pio(&bus, 0x00, 0x100, probe_io, &p, "around"), -1);
    assert_int_equal(bus_register_pio(&bus, 0x44, 1, probe_io, &p, "adjacent"), 0);
    assert_int_equal(bus_register_pio(&bus, 0x3C, 4, probe_io, &p, "adjacent"), 0);
    assert_int_equal(bus_register_pio(&bus, 0x50, 0, probe_io, &p, "empty"), -1);
    assert_int_equal(bus_register_pio(&bus, 0xFFFF, 2, probe_io, &p, "past 64K"), -1);
    assert_int_equal(bus_register_pio(&bus, 0xFFFF, 1, probe_io, &p, "last port"), 0);
    /* base + len wraps around 32 bits: must be refused, not wrap to a small range */
    assert_int_equal(bus_register_mmio(&bus, 0xFFFFF000, 0x2000, probe_io, &p, "wrap"), -1);
    assert_int_equal(bus_register_mmio(&bus, 0xFFFFF000, 0x1000, probe_io, &p, "top"), 0);
    assert_int_equal(bus.pio.count, 4);
    assert_int_equal(bus.mmio.count, 1);
}

static void test_unregister_and_mmio(void **state)
{
    (void)state;
    struct bus bus;
    struct probe a = { 0 }, b = { 0 };
    uint32_t v;

    bus_init(&bus);
    bus.quiet = true;
    assert_int_equal(bus_register_pio(&bus, 0xC000, 0x40, probe_io, &a, "bar"), 0);
    assert_int_equal(bus_register_mmio(&bus, 0xFEBF0000, 0x1000, probe_io, &b, "mmio"), 0);
    assert_true(bus_pio(&bus, 0xC010, 2, false, &v));
    assert_int_equal(a.calls, 1);

    /* Port I/O and MMIO are separate spaces: port 0xC000 is not address 0xC000. */
    assert_false(bus_mmio(&bus, 0xC000, 4, false, &v));
    assert_int_equal(v, 0xFFFFFFFF);
    assert_true(bus_mmio(&bus, 0xFEBF0FFC, 4, false, &v));
    assert_int_equal(b.offset, 0xFFC);
    assert_int_equal(bus.stats.mmio_reads, 2);

    assert_int_equal(bus_unregister_pio(&bus, 0xC000), 0);
    assert_int_equal(bus_unregister_pio(&bus, 0xC000), -1);
    assert_false(bus_pio(&bus, 0xC010, 2, false, &v));
    assert_int_equal(a.calls, 1);
    /* The range is free again: the BAR can move back. */
    assert_int_equal(bus_register_pio(&bus, 0xC000, 0x40, probe_io, &a, "bar"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch_with_offset_and_mask),
        cmocka_unit_test(test_region_edges),
        cmocka_unit_test(test_unassigned_port),
        cmocka_unit_test(test_unassigned_reported_once),
        cmocka_unit_test(test_overlap_and_range_refused),
        cmocka_unit_test(test_unregister_and_mmio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
