/*
 * ramfs.c - look a program up in the ramfs image (chapter 1, "Programs").
 *
 * Compiled twice: into the guest kernel, and into the host unit tests, so the
 * lookup the kernel trusts is the one the tests check. Every offset in the
 * image is checked against its size: a corrupt image finds nothing.
 */
#include "guest-os/include/ramfs.h"

static int same(const char *a, const char *b, unsigned int max)
{
    for (unsigned int i = 0; i < max; i++) {
        if (a[i] != b[i])
            return 0;
        if (a[i] == 0)
            return 1;
    }
    return 0;   /* no NUL within max: not a valid name */
}

static const struct ramfs_entry *entries(const void *image, unsigned int image_size,
                                         unsigned int *count)
{
    const struct ramfs_header *h = image;
    if (image_size < sizeof(*h) || !same(h->magic, RAMFS_MAGIC, 8))
        return 0;
    if (h->count > RAMFS_MAX_FILES ||
        h->count * sizeof(struct ramfs_entry) > image_size - sizeof(*h))
        return 0;
    *count = h->count;
    return (const struct ramfs_entry *)(h + 1);
}

int ramfs_find(const void *image, unsigned int image_size, const char *name,
               const void **data, unsigned int *size)
{
    unsigned int count;
    const struct ramfs_entry *e = entries(image, image_size, &count);
    if (!e)
        return -1;
    for (unsigned int i = 0; i < count; i++) {
        if (!same(e[i].name, name, RAMFS_NAME_MAX))
            continue;
        if (e[i].offset > image_size || e[i].size > image_size - e[i].offset)
            return -1;
        *data = (const char *)image + e[i].offset;
        *size = e[i].size;
        return 0;
    }
    return -1;
}

const char *ramfs_name(const void *image, unsigned int image_size, unsigned int i)
{
    unsigned int count;
    const struct ramfs_entry *e = entries(image, image_size, &count);
    if (!e || i >= count || e[i].name[RAMFS_NAME_MAX - 1] != 0)
        return 0;
    return e[i].name;
}
