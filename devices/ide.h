/*
 * ide.h - an IDE (ATA) disk controller driven by programmed I/O (chapter 6,
 * "IDE: a disk the slow way").
 *
 * Two channels as on a PC: the primary at ports 0x1F0-0x1F7 and 0x3F6 on
 * IRQ 14, the secondary at 0x170-0x177 and 0x376 on IRQ 15, each with a
 * master and a slave drive (QEMU's index 0-3). The guest writes the sector
 * address and count into task-file registers, a command into the command
 * register, and then moves every 512-byte sector through the 16-bit data
 * port, two or four bytes per `in`/`out`: the opposite of virtio-blk, where
 * one notify moves a whole request.
 */
#ifndef DEVICES_IDE_H
#define DEVICES_IDE_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct pic;

#define IDE_SECTOR       512
#define IDE_MAX_MULTIPLE 16             /* sectors per block in READ/WRITE MULTIPLE */
#define IDE_DRIVES       4              /* index = 2 * channel + (slave ? 1 : 0) */

/* Status register bits. */
enum {
    IDE_STATUS_ERR = 0x01, IDE_STATUS_DRQ = 0x08, IDE_STATUS_DSC = 0x10,
    IDE_STATUS_DF = 0x20, IDE_STATUS_DRDY = 0x40, IDE_STATUS_BSY = 0x80,
};

/* Error register bits. */
enum { IDE_ERROR_ABRT = 0x04, IDE_ERROR_IDNF = 0x10, IDE_ERROR_UNC = 0x40 };

/* Commands we carry out; any other is aborted (ERR, ABRT), as the spec says. */
enum {
    IDE_CMD_RECALIBRATE = 0x10, IDE_CMD_READ = 0x20, IDE_CMD_READ_NORETRY = 0x21,
    IDE_CMD_WRITE = 0x30, IDE_CMD_WRITE_NORETRY = 0x31, IDE_CMD_VERIFY = 0x40,
    IDE_CMD_DIAGNOSE = 0x90, IDE_CMD_INIT_PARAMS = 0x91, IDE_CMD_READ_MULTIPLE = 0xC4,
    IDE_CMD_WRITE_MULTIPLE = 0xC5, IDE_CMD_SET_MULTIPLE = 0xC6, IDE_CMD_FLUSH = 0xE7,
    IDE_CMD_IDENTIFY = 0xEC, IDE_CMD_SET_FEATURES = 0xEF,
};

struct ide_drive {
    bool     present;
    int      fd;                        /* raw image */
    bool     read_only;                 /* writes are aborted */
    uint64_t sectors;                   /* capacity (LBA28 reaches 2^28 of them) */
    unsigned multiple;                  /* SET MULTIPLE block size, 0 = not set */
};

struct ide;

struct ide_channel {
    struct ide      *owner;
    unsigned         number;            /* 0 primary, 1 secondary */
    struct ide_drive drive[2];          /* master, slave */
    uint16_t base, ctrl;                /* 0x1F0 and 0x3F6, or 0x170 and 0x376 */
    int      irq;
    struct pic *pic;
    /* The task file (one set per channel: both drives see every write). */
    uint8_t  feature, nsect, lba_lo, lba_mid, lba_hi, select, control;
    uint8_t  status, error;
    /* The command in progress. */
    uint8_t  cmd;
    uint32_t lba;                       /* next sector to transfer */
    uint32_t left;                      /* sectors still to transfer */
    unsigned block;                     /* sectors per DRQ block */
    uint8_t  buf[IDE_MAX_MULTIPLE * IDE_SECTOR];
    unsigned pos, len;                  /* data-port cursor in buf */
    bool     irq_pending;               /* INTRQ, cleared by a status read */
    bool     irq_level;                 /* what we drive on the line */
};

struct ide_stats {
    uint64_t commands, sectors_read, sectors_written, errors, aborted, interrupts;
    uint64_t data_accesses;             /* `in`/`out` on a data port: exits on most engines */
};

struct ide {
    struct ide_channel ch[2];
    struct ide_stats   stats;
};

/* Reset both channels (no drives) and claim their ports. Returns 0 or -1. */
int  ide_init(struct ide *ide, struct bus *bus, struct pic *pic);

/*
 * Attach an image (fd, capacity from its size) as drive index 0-3. Returns
 * 0, or -1 with errno (EINVAL: bad index or drive already there, or an image
 * of no whole sector).
 */
int  ide_attach(struct ide *ide, unsigned index, int fd, bool read_only);

#endif
