/*
 * loader.h - load a Multiboot v1 kernel straight into guest RAM.
 *
 * There is no BIOS and no boot loader inside the guest: the VMM plays GRUB's
 * part, as QEMU's -kernel does. It copies the kernel's segments and any
 * modules into guest RAM, builds the multiboot information structure, and
 * tells the engine where to start (chapter 2, "Booting without a BIOS";
 * the boot protocol itself is in chapter 1, "The guest machine").
 *
 * The engine then starts the vCPU in 32-bit protected mode, paging off,
 * flat segments, EIP = entry, EAX = LOADER_BOOT_MAGIC, EBX = info_addr.
 */
#ifndef VMM_LOADER_H
#define VMM_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/guest-mem.h"

#define LOADER_BOOT_MAGIC   0x2BADB002u /* EAX at entry: "a multiboot loader booted you" */
#define LOADER_INFO_ADDR    0x10000u    /* the info area: structure, memory map, strings */
#define LOADER_INFO_SIZE    0x10000u    /* ... [64 KiB, 128 KiB), below the 640 KiB hole */
#define LOADER_MAX_SEGMENTS 16          /* loadable segments in one kernel */
#define LOADER_MAX_MODULES  16
#define LOADER_MAX_RANGES   (LOADER_MAX_SEGMENTS + LOADER_MAX_MODULES + 1)

/* A module (an initial ramdisk, say): read from path, or taken from data. */
struct loader_module {
    const char *path;                   /* file to read; NULL to use data/size */
    const void *data;
    size_t size;
    const char *cmdline;                /* its string for the kernel; NULL: path or "" */
};

/* What to boot. name labels the error messages ("kernel.elf: ..."). */
struct loader_config {
    const char *name;
    const void *image;                  /* the kernel file's bytes */
    size_t image_size;
    const char *cmdline;                /* passed verbatim; NULL means "" */
    const struct loader_module *modules;
    unsigned nmodules;
};

/* One guest-physical range the loader filled, for the monitor and -v. */
struct loader_range {
    uint64_t start, end;                /* [start, end) */
    char what[32];                      /* "segment 1", "module 0", "multiboot info" */
};

struct loader_result {
    uint32_t entry;                     /* guest-physical EIP to start at */
    uint32_t info_addr;                 /* EBX: the multiboot information structure */
    unsigned nranges;
    struct loader_range ranges[LOADER_MAX_RANGES];
};

/*
 * Check the kernel image and modules, then load them into mem and build the
 * multiboot information. Returns 0, or -1 with one line in err (no newline)
 * that names the file and the problem. Nothing is written to mem on error.
 */
int loader_load(struct guest_mem *mem, const struct loader_config *cfg,
                struct loader_result *out, char *err, size_t errlen);

/* loader_load for a kernel in a file; messages are labelled with path. */
int loader_load_file(struct guest_mem *mem, const char *path, const char *cmdline,
                     const struct loader_module *modules, unsigned nmodules,
                     struct loader_result *out, char *err, size_t errlen);

/* Print the entry point and the loaded ranges, one per line. */
void loader_print(const struct loader_result *res, FILE *f);

#endif
