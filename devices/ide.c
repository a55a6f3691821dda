/*
 * ide.c - the IDE (ATA) controller: task-file registers, PIO data transfer
 * and the command state machine (chapter 6, "IDE: a disk the slow way").
 *
 * A command moves through three states, told by the status register: BSY
 * clear and DRQ set means "move a block through the data port now"; DRDY
 * alone means done; ERR means it failed and the error register says why
 * (ABRT: command refused, IDNF: no such sector, UNC: the image could not be
 * read). Reads interrupt when each block is ready, writes when each block
 * has been written. The disk work itself happens at once, so BSY is never
 * seen. Everything the guest writes is checked: a bad LBA or count gives a
 * guest-visible error, never a host read outside the image.
 */
#define _GNU_SOURCE
#include "devices/ide.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/bus.h"
#include "devices/pic8259.h"

#define LBA28_MAX     (1u << 28)        /* sectors a 28-bit LBA can reach */
#define CHS_HEADS     16                /* the geometry IDENTIFY reports */
#define CHS_SECTORS   63

enum {  /* register offsets from the command block base */
    REG_DATA = 0, REG_ERROR = 1, REG_NSECT = 2, REG_LBA_LO = 3, REG_LBA_MID = 4,
    REG_LBA_HI = 5, REG_SELECT = 6, REG_STATUS = 7,
};
enum { CTRL_NIEN = 0x02, CTRL_SRST = 0x04 };
enum { SELECT_SLAVE = 0x10, SELECT_LBA = 0x40 };

static struct ide_drive *selected(struct ide_channel *ch)
{
    return &ch->drive[(ch->select & SELECT_SLAVE) ? 1 : 0];
}

/* Drive the IRQ line: INTRQ pending and not disabled by nIEN. */
static void update_irq(struct ide_channel *ch)
{
    bool level = ch->irq_pending && !(ch->control & CTRL_NIEN);
    if (level != ch->irq_level) {
        ch->irq_level = level;
        pic_set_irq(ch->pic, ch->irq, level);
    }
}

static void raise_irq(struct ide *ide, struct ide_channel *ch)
{
    ch->irq_pending = true;
    ide->stats.interrupts++;
    update_irq(ch);
}

/* The command is over; the task file shows where it stopped. */
static void finish(struct ide_channel *ch, uint8_t status)
{
    ch->status = status;
    ch->cmd = 0;
    ch->pos = ch->len = 0;
    ch->left = 0;
}

static void fail(struct ide *ide, struct ide_channel *ch, uint8_t error)
{
    ch->error = error;
    finish(ch, IDE_STATUS_DRDY | IDE_STATUS_DSC | IDE_STATUS_ERR);
    ide->stats.errors++;
    if (error == IDE_ERROR_ABRT)
        ide->stats.aborted++;
    raise_irq(ide, ch);
}

/* The sector address in the task file: LBA28, or CHS in our geometry (UINT32_MAX: invalid). */
static uint32_t taskfile_lba(const struct ide_channel *ch)
{
    if (ch->select & SELECT_LBA)
        return (uint32_t)(ch->select & 0x0F) << 24 | (uint32_t)ch->lba_hi << 16 |
               (uint32_t)ch->lba_mid << 8 | ch->lba_lo;
    uint32_t cyl = (uint32_t)ch->lba_hi << 8 | ch->lba_mid, head = ch->select & 0x0F;
    if (ch->lba_lo == 0 || ch->lba_lo > CHS_SECTORS)
        return UINT32_MAX;              // sectors count from 1
    return (cyl * CHS_HEADS + head) * CHS_SECTORS + ch->lba_lo - 1;
}

/* Put lba back into the task file (LBA mode), as a drive does after a transfer. */
static void set_taskfile_lba(struct ide_channel *ch, uint32_t lba)
{
    if (!(ch->select & SELECT_LBA))
        return;
    ch->lba_lo = lba;
    ch->lba_mid = lba >> 8;
    ch->lba_hi = lba >> 16;
    ch->select = (ch->select & 0xF0) | ((lba >> 24) & 0x0F);
}

/* Is [lba, lba+n) wholly on the drive? (No overflow: lba < 2^28, n <= 256.) */
static bool range_ok(const struct ide_drive *d, uint32_t lba, uint32_t n)
{
    return lba != UINT32_MAX && (uint64_t)lba + n <= d->sectors;
}

/* Fetch the next block of a read into buf and offer it (DRQ, interrupt). */
static void read_block(struct ide *ide, struct ide_channel *ch)
{
    struct ide_drive *d = selected(ch);
    unsigned n = ch->left < ch->block ? ch->left : ch->block;
    if (!range_ok(d, ch->lba, n)) {
        fail(ide, ch, IDE_ERROR_IDNF | IDE_ERROR_ABRT);
        return;
    }
    ssize_t got = pread(d->fd, ch->buf, (size_t)n * IDE_SECTOR, (off_t)ch->lba * IDE_SECTOR);
    if (got != (ssize_t)n * IDE_SECTOR) {
        fail(ide, ch, IDE_ERROR_UNC | IDE_ERROR_ABRT);
        return;
    }
    ide->stats.sectors_read += n;
    set_taskfile_lba(ch, ch->lba + n - 1);
    ch->pos = 0;
    ch->len = n * IDE_SECTOR;
    ch->status = IDE_STATUS_DRDY | IDE_STATUS_DSC | IDE_STATUS_DRQ;
    raise_irq(ide, ch);
}

/* Ask for the next block of a write (DRQ); the first one comes without an interrupt. */
static void want_block(struct ide_channel *ch)
{
    unsigned n = ch->left < ch->block ? ch->left : ch->block;
    ch->pos = 0;
    ch->len = n * IDE_SECTOR;
    ch->status = IDE_STATUS_DRDY | IDE_STATUS_DSC | IDE_STATUS_DRQ;
}

/* The guest filled buf: write it to the image, interrupt, ask for more or finish. */
static void write_block(struct ide *ide, struct ide_channel *ch)
{
    struct ide_drive *d = selected(ch);
    unsigned n = ch->len / IDE_SECTOR;
    if (!range_ok(d, ch->lba, n)) {
        fail(ide, ch, IDE_ERROR_IDNF | IDE_ERROR_ABRT);
        return;
    }
    if (pwrite(d->fd, ch->buf, ch->len, (off_t)ch->lba * IDE_SECTOR) != (ssize_t)ch->len) {
        fail(ide, ch, IDE_ERROR_ABRT);
        return;
    }
    ide->stats.sectors_written += n;
    set_taskfile_lba(ch, ch->lba + n - 1);
    ch->lba += n;
    ch->left -= n;
    if (ch->left > 0)
        want_block(ch);
    else
        finish(ch, IDE_STATUS_DRDY | IDE_STATUS_DSC);
    raise_irq(ide, ch);
}

/* An ATA string: two characters per word, the first in the high byte, space-padded. */
static void ata_string(uint16_t *words, const char *s, unsigned nwords)
{
    for (unsigned i = 0; i < nwords; i++) {
        char a = *s ? *s++ : ' ';
        char b = *s ? *s++ : ' ';
        words[i] = (uint16_t)((uint8_t)a << 8 | (uint8_t)b);
    }
}

/* IDENTIFY DEVICE: 256 words about the drive (ATA-6, table 26: the words a driver reads). */
static void identify(struct ide *ide, struct ide_channel *ch, unsigned index)
{
    struct ide_drive *d = selected(ch);
    uint16_t w[256] = { 0 };
    uint32_t lba_sectors = d->sectors < LBA28_MAX ? (uint32_t)d->sectors : LBA28_MAX - 1;
    uint32_t cyls = lba_sectors / (CHS_HEADS * CHS_SECTORS);
    if (cyls > 16383)
        cyls = 16383;
    char serial[21];
    snprintf(serial, sizeof serial, "TEACHVMM-IDE-%u", index);
    w[0] = 0x0040;                      // fixed disk, ATA
    w[1] = (uint16_t)cyls;
    w[3] = CHS_HEADS;
    w[6] = CHS_SECTORS;
    ata_string(&w[10], serial, 10);
    ata_string(&w[23], "1.0", 4);
    ata_string(&w[27], "teaching-vmm IDE disk", 20);
    w[47] = 0x8000 | IDE_MAX_MULTIPLE;  // READ/WRITE MULTIPLE up to 16 sectors
    w[49] = 0x0200;                     // LBA supported
    w[53] = 0x0001;                     // words 54-58 valid
    w[54] = (uint16_t)cyls;
    w[55] = CHS_HEADS;
    w[56] = CHS_SECTORS;
    uint32_t chs = cyls * CHS_HEADS * CHS_SECTORS;
    w[57] = (uint16_t)chs;
    w[58] = (uint16_t)(chs >> 16);
    w[59] = d->multiple ? 0x0100 | d->multiple : 0;
    w[60] = (uint16_t)lba_sectors;
    w[61] = (uint16_t)(lba_sectors >> 16);
    w[80] = 0x007E;                     // ATA-1 to ATA-6
    w[82] = 0x4000;                     // NOP... words 82-84 valid
    w[83] = 0x5000 | 0x1000;            // FLUSH CACHE
    w[84] = 0x4000;
    for (unsigned i = 0; i < 256; i++) {
        ch->buf[2 * i] = (uint8_t)w[i];
        ch->buf[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    ch->cmd = IDE_CMD_IDENTIFY;
    ch->left = 1;
    ch->block = 1;
    ch->pos = 0;
    ch->len = IDE_SECTOR;
    ch->status = IDE_STATUS_DRDY | IDE_STATUS_DSC | IDE_STATUS_DRQ;
    raise_irq(ide, ch);
}

/* Start a read or write of the task file's sectors; multiple: in blocks of SET MULTIPLE's size. */
static void start_transfer(struct ide *ide, struct ide_channel *ch, bool write, bool multiple)
{
    struct ide_drive *d = selected(ch);
    if (multiple && d->multiple == 0) {
        fail(ide, ch, IDE_ERROR_ABRT);  // READ/WRITE MULTIPLE before SET MULTIPLE
        return;
    }
    if (write && d->read_only) {
        fail(ide, ch, IDE_ERROR_ABRT);
        return;
    }
    ch->lba = taskfile_lba(ch);
    ch->left = ch->nsect ? ch->nsect : 256;     // a count of 0 means 256
    ch->block = multiple ? d->multiple : 1;
    if (!range_ok(d, ch->lba, 1)) {
        fail(ide, ch, IDE_ERROR_IDNF | IDE_ERROR_ABRT);
        return;
    }
    if (write)
        want_block(ch);
    else
        read_block(ide, ch);
}

/* Put the channel in its power-on/reset state: the ATA signature in the task file. */
static void reset_channel(struct ide_channel *ch)
{
    finish(ch, IDE_STATUS_DRDY | IDE_STATUS_DSC);
    ch->error = 0x01;                   // diagnostic: no error
    ch->nsect = 1;
    ch->lba_lo = 1;
    ch->lba_mid = ch->lba_hi = 0;
    ch->select = 0;
    ch->feature = 0;
    ch->irq_pending = false;
    update_irq(ch);
}

static void command(struct ide *ide, struct ide_channel *ch, unsigned index, uint8_t cmd)
{
    struct ide_drive *d = selected(ch);
    if (!d->present)
        return;                         // nobody there to answer
    ide->stats.commands++;
    ch->irq_pending = false;
    update_irq(ch);
    ch->error = 0;
    ch->cmd = cmd;
    switch (cmd) {
    case IDE_CMD_READ: case IDE_CMD_READ_NORETRY:
        start_transfer(ide, ch, false, false); return;
    case IDE_CMD_WRITE: case IDE_CMD_WRITE_NORETRY:
        start_transfer(ide, ch, true, false); return;
    case IDE_CMD_READ_MULTIPLE:  start_transfer(ide, ch, false, true); return;
    case IDE_CMD_WRITE_MULTIPLE: start_transfer(ide, ch, true, true); return;
    case IDE_CMD_IDENTIFY:       identify(ide, ch, index); return;
    case IDE_CMD_SET_MULTIPLE:
        if (ch->nsect > IDE_MAX_MULTIPLE || (ch->nsect & (ch->nsect - 1))) {
            fail(ide, ch, IDE_ERROR_ABRT);  // not a power of two up to 16
            return;
        }
        d->multiple = ch->nsect;
        break;
    case IDE_CMD_VERIFY: {
        uint32_t lba = taskfile_lba(ch), n = ch->nsect ? ch->nsect : 256;
        if (!range_ok(d, lba, n)) {
            fail(ide, ch, IDE_ERROR_IDNF | IDE_ERROR_ABRT);
            return;
        }
        break;
    }
    case IDE_CMD_FLUSH:
        if (!d->read_only && fdatasync(d->fd) < 0) {
            fail(ide, ch, IDE_ERROR_ABRT);
            return;
        }
        break;
    case IDE_CMD_DIAGNOSE:
        reset_channel(ch);
        break;
    case IDE_CMD_RECALIBRATE: case IDE_CMD_INIT_PARAMS: case IDE_CMD_SET_FEATURES:
        break;                          // nothing to do for a disk image
    default:
        fail(ide, ch, IDE_ERROR_ABRT);
        return;
    }
    finish(ch, IDE_STATUS_DRDY | IDE_STATUS_DSC);
    raise_irq(ide, ch);
}

/* The data port: size bytes of the current block. Outside a transfer reads give 0. */
static void data_io(struct ide *ide, struct ide_channel *ch, unsigned size, bool is_write,
                    uint32_t *value)
{
    ide->stats.data_accesses++;
    if (!ch->drive[0].present && !ch->drive[1].present) {
        if (!is_write)
            *value = 0xFFFFFFFF;        // nobody drives the bus
        return;
    }
    if (!(ch->status & IDE_STATUS_DRQ) || ch->pos + size > ch->len)
        return;
    if (is_write)
        memcpy(ch->buf + ch->pos, value, size);     // little-endian host, as the guest
    else
        memcpy(value, ch->buf + ch->pos, size);
    ch->pos += size;
    if (ch->pos < ch->len)
        return;
    if (ch->cmd == IDE_CMD_IDENTIFY) {
        finish(ch, IDE_STATUS_DRDY | IDE_STATUS_DSC);
    } else if (is_write) {
        write_block(ide, ch);
    } else {
        unsigned n = ch->len / IDE_SECTOR;
        ch->lba += n;
        ch->left -= n;
        if (ch->left > 0)
            read_block(ide, ch);
        else
            finish(ch, IDE_STATUS_DRDY | IDE_STATUS_DSC);
    }
}

/*
 * Status as the guest sees it: an empty channel floats (0xFF); an absent
 * slave reads 0, which is how drivers probe for one. An absent master
 * beside a present slave answers with the channel's status, as QEMU's does.
 */
static uint8_t status_of(struct ide_channel *ch)
{
    if (!ch->drive[0].present && !ch->drive[1].present)
        return 0xFF;
    if ((ch->select & SELECT_SLAVE) && !ch->drive[1].present)
        return 0;
    return ch->status;
}

static void command_block_io(void *opaque, uint32_t offset, unsigned size, bool is_write,
                             uint32_t *value)
{
    struct ide_channel *ch = opaque;
    struct ide *ide = ch->owner;
    unsigned index = 2 * ch->number + ((ch->select & SELECT_SLAVE) ? 1 : 0);
    if (offset == REG_DATA) {
        data_io(ide, ch, size, is_write, value);
        return;
    }
    if (!is_write) {
        bool empty = !ch->drive[0].present && !ch->drive[1].present;
        switch (offset) {
        case REG_ERROR:   *value = empty ? 0xFF : ch->error; break;
        case REG_NSECT:   *value = empty ? 0xFF : ch->nsect; break;
        case REG_LBA_LO:  *value = empty ? 0xFF : ch->lba_lo; break;
        case REG_LBA_MID: *value = empty ? 0xFF : ch->lba_mid; break;
        case REG_LBA_HI:  *value = empty ? 0xFF : ch->lba_hi; break;
        case REG_SELECT:  *value = empty ? 0xFF : ch->select | 0xA0; break;
        case REG_STATUS:
            *value = status_of(ch);
            ch->irq_pending = false;    // reading status acknowledges INTRQ
            update_irq(ch);
            break;
        }
        return;
    }
    uint8_t v = (uint8_t)*value;
    switch (offset) {
    case REG_ERROR:   ch->feature = v; break;
    case REG_NSECT:   ch->nsect = v; break;
    case REG_LBA_LO:  ch->lba_lo = v; break;
    case REG_LBA_MID: ch->lba_mid = v; break;
    case REG_LBA_HI:  ch->lba_hi = v; break;
    case REG_SELECT:  ch->select = v; break;
    case REG_STATUS:  command(ide, ch, index, v); break;
    }
}

static void control_io(void *opaque, uint32_t offset, unsigned size, bool is_write,
                       uint32_t *value)
{
    struct ide_channel *ch = opaque;
    (void)offset, (void)size;
    if (!is_write) {
        *value = status_of(ch);         // alternate status: no INTRQ acknowledge
        return;
    }
    uint8_t old = ch->control;
    ch->control = (uint8_t)*value;
    if ((old & CTRL_SRST) && !(ch->control & CTRL_SRST))
        reset_channel(ch);              // the end of a software reset pulse
    update_irq(ch);
}

int ide_init(struct ide *ide, struct bus *bus, struct pic *pic)
{
    static const struct { uint16_t base, ctrl; int irq; } wiring[2] = {
        { 0x1F0, 0x3F6, 14 }, { 0x170, 0x376, 15 },
    };
    memset(ide, 0, sizeof(*ide));
    for (unsigned c = 0; c < 2; c++) {
        struct ide_channel *ch = &ide->ch[c];
        ch->owner = ide;
        ch->number = c;
        ch->base = wiring[c].base;
        ch->ctrl = wiring[c].ctrl;
        ch->irq = wiring[c].irq;
        ch->pic = pic;
        reset_channel(ch);
        if (bus_register_pio(bus, ch->base, 8, command_block_io, ch,
                             c ? "ide1" : "ide0") < 0 ||
            bus_register_pio(bus, ch->ctrl, 1, control_io, ch, c ? "ide1-ctrl" : "ide0-ctrl") < 0)
            return -1;
    }
    return 0;
}

int ide_attach(struct ide *ide, unsigned index, int fd, bool read_only)
{
    struct stat st;
    if (index >= IDE_DRIVES || ide->ch[index / 2].drive[index % 2].present) {
        errno = EINVAL;
        return -1;
    }
    if (fstat(fd, &st) < 0)
        return -1;
    if (st.st_size < IDE_SECTOR) {
        errno = EINVAL;
        return -1;
    }
    struct ide_drive *d = &ide->ch[index / 2].drive[index % 2];
    d->present = true;
    d->fd = fd;
    d->read_only = read_only;
    d->sectors = (uint64_t)st.st_size / IDE_SECTOR;
    if (d->sectors >= LBA28_MAX)
        d->sectors = LBA28_MAX - 1;     // what LBA28 can reach; the rest is unseen
    return 0;
}
