/*
 * test_kvm_stats.c - reading KVM's binary statistics format
 * (vmm/kvm/kvm-stats.c): a file written by hand in the layout of
 * Documentation/virt/kvm/api.rst (header, id, descriptors, data), a
 * malformed one, and, where /dev/kvm opens, a real VM's statistics file.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/kvm/kvm.h"

#define NAME_SIZE 48                    /* KVM uses KVM_STATS_NAME_SIZE, 48 */

struct sample_stat {
    const char *name;
    uint32_t    flags;
    int16_t     exponent;
    uint16_t    size;                   /* u64s: 1, or buckets of a histogram */
    uint64_t    first_value;
};

/* Write a statistics file with the given counters into a memfd. */
static int sample_file(const struct sample_stat *st, unsigned n)
{
    int fd = memfd_create("kvm-stats", 0);
    assert_true(fd >= 0);
    size_t desc_size = sizeof(struct kvm_stats_desc) + NAME_SIZE;
    struct kvm_stats_header h = {
        .name_size = NAME_SIZE,
        .num_desc = n,
        .id_offset = sizeof(h),
        .desc_offset = sizeof(h) + NAME_SIZE,
        .data_offset = sizeof(h) + NAME_SIZE + n * desc_size,
    };
    assert_int_equal(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
    char id[NAME_SIZE] = "kvm-4242/vcpu-0";
    assert_int_equal(pwrite(fd, id, sizeof(id), h.id_offset), sizeof(id));
    uint32_t offset = 0;
    for (unsigned i = 0; i < n; i++) {
        char buf[sizeof(struct kvm_stats_desc) + NAME_SIZE] = { 0 };
        struct kvm_stats_desc *d = (struct kvm_stats_desc *)buf;
        d->flags = st[i].flags;
        d->exponent = st[i].exponent;
        d->size = st[i].size;
        d->offset = offset;
        snprintf(d->name, NAME_SIZE, "%s", st[i].name);
        assert_int_equal(pwrite(fd, buf, desc_size, h.desc_offset + i * desc_size),
                         (ssize_t)desc_size);
        for (unsigned j = 0; j < st[i].size; j++) {
            uint64_t v = st[i].first_value + j;
            assert_int_equal(pwrite(fd, &v, 8, h.data_offset + offset + 8 * j), 8);
        }
        offset += 8u * st[i].size;
    }
    return fd;
}

static const struct sample_stat sample[] = {
    { "exits", KVM_STATS_TYPE_CUMULATIVE, 0, 1, 1234 },
    { "halt_poll_success_hist", KVM_STATS_TYPE_LOG_HIST | KVM_STATS_UNIT_SECONDS, -9, 32, 5 },
    { "io_exits", KVM_STATS_TYPE_CUMULATIVE, 0, 1, 44 },
    { "halt_wait_ns", KVM_STATS_TYPE_CUMULATIVE | KVM_STATS_UNIT_SECONDS, -9, 1, 2500000 },
    { "pf_fixed", KVM_STATS_TYPE_CUMULATIVE, 0, 1, 0 },
    { "guest_mode", KVM_STATS_TYPE_INSTANT | KVM_STATS_UNIT_BOOLEAN, 0, 1, 1 },
};
#define NSAMPLE (sizeof(sample) / sizeof(sample[0]))

static void test_read_sample(void **state)
{
    struct kvm_stats s;
    char err[128];
    (void)state;
    int fd = sample_file(sample, NSAMPLE);
    assert_int_equal(kvm_stats_read(fd, &s, err, sizeof(err)), 0);
    close(fd);
    assert_string_equal(s.id, "kvm-4242/vcpu-0");
    assert_int_equal(s.count, NSAMPLE - 1);            /* the histogram is skipped */
    assert_int_equal(kvm_stats_get(&s, "exits"), 1234);
    assert_int_equal(kvm_stats_get(&s, "io_exits"), 44);  /* after the histogram's 32 u64s */
    assert_int_equal(kvm_stats_get(&s, "halt_wait_ns"), 2500000);
    assert_int_equal(kvm_stats_get(&s, "pf_fixed"), 0);
    assert_int_equal(kvm_stats_get(&s, "halt_poll_success_hist"), -1);
    assert_int_equal(kvm_stats_get(&s, "no_such_counter"), -1);
}

static void test_print(void **state)
{
    struct kvm_stats s;
    char err[128], *buf = NULL;
    size_t len = 0;
    (void)state;
    int fd = sample_file(sample, NSAMPLE);
    assert_int_equal(kvm_stats_read(fd, &s, err, sizeof(err)), 0);
    close(fd);
    FILE *out = open_memstream(&buf, &len);
    kvm_stats_print(&s, "KVM's counters for the vCPU", out);
    fclose(out);
    assert_non_null(strstr(buf, "KVM's counters for the vCPU (kvm-4242/vcpu-0, non-zero of 5):"));
    assert_non_null(strstr(buf, "exits"));
    assert_non_null(strstr(buf, "1234\n"));
    assert_non_null(strstr(buf, "2.500 ms"));          /* nanoseconds shown as ms */
    assert_non_null(strstr(buf, "yes"));
    assert_null(strstr(buf, "pf_fixed"));              /* zero: not shown */
    free(buf);
}

static void test_malformed(void **state)
{
    struct kvm_stats s;
    char err[128];
    (void)state;
    int fd = memfd_create("empty", 0);
    assert_int_equal(kvm_stats_read(fd, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "header"));
    struct kvm_stats_header h = { .name_size = 48, .num_desc = 3, .id_offset = 24,
                                  .desc_offset = 72, .data_offset = 4096 };
    assert_int_equal(pwrite(fd, &h, sizeof(h), 0), sizeof(h));
    assert_int_equal(ftruncate(fd, 100), 0);           /* descriptors cut off */
    assert_int_equal(kvm_stats_read(fd, &s, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "descriptor"));
    close(fd);
}

/* A real VM's file, where this host has /dev/kvm with binary statistics. */
static void test_live_vm(void **state)
{
    struct kvm_stats s;
    char err[128];
    (void)state;
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0 || ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0) {
        if (kvm >= 0)
            close(kvm);
        skip();
    }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    assert_true(vm >= 0);
    int fd = ioctl(vm, KVM_GET_STATS_FD, NULL);
    assert_true(fd >= 0);
    assert_int_equal(kvm_stats_read(fd, &s, err, sizeof(err)), 0);
    assert_true(s.count > 0);
    assert_int_equal(strncmp(s.id, "kvm-", 4), 0);
    close(fd);
    close(vm);
    close(kvm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_sample),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_live_vm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
