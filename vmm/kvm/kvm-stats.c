/*
 * kvm-stats.c - KVM's own counters, read through its binary statistics file
 * (KVM_GET_STATS_FD) (chapter 05-kvm-and-ept.md, "Counting what KVM does").
 *
 * Our exit statistics see only the exits that reach user space. KVM counts
 * the rest: every exit the CPU took (`exits`), guest page faults it fixed in
 * its MMU (`pf_fixed`), faults it reflected to the guest (`pf_guest`), TLB
 * flushes, instructions it had to emulate (`insn_emulation`), and more. The
 * file is self-describing (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"):
 *
 *   header       struct kvm_stats_header: where the rest is
 *   id string    "kvm-PID" or "kvm-PID/vcpu-N"
 *   descriptors  num_desc of them, each struct kvm_stats_desc + name_size
 *                bytes of name: type, unit, how many u64s, their offset
 *   data         the u64 values, at data_offset + desc.offset
 *
 * so a VMM reads the counters a given kernel has without knowing them in
 * advance. The layout is read with pread, so any file in that format works
 * (the unit test writes one by hand).
 */
#define _GNU_SOURCE
#include "vmm/kvm/kvm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int bad(char *err, size_t errlen, const char *what)
{
    snprintf(err, errlen, "KVM statistics file: %s", what);
    return -1;
}

static bool read_at(int fd, void *buf, size_t len, uint64_t off)
{
    return pread(fd, buf, len, (off_t)off) == (ssize_t)len;
}

int kvm_stats_read(int fd, struct kvm_stats *out, char *err, size_t errlen)
{
    struct kvm_stats_header h;
    memset(out, 0, sizeof(*out));
    if (!read_at(fd, &h, sizeof(h), 0))
        return bad(err, errlen, "cannot read the header");
    if (h.name_size == 0 || h.name_size > 4096 || h.num_desc > 100000)
        return bad(err, errlen, "implausible header");
    size_t id_len = h.name_size < sizeof(out->id) ? h.name_size : sizeof(out->id);
    if (!read_at(fd, out->id, id_len, h.id_offset))
        return bad(err, errlen, "cannot read the id string");
    out->id[sizeof(out->id) - 1] = 0;

    size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
    struct kvm_stats_desc *d = malloc(desc_size);
    if (!d)
        return bad(err, errlen, "out of memory");
    for (uint32_t i = 0; i < h.num_desc && out->count < KVM_STATS_MAX; i++) {
        if (!read_at(fd, d, desc_size, h.desc_offset + (uint64_t)i * desc_size)) {
            free(d);
            return bad(err, errlen, "cannot read a descriptor");
        }
        // A histogram is size u64 buckets; we print counters, one u64 each.
        uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
        if (d->size != 1 || type == KVM_STATS_TYPE_LINEAR_HIST ||
            type == KVM_STATS_TYPE_LOG_HIST)
            continue;
        struct kvm_stat *s = &out->stat[out->count];
        if (!read_at(fd, &s->value, sizeof(s->value), (uint64_t)h.data_offset + d->offset)) {
            free(d);
            return bad(err, errlen, "cannot read a value");
        }
        d->name[h.name_size - 1] = 0;
        snprintf(s->name, sizeof(s->name), "%s", d->name);
        s->flags = d->flags;
        s->exponent = d->exponent;
        out->count++;
    }
    free(d);
    return 0;
}

int64_t kvm_stats_get(const struct kvm_stats *s, const char *name)
{
    for (unsigned i = 0; i < s->count; i++)
        if (strcmp(s->stat[i].name, name) == 0)
            return (int64_t)s->stat[i].value;
    return -1;
}

/* One value with its unit: times (unit seconds, exponent -9) in ms. */
static void print_value(const struct kvm_stat *s, FILE *out)
{
    uint32_t unit = s->flags & KVM_STATS_UNIT_MASK;
    if (unit == KVM_STATS_UNIT_SECONDS && s->exponent == -9)
        fprintf(out, "%14.3f ms", s->value / 1e6);
    else if (unit == KVM_STATS_UNIT_BOOLEAN)
        fprintf(out, "%14s", s->value ? "yes" : "no");
    else
        fprintf(out, "%14" PRIu64 "%s", s->value,
                unit == KVM_STATS_UNIT_BYTES ? " B" :
                unit == KVM_STATS_UNIT_CYCLES ? " cycles" : "");
}

void kvm_stats_print(const struct kvm_stats *s, const char *title, FILE *out)
{
    unsigned shown = 0;
    fprintf(out, "%s (%s, non-zero of %u):\n", title, s->id, s->count);
    for (unsigned i = 0; i < s->count; i++) {
        if (s->stat[i].value == 0)
            continue;
        fprintf(out, "  %-32s", s->stat[i].name);
        print_value(&s->stat[i], out);
        fputc('\n', out);
        shown++;
    }
    if (shown == 0)
        fprintf(out, "  (all zero)\n");
}

/* The counters as one JSON object, {"name": value, ...}: KVM's names are C
   identifiers, so they need no escaping. */
void kvm_stats_json(const struct kvm_stats *s, FILE *out)
{
    fputc('{', out);
    for (unsigned i = 0; i < s->count; i++)
        fprintf(out, "%s\"%s\": %llu", i ? ", " : "", s->stat[i].name,
                (unsigned long long)s->stat[i].value);
    fputc('}', out);
}
