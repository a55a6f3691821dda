/*
 * ramfs-pack.c - build a ramfs image in memory (host side; chapter 1).
 * The reader is guest-os/lib/ramfs.c; the format is guest-os/include/ramfs.h.
 * Files are 4-byte aligned in the image so the kernel can read ELF headers
 * in place.
 */
#include "guest-os/tools/ramfs-pack.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ramfs_builder_init(struct ramfs_builder *b)
{
    memset(b, 0, sizeof(*b));
}

void ramfs_builder_free(struct ramfs_builder *b)
{
    for (unsigned int i = 0; i < b->count; i++)
        free(b->data[i]);
    ramfs_builder_init(b);
}

int ramfs_add(struct ramfs_builder *b, const char *name, const void *data, size_t size,
              char *err, size_t errlen)
{
    if (strlen(name) == 0 || strlen(name) >= RAMFS_NAME_MAX) {
        snprintf(err, errlen, "%s: name must be 1 to %d characters", name, RAMFS_NAME_MAX - 1);
        return -1;
    }
    if (b->count == RAMFS_MAX_FILES) {
        snprintf(err, errlen, "%s: more than %d files", name, RAMFS_MAX_FILES);
        return -1;
    }
    for (unsigned int i = 0; i < b->count; i++) {
        if (strcmp(b->names[i], name) == 0) {
            snprintf(err, errlen, "%s: name given twice", name);
            return -1;
        }
    }
    unsigned char *copy = malloc(size ? size : 1);
    if (!copy) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    memcpy(copy, data, size);
    strcpy(b->names[b->count], name);
    b->data[b->count] = copy;
    b->size[b->count] = size;
    b->count++;
    return 0;
}

int ramfs_add_file(struct ramfs_builder *b, const char *name, const char *path,
                   char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    unsigned char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap)
            buf = realloc(buf, cap *= 2);
    }
    int bad = !buf || ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        snprintf(err, errlen, "%s: cannot read", path);
        return -1;
    }
    int r = ramfs_add(b, name, buf, len, err, errlen);
    free(buf);
    return r;
}

unsigned char *ramfs_build(const struct ramfs_builder *b, size_t *size)
{
    size_t off = sizeof(struct ramfs_header) + b->count * sizeof(struct ramfs_entry);
    size_t total = off;
    for (unsigned int i = 0; i < b->count; i++)
        total += (b->size[i] + 3) & ~(size_t)3;
    if (total > UINT32_MAX)
        return NULL;
    unsigned char *image = calloc(1, total);
    if (!image)
        return NULL;
    struct ramfs_header *h = (struct ramfs_header *)image;
    memcpy(h->magic, RAMFS_MAGIC, 8);
    h->count = b->count;
    struct ramfs_entry *e = (struct ramfs_entry *)(h + 1);
    for (unsigned int i = 0; i < b->count; i++) {
        strcpy(e[i].name, b->names[i]);
        e[i].offset = (unsigned int)off;
        e[i].size = (unsigned int)b->size[i];
        memcpy(image + off, b->data[i], b->size[i]);
        off += (b->size[i] + 3) & ~(size_t)3;
    }
    *size = total;
    return image;
}
