/*
 * ramfs.h - the format of the ramfs image that holds the user programs.
 *
 * The build packs every user program into one image (tools/mkramfs.c) and
 * links it into the kernel, so the kernel needs no file system driver to
 * exec a program (chapter 1, "Programs"). The layout is a header, a table of
 * entries and the files' bytes; all numbers little-endian.
 */
#ifndef GUEST_RAMFS_H
#define GUEST_RAMFS_H

#define RAMFS_MAGIC    "RAMFS01"        /* 8 bytes with its NUL */
#define RAMFS_NAME_MAX 24               /* including the NUL */
#define RAMFS_MAX_FILES 64

struct ramfs_header {
    char         magic[8];
    unsigned int count;                 /* number of entries that follow */
};

struct ramfs_entry {
    char         name[RAMFS_NAME_MAX];
    unsigned int offset;                /* from the start of the image */
    unsigned int size;
};

/* Find name in the image of image_size bytes. On success set *data and *size
 * and return 0; return -1 if absent or if the image is malformed. */
int ramfs_find(const void *image, unsigned int image_size, const char *name,
               const void **data, unsigned int *size);

/* Name of entry i, or 0 past the end (or for a malformed image). */
const char *ramfs_name(const void *image, unsigned int image_size, unsigned int i);

#endif
