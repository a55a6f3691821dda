/*
 * test_ramfs.c - the ramfs image: packing on the host (guest-os/tools) and
 * the lookup the guest kernel uses (guest-os/lib/ramfs.c), chapter 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "guest-os/tools/ramfs-pack.h"

static unsigned char *pack3(size_t *size)
{
    struct ramfs_builder b;
    char err[128];
    ramfs_builder_init(&b);
    assert_int_equal(ramfs_add(&b, "sh", "SHELL", 5, err, sizeof err), 0);
    assert_int_equal(ramfs_add(&b, "empty", "", 0, err, sizeof err), 0);
    assert_int_equal(ramfs_add(&b, "compute", "0123456789", 10, err, sizeof err), 0);
    unsigned char *image = ramfs_build(&b, size);
    ramfs_builder_free(&b);
    assert_non_null(image);
    return image;
}

static void test_pack_and_find(void **state)
{
    (void)state;
    size_t size;
    unsigned char *image = pack3(&size);
    const void *data;
    unsigned int len;
    assert_int_equal(ramfs_find(image, (unsigned)size, "compute", &data, &len), 0);
    assert_int_equal(len, 10);
    assert_memory_equal(data, "0123456789", 10);
    assert_int_equal((uintptr_t)data % 4, 0);           /* files are 4-byte aligned */
    assert_int_equal(ramfs_find(image, (unsigned)size, "sh", &data, &len), 0);
    assert_memory_equal(data, "SHELL", 5);
    assert_int_equal(ramfs_find(image, (unsigned)size, "empty", &data, &len), 0);
    assert_int_equal(len, 0);
    assert_int_equal(ramfs_find(image, (unsigned)size, "nope", &data, &len), -1);
    assert_int_equal(ramfs_find(image, (unsigned)size, "comput", &data, &len), -1);
    free(image);
}

static void test_names_in_order(void **state)
{
    (void)state;
    size_t size;
    unsigned char *image = pack3(&size);
    assert_string_equal(ramfs_name(image, (unsigned)size, 0), "sh");
    assert_string_equal(ramfs_name(image, (unsigned)size, 1), "empty");
    assert_string_equal(ramfs_name(image, (unsigned)size, 2), "compute");
    assert_null(ramfs_name(image, (unsigned)size, 3));
    free(image);
}

static void test_builder_refuses_bad_names(void **state)
{
    (void)state;
    struct ramfs_builder b;
    char err[128];
    ramfs_builder_init(&b);
    assert_int_equal(ramfs_add(&b, "", "x", 1, err, sizeof err), -1);
    assert_int_equal(ramfs_add(&b, "a-name-that-is-far-too-long-for-it", "x", 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "name must be"));
    assert_int_equal(ramfs_add(&b, "twice", "x", 1, err, sizeof err), 0);
    assert_int_equal(ramfs_add(&b, "twice", "y", 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(ramfs_add_file(&b, "missing", "/nonexistent/file", err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    ramfs_builder_free(&b);
}

static void test_corrupt_images_find_nothing(void **state)
{
    (void)state;
    size_t size;
    unsigned char *image = pack3(&size);
    const void *data;
    unsigned int len;

    /* Truncated: the header alone, or less. */
    assert_int_equal(ramfs_find(image, 4, "sh", &data, &len), -1);
    assert_int_equal(ramfs_find(image, sizeof(struct ramfs_header), "sh", &data, &len), -1);

    /* Bad magic. */
    image[0] ^= 0xFF;
    assert_int_equal(ramfs_find(image, (unsigned)size, "sh", &data, &len), -1);
    image[0] ^= 0xFF;

    /* A count larger than the table that fits. */
    struct ramfs_header *h = (struct ramfs_header *)image;
    h->count = 1000;
    assert_int_equal(ramfs_find(image, (unsigned)size, "sh", &data, &len), -1);
    assert_null(ramfs_name(image, (unsigned)size, 0));
    h->count = 3;

    /* An entry whose bytes run past the end, or whose offset overflows. */
    struct ramfs_entry *e = (struct ramfs_entry *)(h + 1);
    e[0].size = 0xFFFFFFF0u;
    assert_int_equal(ramfs_find(image, (unsigned)size, "sh", &data, &len), -1);
    e[0].size = 5;
    e[0].offset = 0xFFFFFFFFu;
    assert_int_equal(ramfs_find(image, (unsigned)size, "sh", &data, &len), -1);

    /* A name without its NUL is no name. */
    memset(e[1].name, 'x', RAMFS_NAME_MAX);
    assert_null(ramfs_name(image, (unsigned)size, 1));
    free(image);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_and_find),
        cmocka_unit_test(test_names_in_order),
        cmocka_unit_test(test_builder_refuses_bad_names),
        cmocka_unit_test(test_corrupt_images_find_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
