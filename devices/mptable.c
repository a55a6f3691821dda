/*
 * mptable.c - the BIOS data area and the Intel MP tables, written where a
 * BIOS leaves them (chapter 6, "APICs").
 *
 * The MP spec (1.4, section 4) says the floating pointer structure lies in
 * the first KiB of the EBDA, the last KiB of base memory, or the BIOS ROM
 * between 0xF0000 and 0xFFFFF, on a 16-byte boundary; kernels search those
 * three in that order. We use the ROM area (the loader never puts anything
 * there) and let the BIOS data area point at an empty EBDA, as a real BIOS
 * would. Every structure carries a checksum: its bytes sum to 0.
 */
#include "devices/mptable.h"

#include <string.h>

#include "vmm/guest-mem.h"

/* The floating pointer structure: 16 bytes. */
struct __attribute__((packed)) mp_floating {
    char     signature[4];              /* "_MP_" */
    uint32_t config_addr;               /* physical address of the configuration table */
    uint8_t  length;                    /* in 16-byte units: 1 */
    uint8_t  spec_rev;                  /* 4: version 1.4 */
    uint8_t  checksum;
    uint8_t  feature[5];                /* feature[0] = 0: a table is present; [1] bit 7: IMCR */
};

/* The configuration table header: 44 bytes, entries follow. */
struct __attribute__((packed)) mp_config {
    char     signature[4];              /* "PCMP" */
    uint16_t length;                    /* header and entries */
    uint8_t  spec_rev;
    uint8_t  checksum;
    char     oem[8], product[12];
    uint32_t oem_table;
    uint16_t oem_table_size;
    uint16_t entries;
    uint32_t lapic_addr;
    uint16_t ext_length;
    uint8_t  ext_checksum, reserved;
};

struct __attribute__((packed)) mp_processor {   /* type 0, 20 bytes */
    uint8_t  type, apic_id, apic_version, flags;
    uint32_t signature, features;
    uint32_t reserved[2];
};

struct __attribute__((packed)) mp_bus {         /* type 1, 8 bytes */
    uint8_t type, bus_id;
    char    name[6];
};

struct __attribute__((packed)) mp_ioapic {      /* type 2, 8 bytes */
    uint8_t  type, id, version, flags;
    uint32_t addr;
};

struct __attribute__((packed)) mp_irq {         /* types 3 (I/O) and 4 (local), 8 bytes */
    uint8_t  type, irq_type;
    uint16_t flags;                             /* 0: polarity and trigger as the bus says */
    uint8_t  src_bus, src_irq, dst_apic, dst_pin;
};

_Static_assert(sizeof(struct mp_floating) == 16, "MP floating pointer is 16 bytes");
_Static_assert(sizeof(struct mp_config) == 44, "MP config header is 44 bytes");
_Static_assert(sizeof(struct mp_processor) == 20, "MP processor entry is 20 bytes");

enum { MP_PROC = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINTR = 3, MP_LINTR = 4 };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

static uint8_t checksum(const void *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return (uint8_t)-sum;
}

int mptable_write(struct guest_mem *mem, uint8_t ioapic_id, uint32_t ioapic_addr,
                  uint32_t lapic_addr)
{
    uint8_t table[512];
    size_t at = sizeof(struct mp_config);
    uint16_t entries = 0;
#define ADD(entry) do { memcpy(table + at, &(entry), sizeof(entry)); at += sizeof(entry); \
                        entries++; } while (0)

    struct mp_processor cpu = {
        .type = MP_PROC, .apic_id = 0, .apic_version = 0x14,
        .flags = 3,                     // enabled, the bootstrap processor
        .signature = 0x0633,            // family 6: what QEMU's default CPU reports
        .features = 0x0201,             // FPU, APIC
    };
    ADD(cpu);
    struct mp_bus isa = { .type = MP_BUS, .bus_id = 0, .name = "ISA   " };
    ADD(isa);
    struct mp_ioapic io = { .type = MP_IOAPIC, .id = ioapic_id, .version = 0x11, .flags = 1,
                            .addr = ioapic_addr };
    ADD(io);
    for (uint8_t irq = 0; irq < 16; irq++) {
        if (irq == 2)
            continue;                   // the cascade: no device there
        struct mp_irq e = { .type = MP_IOINTR, .irq_type = MP_INT, .src_bus = 0,
                            .src_irq = irq, .dst_apic = ioapic_id,
                            .dst_pin = irq == 0 ? 2 : irq };     // the timer is on pin 2
        ADD(e);
    }
    struct mp_irq lint0 = { .type = MP_LINTR, .irq_type = MP_EXTINT, .src_bus = 0,
                            .src_irq = 0, .dst_apic = 0xFF, .dst_pin = 0 };
    ADD(lint0);
    struct mp_irq lint1 = { .type = MP_LINTR, .irq_type = MP_NMI, .src_bus = 0,
                            .src_irq = 0, .dst_apic = 0xFF, .dst_pin = 1 };
    ADD(lint1);
#undef ADD

    uint32_t config_addr = MPTABLE_ADDR + sizeof(struct mp_floating);
    struct mp_config hdr = {
        .signature = "PCMP", .length = (uint16_t)at, .spec_rev = 4,
        .oem = "TEACHVMM", .product = "TOY PC      ",
        .entries = entries, .lapic_addr = lapic_addr,
    };
    memcpy(table, &hdr, sizeof(hdr));
    ((struct mp_config *)table)->checksum = checksum(table, at);

    struct mp_floating fp = { .signature = "_MP_", .config_addr = config_addr, .length = 1,
                              .spec_rev = 4 };
    fp.checksum = checksum(&fp, sizeof(fp));

    // The BIOS data area: base memory in KiB at 0x413, the EBDA's segment at
    // 0x40E; the EBDA's first byte is its own size in KiB.
    uint16_t base_kib = MPTABLE_EBDA / 1024, ebda_seg = MPTABLE_EBDA >> 4;
    uint8_t ebda_kib = 1;
    if (gpa_write(mem, 0x413, &base_kib, 2) < 0 || gpa_write(mem, 0x40E, &ebda_seg, 2) < 0 ||
        gpa_write(mem, MPTABLE_EBDA, &ebda_kib, 1) < 0 ||
        gpa_write(mem, MPTABLE_ADDR, &fp, sizeof(fp)) < 0 ||
        gpa_write(mem, config_addr, table, at) < 0)
        return -1;
    return (int)at;
}
