/*
 * test_virtio_blk.c - unit tests for devices/virtio-blk.c (chapter 6).
 *
 * The test plays the guest driver: it builds a real legacy vring in guest
 * RAM, talks to the device through PCI configuration space and BAR0 ports,
 * and checks what comes back in the status bytes, the used ring, the ISR
 * and the interrupt line, and what lands in the disk image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/bus.h"
#include "devices/pci.h"
#include "devices/pic8259.h"
#include "devices/virtio-blk.h"
#include "vmm/guest-mem.h"

enum {
    IO = 0xC000, IRQ = 11, SLOT = 3,
    RAM = 4 << 20, SECTORS = 64,
    RING = 0x10000, DESC = RING, AVAIL = RING + 2048, USED = RING + 4096,
    HDR = 0x20000, DATA = 0x30000, STATUS = 0x40000,
};

static struct bus bus;
static struct pic pic;
static struct pci pci;
static struct vblk blk;
static struct guest_mem mem;
static int disk_fd = -1;
static uint16_t avail_idx, used_seen;
static bool read_only;                  /* setup_read_only: the disk of --disk FILE,readonly */

/*
 * fdatasync, seen from the test: this definition takes the place of the C
 * library's for the whole program (the device's object file included), so
 * the test counts the calls and their fd, then makes the real system call.
 * A FLUSH that answers OK without reaching the disk fails test_flush_syncs.
 */
static unsigned syncs;
static int synced_fd = -1;
static bool sync_fails;                 /* make the next fdatasync fail with EIO */

int fdatasync(int fd)
{
    syncs++;
    synced_fd = fd;
    if (sync_fails) {
        sync_fails = false;
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fdatasync, fd);
}

static void out(uint16_t port, unsigned size, uint32_t val)
{
    assert_true(bus_pio(&bus, port, size, true, &val));
}

static uint32_t in(uint16_t port, unsigned size)
{
    uint32_t v;
    assert_true(bus_pio(&bus, port, size, false, &v));
    return v;
}

static uint8_t pattern(uint64_t sector, unsigned i)
{
    return (uint8_t)(sector * 7 + i);
}

/* ---- a tiny guest driver ------------------------------------------------ */

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    struct { uint64_t addr; uint32_t len; uint16_t flags, next; } d = { addr, len, flags, next };
    assert_int_equal(gpa_write(&mem, DESC + 16 * i, &d, 16), 0);
}

static void put_header(uint64_t gpa, uint32_t type, uint64_t sector)
{
    struct { uint32_t type, ioprio; uint64_t sector; } h = { type, 0, sector };
    assert_int_equal(gpa_write(&mem, gpa, &h, 16), 0);
}

/* Offer chain head to the device; notify unless batching. */
static void make_available(uint16_t head, bool notify)
{
    gpa_write(&mem, AVAIL + 4 + 2 * (avail_idx % VBLK_QUEUE_SIZE), &head, 2);
    avail_idx++;
    gpa_write(&mem, AVAIL + 2, &avail_idx, 2);
    if (notify)
        out(IO + VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
}

static uint16_t used_idx(void)
{
    uint16_t idx;
    gpa_read(&mem, USED + 2, &idx, 2);
    return idx;
}

/* The next used ring entry: assert there is one and return its id and len. */
static void next_used(uint32_t *id, uint32_t *len)
{
    uint32_t elem[2];
    assert_true(used_idx() != used_seen);
    gpa_read(&mem, USED + 4 + 8 * (used_seen % VBLK_QUEUE_SIZE), elem, 8);
    used_seen++;
    *id = elem[0];
    *len = elem[1];
}

static uint8_t status_byte(unsigned n)
{
    uint8_t s;
    gpa_read(&mem, STATUS + n, &s, 1);
    return s;
}

/* Header + data buffers + status as chain 0..n+1; returns the used length. */
static uint32_t request(uint32_t type, uint64_t sector, const uint32_t *lens, unsigned ndata,
                        bool device_writes)
{
    uint32_t id, len;
    uint64_t addr = DATA;

    put_header(HDR, type, sector);
    put_desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    for (unsigned i = 0; i < ndata; i++) {
        put_desc(1 + i, addr, lens[i],
                 VRING_DESC_F_NEXT | (device_writes ? VRING_DESC_F_WRITE : 0), 2 + i);
        addr += lens[i];
    }
    put_desc(1 + ndata, STATUS, 1, VRING_DESC_F_WRITE, 0);
    gpa_write(&mem, STATUS, &(uint8_t){ 0xEE }, 1);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(id, 0);
    return len;
}

/* Legacy initialisation as Linux's virtio_pci_legacy does it. */
static void driver_init(void)
{
    out(IO + VIRTIO_PCI_STATUS, 1, 0);
    out(IO + VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
    out(IO + VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    out(IO + VIRTIO_PCI_GUEST_FEATURES, 4, in(IO + VIRTIO_PCI_HOST_FEATURES, 4));
    out(IO + VIRTIO_PCI_QUEUE_SEL, 2, 0);
    assert_int_equal(in(IO + VIRTIO_PCI_QUEUE_NUM, 2), VBLK_QUEUE_SIZE);
    uint8_t zero[8192] = { 0 };
    gpa_write(&mem, RING, zero, sizeof(zero));
    out(IO + VIRTIO_PCI_QUEUE_PFN, 4, RING >> 12);
    out(IO + VIRTIO_PCI_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                                   VIRTIO_STATUS_DRIVER_OK);
    avail_idx = used_seen = 0;
}

static int setup(void **state)
{
    (void)state;
    char path[] = "/tmp/test_virtio_blk.XXXXXX";
    uint8_t sector[512];

    assert_int_equal(guest_mem_init(&mem, RAM), 0);
    disk_fd = mkstemp(path);
    assert_true(disk_fd >= 0);
    unlink(path);
    for (unsigned s = 0; s < SECTORS; s++) {
        for (unsigned i = 0; i < 512; i++)
            sector[i] = pattern(s, i);
        assert_int_equal(pwrite(disk_fd, sector, 512, s * 512), 512);
    }

    bus_init(&bus);
    assert_int_equal(pic_init(&pic, &bus), 0);
    out(0x20, 1, 0x11); out(0x21, 1, 0x20); out(0x21, 1, 0x04); out(0x21, 1, 0x01);
    out(0xA0, 1, 0x11); out(0xA1, 1, 0x28); out(0xA1, 1, 0x02); out(0xA1, 1, 0x01);
    pic_set_level_triggered(&pic, IRQ, true);       /* as firmware does for PCI lines */
    assert_int_equal(pci_init(&pci, &bus), 0);
    struct vblk_config cfg = {
        .fd = disk_fd, .pci_slot = SLOT, .io_base = IO, .irq = IRQ, .serial = "test-disk-0",
        .read_only = read_only,
    };
    assert_int_equal(vblk_init(&blk, &pci, &pic, &mem, &cfg), 0);
    driver_init();
    return 0;
}

static int setup_read_only(void **state)
{
    read_only = true;
    return setup(state);
}

static int teardown(void **state)
{
    (void)state;
    read_only = false;
    close(disk_fd);
    guest_mem_destroy(&mem);
    return 0;
}

/* Is the device's interrupt (vector 0x2B) pending? Checks ISR and acknowledges it. */
static bool interrupted(uint8_t isr_bits)
{
    if (!pic_has_interrupt(&pic))
        return false;
    assert_int_equal(pic_acknowledge(&pic), 0x28 + (IRQ - 8));
    assert_int_equal(in(IO + VIRTIO_PCI_ISR, 1), isr_bits);   /* read clears, line drops */
    assert_int_equal(in(IO + VIRTIO_PCI_ISR, 1), 0);
    out(0xA0, 1, 0x20);
    out(0x20, 1, 0x20);
    assert_false(pic_has_interrupt(&pic));
    return true;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_pci_identity_and_config(void **state)
{
    (void)state;
    out(0xCF8, 4, 0x80000000u | SLOT << 11);
    assert_int_equal(in(0xCFC, 4), 0x10011AF4);
    out(0xCF8, 4, 0x80000000u | SLOT << 11 | 0x08);
    assert_int_equal(in(0xCFC, 4), 0x01000000);             /* mass storage, revision 0 */
    out(0xCF8, 4, 0x80000000u | SLOT << 11 | 0x2C);
    assert_int_equal(in(0xCFC, 4), 0x00021AF4);             /* subsystem: virtio block */
    out(0xCF8, 4, 0x80000000u | SLOT << 11 | 0x10);
    assert_int_equal(in(0xCFC, 4), IO | 1);
    out(0xCF8, 4, 0x80000000u | SLOT << 11 | 0x3C);
    assert_int_equal(in(0xCFC, 2), 0x0100 | IRQ);           /* pin INTA#, line 11 */

    assert_int_equal(in(IO + VIRTIO_PCI_CONFIG, 4), SECTORS);       /* capacity low */
    assert_int_equal(in(IO + VIRTIO_PCI_CONFIG + 4, 4), 0);         /* capacity high */
    assert_int_equal(in(IO + VIRTIO_PCI_CONFIG + 0x14, 4), 512);    /* blk_size */
    assert_true(in(IO + VIRTIO_PCI_HOST_FEATURES, 4) & 1u << VIRTIO_BLK_F_FLUSH);
    assert_int_equal(in(IO + VIRTIO_PCI_QUEUE_PFN, 4), RING >> 12);
    out(IO + VIRTIO_PCI_QUEUE_SEL, 2, 1);                           /* there is no queue 1 */
    assert_int_equal(in(IO + VIRTIO_PCI_QUEUE_NUM, 2), 0);
    assert_int_equal(in(IO + VIRTIO_PCI_STATUS, 1), 0x07);
}

static void test_read(void **state)
{
    (void)state;
    uint32_t lens[2] = { 512, 512 };
    uint8_t buf[1024];

    assert_int_equal(request(VIRTIO_BLK_T_IN, 2, lens, 2, true), 1024 + 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
    gpa_read(&mem, DATA, buf, sizeof(buf));
    for (unsigned i = 0; i < 1024; i++)
        assert_int_equal(buf[i], pattern(2 + i / 512, i % 512));
    assert_true(interrupted(1));
    assert_int_equal(blk.stats.reads, 1);
    assert_int_equal(blk.stats.bytes_read, 1024);
}

static void test_write_then_read_back(void **state)
{
    (void)state;
    uint32_t len = 512;
    uint8_t buf[512], disk[512];

    memset(buf, 0xAB, sizeof(buf));
    gpa_write(&mem, DATA, buf, sizeof(buf));
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 5, &len, 1, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
    assert_int_equal(pread(disk_fd, disk, 512, 5 * 512), 512);
    assert_memory_equal(disk, buf, 512);
    assert_int_equal(pread(disk_fd, disk, 1, 6 * 512), 1);
    assert_int_equal(disk[0], pattern(6, 0));               /* the neighbour is untouched */
    assert_int_equal(blk.stats.bytes_written, 512);
    assert_true(interrupted(1));

    /* The last sector, exactly. */
    assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS - 1, &len, 1, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
}

/* A read-only disk says so (VIRTIO_BLK_F_RO), reads as usual, refuses writes. */
static void test_read_only(void **state)
{
    (void)state;
    uint32_t len = 512;
    uint8_t buf[512], disk[512];

    assert_true(in(IO + VIRTIO_PCI_HOST_FEATURES, 4) & (1u << VIRTIO_BLK_F_RO));
    assert_int_equal(request(VIRTIO_BLK_T_IN, 5, &len, 1, true), 513);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
    memset(buf, 0xAB, sizeof(buf));
    gpa_write(&mem, DATA, buf, sizeof(buf));
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 5, &len, 1, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(pread(disk_fd, disk, 1, 5 * 512), 1);
    assert_int_equal(disk[0], pattern(5, 0));               /* unchanged */
}

static void test_flush_and_get_id(void **state)
{
    (void)state;
    uint32_t len = VBLK_ID_BYTES;
    char id[VBLK_ID_BYTES];

    assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
    assert_int_equal(blk.stats.flushes, 1);

    memset(id, 'X', sizeof(id));
    gpa_write(&mem, DATA, id, sizeof(id));
    assert_int_equal(request(VIRTIO_BLK_T_GET_ID, 0, &len, 1, true), VBLK_ID_BYTES + 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
    gpa_read(&mem, DATA, id, sizeof(id));
    assert_memory_equal(id, "test-disk-0\0\0\0\0\0\0\0\0\0", VBLK_ID_BYTES);

    assert_int_equal(request(2 /* SCSI command */, 0, NULL, 0, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_UNSUPP);
    assert_int_equal(blk.stats.unsupported, 1);
}

/* FLUSH reaches the disk: one fdatasync of the image per FLUSH, none for
   reads and writes, and a failed sync is reported to the guest as IOERR. */
static void test_flush_syncs(void **state)
{
    (void)state;
    uint32_t len = 512;

    syncs = 0;
    gpa_write(&mem, DATA, (uint8_t[512]){ 0x5A }, 512);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, 3, &len, 1, false), 1);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 3, &len, 1, true), 513);
    assert_int_equal(syncs, 0);                 /* the guest asks for durability */

    assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
    assert_int_equal(syncs, 1);
    assert_int_equal(synced_fd, disk_fd);

    sync_fails = true;                          /* the host disk failed */
    assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(syncs, 2);
    assert_int_equal(blk.stats.flushes, 2);
    assert_int_equal(blk.stats.errors, 1);
}

/*
 * Several laps of the ring, one request per notify, alternating reads of
 * one to three sectors, writes and flushes from varying heads: every used
 * element must land in slot used_idx % queue size with its own head and
 * length. The driver poisons the slot it expects before each request, so
 * an element written anywhere else is seen.
 */
static void test_ring_laps(void **state)
{
    (void)state;
    const unsigned total = 3 * VBLK_QUEUE_SIZE + 17;
    uint32_t lens[3] = { 512, 512, 512 };

    for (unsigned i = 0; i < total; i++) {
        uint16_t head = (uint16_t)(i * 5 % (VBLK_QUEUE_SIZE - 4));
        unsigned kind = i % 3, nsect = 1 + i / 3 % 3;
        uint32_t type = kind == 0 ? VIRTIO_BLK_T_IN : kind == 1 ? VIRTIO_BLK_T_OUT
                                                                : VIRTIO_BLK_T_FLUSH;
        unsigned ndata = kind == 2 ? 0 : nsect;
        uint32_t want = kind == 0 ? 512 * nsect + 1 : 1, id, len;
        uint64_t addr = DATA;

        put_header(HDR, type, i % (SECTORS - 3));
        put_desc(head, HDR, 16, VRING_DESC_F_NEXT, head + 1);
        for (unsigned d = 0; d < ndata; d++) {
            put_desc(head + 1 + d, addr, lens[d],
                     VRING_DESC_F_NEXT | (kind == 0 ? VRING_DESC_F_WRITE : 0), head + 2 + d);
            addr += lens[d];
        }
        put_desc(head + 1 + ndata, STATUS, 1, VRING_DESC_F_WRITE, 0);
        gpa_write(&mem, STATUS, &(uint8_t){ 0xEE }, 1);
        uint32_t poison[2] = { 0xDEADBEEF, 0xDEADBEEF };
        gpa_write(&mem, USED + 4 + 8 * (used_seen % VBLK_QUEUE_SIZE), poison, 8);

        make_available(head, true);
        assert_int_equal(used_idx(), (uint16_t)(used_seen + 1));
        next_used(&id, &len);
        assert_int_equal(id, head);
        assert_int_equal(len, want);
        assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
        assert_true(interrupted(1));
    }
    assert_int_equal(blk.stats.reads + blk.stats.writes + blk.stats.flushes, total);
    assert_int_equal(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

static void test_bad_requests_get_ioerr(void **state)
{
    (void)state;
    uint32_t two[2] = { 512, 512 }, one = 512, odd = 100;

    /* Past the end of the disk, and a sector number made to overflow. */
    assert_int_equal(request(VIRTIO_BLK_T_IN, SECTORS - 1, two, 2, true), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, UINT64_MAX / 512, &one, 1, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    /* Not whole sectors. */
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, &odd, 1, true), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    /* Wrong direction: a read into a buffer the device may not write. */
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, &one, 1, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(blk.stats.bytes_read, 0);
    assert_int_equal(blk.stats.errors, 4);

    /* A data buffer outside guest RAM, and one that wraps around 2^64. */
    uint32_t id, len;
    put_header(HDR, VIRTIO_BLK_T_IN, 0);
    put_desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    put_desc(1, RAM - 256, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    put_desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(len, 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    put_desc(1, UINT64_MAX - 100, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    /* A header outside guest RAM. */
    put_desc(0, 0xFFFFFFF0, 16, VRING_DESC_F_NEXT, 2);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);

    /* None of this broke the device: a good request still works. */
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, &one, 1, true), 513);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
    assert_int_equal(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* A write that starts inside the disk but ends past it must not grow the
   image file; the status byte is the last byte of the last buffer, however
   long that buffer is (lab 5, task 2 and task 1). */
static void test_writes_stay_inside_and_status_is_the_last_byte(void **state)
{
    (void)state;
    uint32_t two[2] = { 512, 512 }, id, len;
    struct stat before, after;

    assert_int_equal(fstat(disk_fd, &before), 0);
    assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS - 1, two, 2, false), 1);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_IOERR);
    assert_int_equal(fstat(disk_fd, &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(blk.stats.bytes_written, 0);

    /* A 4-byte status buffer: the device writes its status into byte 3. */
    put_header(HDR, VIRTIO_BLK_T_IN, 2);
    put_desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    put_desc(1, DATA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    put_desc(2, STATUS, 4, VRING_DESC_F_WRITE, 0);
    gpa_write(&mem, STATUS, &(uint32_t){ 0xEEEEEEEE }, 4);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(len, 513);
    assert_int_equal(status_byte(3), VIRTIO_BLK_S_OK);
    assert_int_equal(status_byte(0), 0xEE);
}

static void test_descriptor_loop_needs_reset(void **state)
{
    (void)state;
    uint32_t id, len;

    put_header(HDR, VIRTIO_BLK_T_IN, 0);
    put_desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    put_desc(1, DATA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);  /* back to 0 */
    make_available(0, true);                        /* must return, not spin */
    next_used(&id, &len);
    assert_int_equal(id, 0);
    assert_int_equal(len, 0);
    assert_true(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
    assert_true(interrupted(3));                    /* used ring + "configuration changed" */

    /* A broken device ignores the queue until the driver resets it. */
    uint32_t one = 512;
    put_desc(1, DATA, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2);
    put_desc(2, STATUS, 1, VRING_DESC_F_WRITE, 0);
    make_available(0, true);
    assert_int_equal(used_idx(), 1);
    out(IO + VIRTIO_PCI_STATUS, 1, 0x07);          /* the driver cannot clear the bit... */
    assert_true(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
    driver_init();                                  /* ...a reset does */
    assert_int_equal(in(IO + VIRTIO_PCI_STATUS, 1), 0x07);
    assert_int_equal(request(VIRTIO_BLK_T_IN, 1, &one, 1, true), 513);
    assert_int_equal(status_byte(0), VIRTIO_BLK_S_OK);
}

static void test_broken_chains(void **state)
{
    (void)state;
    uint32_t id, len;

    /* A next index outside the table. */
    put_desc(0, HDR, 16, VRING_DESC_F_NEXT, 200);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(len, 0);
    assert_true(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);

    /* No writable status byte at the end. */
    driver_init();
    put_header(HDR, VIRTIO_BLK_T_FLUSH, 0);
    put_desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    put_desc(1, STATUS, 1, 0, 0);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(len, 0);
    assert_true(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);

    /* A head index outside the table. */
    driver_init();
    make_available(VBLK_QUEUE_SIZE + 5, true);
    next_used(&id, &len);
    assert_int_equal(id, VBLK_QUEUE_SIZE + 5);
    assert_int_equal(len, 0);

    /* An available index a whole queue ahead of the device. */
    driver_init();
    avail_idx = VBLK_QUEUE_SIZE + 1;
    gpa_write(&mem, AVAIL + 2, &avail_idx, 2);
    out(IO + VIRTIO_PCI_QUEUE_NOTIFY, 2, 0);
    assert_int_equal(used_idx(), 0);
    assert_true(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);

    /* A ring that does not fit in RAM is refused when it is placed. */
    out(IO + VIRTIO_PCI_STATUS, 1, 0);
    out(IO + VIRTIO_PCI_QUEUE_PFN, 4, (RAM - 4096) >> 12);
    assert_int_equal(in(IO + VIRTIO_PCI_QUEUE_PFN, 4), 0);
    assert_true(in(IO + VIRTIO_PCI_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
    out(IO + VIRTIO_PCI_QUEUE_PFN, 4, 0xFFFFFFFF);  /* 2^44: no wrap-around either */
    assert_int_equal(in(IO + VIRTIO_PCI_QUEUE_PFN, 4), 0);
}

static void test_batch_and_no_interrupt(void **state)
{
    (void)state;
    uint32_t id, len;

    /* Three flushes in chains 0-1, 2-3, 4-5, one notify: one interrupt. */
    put_header(HDR, VIRTIO_BLK_T_FLUSH, 0);
    for (unsigned c = 0; c < 3; c++) {
        put_desc(2 * c, HDR, 16, VRING_DESC_F_NEXT, 2 * c + 1);
        put_desc(2 * c + 1, STATUS + c, 1, VRING_DESC_F_WRITE, 0);
        make_available(2 * c, c == 2);
    }
    assert_int_equal(used_idx(), 3);
    for (unsigned c = 0; c < 3; c++) {
        next_used(&id, &len);
        assert_int_equal(id, 2 * c);
        assert_int_equal(len, 1);
        assert_int_equal(status_byte(c), VIRTIO_BLK_S_OK);
    }
    assert_int_equal(blk.stats.interrupts, 1);
    assert_true(interrupted(1));

    /* The driver asks not to be interrupted: the used ring still moves. */
    gpa_write(&mem, AVAIL, &(uint16_t){ VRING_AVAIL_F_NO_INTERRUPT }, 2);
    make_available(0, true);
    next_used(&id, &len);
    assert_int_equal(len, 1);
    assert_false(interrupted(0));
    assert_int_equal(blk.stats.interrupts, 1);
    assert_int_equal(blk.stats.notifies, 2);
}

static void test_reset(void **state)
{
    (void)state;
    uint32_t one = 512;
    assert_int_equal(request(VIRTIO_BLK_T_IN, 0, &one, 1, true), 513);
    assert_true(pic.chip[1].irr & 1 << (IRQ - 8));     /* level request at the slave */
    out(IO + VIRTIO_PCI_STATUS, 1, 0);                  /* reset */
    assert_false(pic.chip[1].irr & 1 << (IRQ - 8));    /* the line went down with ISR */
    assert_int_equal(in(IO + VIRTIO_PCI_ISR, 1), 0);
    assert_int_equal(in(IO + VIRTIO_PCI_QUEUE_PFN, 4), 0);
    assert_int_equal(in(IO + VIRTIO_PCI_GUEST_FEATURES, 4), 0);
    assert_int_equal(in(IO + VIRTIO_PCI_STATUS, 1), 0);
    make_available(0, true);                            /* no queue: nothing happens */
    assert_int_equal(used_idx(), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pci_identity_and_config, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_then_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_only, setup_read_only, teardown),
        cmocka_unit_test_setup_teardown(test_flush_and_get_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flush_syncs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring_laps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests_get_ioerr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_writes_stay_inside_and_status_is_the_last_byte, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_descriptor_loop_needs_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_chains, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_and_no_interrupt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
