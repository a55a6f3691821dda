/* ramfs-pack.h - build a ramfs image in memory (host side; chapter 1). */
#ifndef GUEST_TOOLS_RAMFS_PACK_H
#define GUEST_TOOLS_RAMFS_PACK_H

#include <stddef.h>

#include "guest-os/include/ramfs.h"

struct ramfs_builder {
    unsigned int  count;
    char          names[RAMFS_MAX_FILES][RAMFS_NAME_MAX];
    unsigned char *data[RAMFS_MAX_FILES];
    size_t        size[RAMFS_MAX_FILES];
};

void ramfs_builder_init(struct ramfs_builder *b);
void ramfs_builder_free(struct ramfs_builder *b);

/* Add a copy of data[0..size) under name. Returns 0, or -1 with err set. */
int ramfs_add(struct ramfs_builder *b, const char *name, const void *data, size_t size,
              char *err, size_t errlen);

/* Add the contents of the file at path under name. */
int ramfs_add_file(struct ramfs_builder *b, const char *name, const char *path,
                   char *err, size_t errlen);

/* The image, malloc'ed (caller frees), its size in *size; NULL if too big. */
unsigned char *ramfs_build(const struct ramfs_builder *b, size_t *size);

#endif
