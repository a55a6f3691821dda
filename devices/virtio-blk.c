/*
 * virtio-blk.c - legacy virtio block device over PCI (chapter 6, "I/O
 * virtualization").
 *
 * The guest driver allocates one virtqueue in its RAM and tells us its page
 * number (QUEUE_PFN). The queue has three parts, laid out as virtio 0.9.5
 * fixes them for 128 entries and 4096-byte alignment:
 *
 *   ring + 0     descriptor table  128 x {u64 addr, u32 len, u16 flags, u16 next}
 *   ring + 2048  available ring    {u16 flags, u16 idx, u16 ring[128], u16 used_event}
 *   ring + 4096  used ring         {u16 flags, u16 idx, {u32 id, u32 len}[128], u16 avail_event}
 *
 * A request is a chain of descriptors: a 16-byte header the device reads
 * {u32 type, u32 ioprio, u64 sector}, data buffers, and a last buffer the
 * device writes whose final byte is the status. The driver puts the chain's
 * head in the available ring and writes QUEUE_NOTIFY; we serve every new
 * entry, put the head and the number of bytes we wrote into the used ring,
 * and raise the interrupt.
 *
 * All of it lives in guest memory that the guest controls, so everything we
 * read is copied out first (the guest cannot change it behind our back) and
 * checked: a bad request ends with IOERR in its status byte; a chain so broken
 * that it has no status byte is returned with length 0 and the device asks
 * for a reset (status bit DEVICE_NEEDS_RESET). The VMM itself never fails.
 */
#include "devices/virtio-blk.h"
#include "devices/pic8259.h"
#include "vmm/guest-mem.h"
#include "vmm/lab.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Guest structures. Virtio 0.9.5 uses the guest's byte order: little-endian, like us. */
struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct vring_desc) == 16, "descriptor layout");

struct vblk_req_hdr {
    uint32_t type;
    uint32_t ioprio;
    uint64_t sector;
};
_Static_assert(sizeof(struct vblk_req_hdr) == 16, "request header layout");

/* Where the three parts of the ring start, relative to the ring (see the top). */
enum {
    AVAIL_OFF   = 16 * VBLK_QUEUE_SIZE,
    AVAIL_END   = AVAIL_OFF + 4 + 2 * VBLK_QUEUE_SIZE + 2,
    USED_OFF    = (AVAIL_END + VBLK_VRING_ALIGN - 1) / VBLK_VRING_ALIGN * VBLK_VRING_ALIGN,
    VRING_BYTES = USED_OFF + 4 + 8 * VBLK_QUEUE_SIZE + 2,
};

/* What we offer. A read-only disk also says VIRTIO_BLK_F_RO, so that the
 * guest's driver knows before it tries; a write that comes anyway is refused. */
static uint32_t host_features(const struct vblk *blk)
{
    return 1u << VIRTIO_BLK_F_SEG_MAX | 1u << VIRTIO_BLK_F_BLK_SIZE |
           1u << VIRTIO_BLK_F_FLUSH | (blk->read_only ? 1u << VIRTIO_BLK_F_RO : 0);
}

static uint64_t ring_gpa(const struct vblk *blk)
{
    return (uint64_t)blk->queue_pfn << 12;
}

/* ISR bit 0 means "used ring updated", bit 1 "configuration changed". The line is level. */
static void raise_isr(struct vblk *blk, uint8_t bits)
{
    blk->isr |= bits;
    blk->stats.interrupts++;
    pic_set_irq(blk->pic, blk->irq, 1);
}

/* The guest broke the queue beyond what a status byte can report. */
static void needs_reset(struct vblk *blk, const char *why)
{
    if (!(blk->status & VIRTIO_STATUS_NEEDS_RESET))
        fprintf(stderr, "vmm: virtio-blk: %s; device needs reset\n", why);
    blk->status |= VIRTIO_STATUS_NEEDS_RESET;
    blk->stats.errors++;
    raise_isr(blk, 2);
}

static void device_reset(struct vblk *blk)
{
    blk->guest_features = 0;
    blk->queue_pfn = 0;
    blk->queue_sel = 0;
    blk->last_avail = blk->used_idx = 0;
    blk->status = 0;
    blk->isr = 0;
    pic_set_irq(blk->pic, blk->irq, 0);
}

/* A whole pread/pwrite of len bytes at off, retrying short transfers. Returns 0 or -1. */
static int disk_io(int fd, void *buf, uint64_t len, uint64_t off, bool write)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = write ? pwrite(fd, p, len, off) : pread(fd, p, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;          /* an error, or the image shrank under us */
        p += n, len -= n, off += n;
    }
    return 0;
}

/*
 * Copy the chain that starts at head into c. False when it cannot be
 * walked: an index outside the table, or more links than the table has
 * entries, which means the chain loops.
 */
static bool read_chain(struct vblk *blk, uint16_t head, struct vring_desc *c, unsigned *n)
{
    uint16_t i = head;
    for (*n = 0; *n < VBLK_QUEUE_SIZE; ) {
        struct vring_desc *d = &c[(*n)++];
        if (i >= VBLK_QUEUE_SIZE ||
            gpa_read(blk->mem, ring_gpa(blk) + 16 * i, d, sizeof(*d)) < 0)
            return false;
        if (!(d->flags & VRING_DESC_F_NEXT))
            return true;
        i = d->next;
    }
    return false;
}

/*
 * IN and OUT: move the data buffers d[0..n) to or from the disk at sector.
 * Every buffer must lie in RAM and point the right way (the device writes
 * IN buffers), the total must be whole sectors inside the disk.
 */
static uint8_t disk_request(struct vblk *blk, const struct vblk_req_hdr *hdr,
                            const struct vring_desc *d, unsigned n, bool write,
                            uint32_t *written)
{
    /* BEGIN SOLUTION(lab=5) */
    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        bool device_writes = d[i].flags & VRING_DESC_F_WRITE;
        if (device_writes == write || !gpa_range_ok(blk->mem, d[i].addr, d[i].len))
            return VIRTIO_BLK_S_IOERR;
        total += d[i].len;
    }
    if (total % VBLK_SECTOR || total > UINT32_MAX - 1 ||
        hdr->sector > blk->capacity || total / VBLK_SECTOR > blk->capacity - hdr->sector)
        return VIRTIO_BLK_S_IOERR;

    uint64_t off = hdr->sector * VBLK_SECTOR;
    for (unsigned i = 0; i < n; i++) {
        void *buf = gpa_ptr(blk->mem, d[i].addr, d[i].len);
        if (disk_io(blk->fd, buf, d[i].len, off, write) < 0)
            return VIRTIO_BLK_S_IOERR;
        off += d[i].len;
    }
    if (write) {
        blk->stats.bytes_written += total;
    } else {
        blk->stats.bytes_read += total;
        *written = total;
    }
    return VIRTIO_BLK_S_OK;
    /* STUB: (void)blk; (void)hdr; (void)d; (void)n; (void)write; (void)written; (void)disk_io; lab_todo("LAB 5 task 2: moving the data (disk_request)"); return VIRTIO_BLK_S_IOERR; */
    /* END SOLUTION */
}

/* GET_ID: the serial number, NUL-padded to 20 bytes, into the first data buffer. */
static uint8_t get_id(struct vblk *blk, const struct vring_desc *d, unsigned n, uint32_t *written)
{
    if (n < 1 || !(d[0].flags & VRING_DESC_F_WRITE))
        return VIRTIO_BLK_S_IOERR;
    uint32_t len = d[0].len < VBLK_ID_BYTES ? d[0].len : VBLK_ID_BYTES;
    if (gpa_write(blk->mem, d[0].addr, blk->serial, len) < 0)
        return VIRTIO_BLK_S_IOERR;
    *written = len;
    return VIRTIO_BLK_S_OK;
}

/* Carry out the request in chain c[0..n) (header, data..., status). Returns the status byte. */
static uint8_t do_request(struct vblk *blk, const struct vring_desc *c, unsigned n,
                          uint32_t *written)
{
    struct vblk_req_hdr hdr;

    if (n < 2 || (c[0].flags & VRING_DESC_F_WRITE) || c[0].len < sizeof(hdr) ||
        gpa_read(blk->mem, c[0].addr, &hdr, sizeof(hdr)) < 0)
        return VIRTIO_BLK_S_IOERR;

    const struct vring_desc *data = &c[1];
    unsigned ndata = n - 2;
    switch (hdr.type) {
    case VIRTIO_BLK_T_IN:
        blk->stats.reads++;
        return disk_request(blk, &hdr, data, ndata, false, written);
    case VIRTIO_BLK_T_OUT:
        blk->stats.writes++;
        if (blk->read_only)
            return VIRTIO_BLK_S_IOERR;
        return disk_request(blk, &hdr, data, ndata, true, written);
    case VIRTIO_BLK_T_FLUSH:
        blk->stats.flushes++;
        return fdatasync(blk->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
    case VIRTIO_BLK_T_GET_ID:
        blk->stats.get_ids++;
        return get_id(blk, data, ndata, written);
    default:
        blk->stats.unsupported++;
        return VIRTIO_BLK_S_UNSUPP;
    }
}

/* Serve the chain at head. Returns the used length: bytes we wrote into its buffers. */
static uint32_t serve_chain(struct vblk *blk, uint16_t head)
{
    /* BEGIN SOLUTION(lab=5) */
    struct vring_desc c[VBLK_QUEUE_SIZE];
    unsigned n;

    if (!read_chain(blk, head, c, &n)) {
        needs_reset(blk, "descriptor chain loops or leaves the table");
        return 0;
    }
    const struct vring_desc *last = &c[n - 1];
    if (!(last->flags & VRING_DESC_F_WRITE) || last->len == 0 ||
        !gpa_range_ok(blk->mem, last->addr, last->len)) {
        needs_reset(blk, "request without a writable status byte");
        return 0;
    }

    uint32_t written = 0;
    uint8_t status = do_request(blk, c, n, &written);
    if (status == VIRTIO_BLK_S_IOERR)
        blk->stats.errors++;
    gpa_write(blk->mem, last->addr + last->len - 1, &status, 1);    /* checked above */
    return written + 1;
    /* STUB: (void)blk; (void)head; (void)read_chain; (void)do_request; return (uint32_t)lab_todo("LAB 5 task 1: serving a descriptor chain (serve_chain)") + 1; */
    /* END SOLUTION */
}

/* Append {head, len} to the used ring, then publish it by advancing used.idx. */
static void push_used(struct vblk *blk, uint16_t head, uint32_t len)
{
    uint64_t used = ring_gpa(blk) + USED_OFF;
    uint32_t elem[2] = { head, len };

    gpa_write(blk->mem, used + 4 + 8 * (blk->used_idx % VBLK_QUEUE_SIZE), elem, sizeof(elem));
    blk->used_idx++;
    /* The entry before the index: a driver on another CPU must never see an index ahead of its entry. */
    gpa_write(blk->mem, used + 2, &blk->used_idx, 2);
}

void vblk_process_queue(struct vblk *blk)
{
    uint64_t avail = ring_gpa(blk) + AVAIL_OFF;
    uint16_t avail_idx, flags, head;
    bool served = false;

    if (!blk->queue_pfn || (blk->status & VIRTIO_STATUS_NEEDS_RESET))
        return;
    /* The whole ring was checked to lie in RAM when QUEUE_PFN was written. */
    gpa_read(blk->mem, avail + 2, &avail_idx, 2);
    if ((uint16_t)(avail_idx - blk->last_avail) > VBLK_QUEUE_SIZE) {
        needs_reset(blk, "available index ran more than a queue ahead");
        return;
    }
    /* At most one queue's worth: avail_idx was read once, so a busy guest cannot keep us here. */
    while (blk->last_avail != avail_idx && !(blk->status & VIRTIO_STATUS_NEEDS_RESET)) {
        gpa_read(blk->mem, avail + 4 + 2 * (blk->last_avail % VBLK_QUEUE_SIZE), &head, 2);
        blk->last_avail++;
        push_used(blk, head, serve_chain(blk, head));
        served = true;
    }
    gpa_read(blk->mem, avail, &flags, 2);
    if (served && !(flags & VRING_AVAIL_F_NO_INTERRUPT))
        raise_isr(blk, 1);
}

/* QUEUE_PFN: place (or with 0, remove) the ring. A ring outside RAM is refused. */
static void set_queue_pfn(struct vblk *blk, uint32_t pfn)
{
    blk->last_avail = blk->used_idx = 0;
    blk->queue_pfn = 0;
    if (pfn == 0)
        return;
    if (!gpa_range_ok(blk->mem, (uint64_t)pfn << 12, VRING_BYTES)) {
        needs_reset(blk, "queue placed outside guest RAM");
        return;
    }
    blk->queue_pfn = pfn;
}

/* Byte off of struct virtio_blk_config: capacity, size_max, seg_max, geometry, blk_size. */
static uint8_t config_byte(const struct vblk *blk, unsigned off)
{
    uint8_t cfg[24] = { 0 };
    uint32_t seg_max = VBLK_QUEUE_SIZE - 2;     /* header and status take two descriptors */
    uint32_t blk_size = VBLK_SECTOR;

    memcpy(&cfg[0], &blk->capacity, 8);
    memcpy(&cfg[12], &seg_max, 4);
    memcpy(&cfg[20], &blk_size, 4);             /* size_max (8) and geometry (16) stay 0 */
    return off < sizeof(cfg) ? cfg[off] : 0;
}

/* A guest read of the legacy register at offset (see the layout in virtio-blk.h). */
static uint32_t reg_read(struct vblk *blk, uint32_t offset, unsigned size)
{
    uint32_t v = 0;
    switch (offset) {
    case VIRTIO_PCI_HOST_FEATURES:  return host_features(blk);
    case VIRTIO_PCI_GUEST_FEATURES: return blk->guest_features;
    case VIRTIO_PCI_QUEUE_PFN:      return blk->queue_sel == 0 ? blk->queue_pfn : 0;
    case VIRTIO_PCI_QUEUE_NUM:      return blk->queue_sel == 0 ? VBLK_QUEUE_SIZE : 0;
    case VIRTIO_PCI_QUEUE_SEL:      return blk->queue_sel;
    case VIRTIO_PCI_STATUS:         return blk->status;
    case VIRTIO_PCI_ISR:
        /* Reading ISR acknowledges the interrupt: the line goes down. */
        v = blk->isr;
        blk->isr = 0;
        pic_set_irq(blk->pic, blk->irq, 0);
        return v;
    }
    if (offset >= VIRTIO_PCI_CONFIG) {
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)config_byte(blk, offset - VIRTIO_PCI_CONFIG + i) << (8 * i);
    }
    return v;
}

/* A guest write of the legacy register at offset; a notify runs the queue right here. */
static void reg_write(struct vblk *blk, uint32_t offset, uint32_t val)
{
    switch (offset) {
    case VIRTIO_PCI_GUEST_FEATURES:
        blk->guest_features = val & host_features(blk);
        break;
    case VIRTIO_PCI_QUEUE_PFN:
        if (blk->queue_sel == 0)
            set_queue_pfn(blk, val);
        break;
    case VIRTIO_PCI_QUEUE_SEL:
        blk->queue_sel = val;
        break;
    case VIRTIO_PCI_QUEUE_NOTIFY:
        blk->stats.notifies++;
        if (val == 0)
            vblk_process_queue(blk);
        break;
    case VIRTIO_PCI_STATUS:
        if (val == 0)
            device_reset(blk);
        else    /* NEEDS_RESET is the device's to set; only a reset clears it */
            blk->status = val | (blk->status & VIRTIO_STATUS_NEEDS_RESET);
        break;
    default:    /* features, queue size, ISR and our config are read-only */
        break;
    }
}

/* BAR0 handler. */
static void vblk_io(void *opaque, uint32_t offset, unsigned size, bool is_write, uint32_t *value)
{
    struct vblk *blk = opaque;
    if (is_write)
        reg_write(blk, offset, *value);
    else
        *value = reg_read(blk, offset, size);
}

int vblk_init(struct vblk *blk, struct pci *pci, struct pic *pic, struct guest_mem *mem,
              const struct vblk_config *cfg)
{
    static const struct pci_id id = {
        .vendor = 0x1AF4, .device = 0x1001,         /* Red Hat virtio, legacy block */
        .subsys_vendor = 0x1AF4, .subsys_id = 2,    /* virtio device type 2: block */
        .class_code = 0x010000, .revision = 0,      /* mass storage, as QEMU reports */
    };
    struct stat st;

    memset(blk, 0, sizeof(*blk));
    if (fstat(cfg->fd, &st) < 0)
        return -1;
    blk->mem = mem;
    blk->pic = pic;
    blk->irq = cfg->irq;
    blk->fd = cfg->fd;
    blk->read_only = cfg->read_only;
    blk->capacity = (uint64_t)st.st_size / VBLK_SECTOR;     /* a partial last sector is unused */
    if (cfg->serial)
        memcpy(blk->serial, cfg->serial, strnlen(cfg->serial, VBLK_ID_BYTES));

    pci_dev_init(&blk->pci, "virtio-blk", &id);
    pci_dev_set_bar(&blk->pci, 0, true, VBLK_BAR_SIZE, cfg->io_base, vblk_io, blk);
    pci_dev_set_irq(&blk->pci, cfg->irq);
    if (pci_register(pci, &blk->pci, cfg->pci_slot) < 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}
