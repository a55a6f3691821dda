/*
 * mkramfs.c - pack user programs into the ramfs image the kernel links in
 * (chapter 1, "Programs"). Host tool, run by the build:
 *
 *     mkramfs OUT.img FILE...
 *
 * Each file is stored under its base name. Names longer than the format
 * allows, duplicate names and unreadable files are errors.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest-os/tools/ramfs-pack.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mkramfs OUT.img FILE...\n");
        return 2;
    }
    struct ramfs_builder b;
    ramfs_builder_init(&b);
    for (int i = 2; i < argc; i++) {
        char err[256];
        char *copy = strdup(argv[i]);
        if (ramfs_add_file(&b, basename(copy), argv[i], err, sizeof err) < 0) {
            fprintf(stderr, "mkramfs: %s\n", err);
            return 1;
        }
        free(copy);
    }
    size_t size;
    unsigned char *image = ramfs_build(&b, &size);
    FILE *f = fopen(argv[1], "wb");
    if (!image || !f || fwrite(image, 1, size, f) != size || fclose(f) != 0) {
        fprintf(stderr, "mkramfs: cannot write %s\n", argv[1]);
        return 1;
    }
    free(image);
    ramfs_builder_free(&b);
    return 0;
}
