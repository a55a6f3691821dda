/*
 * fuzz-loader.c - libFuzzer target: random kernel images for the multiboot
 * loader (vmm/loader.c; chapter 2, "Booting without a BIOS"; the fuzzing is
 * in chapter 9, "Reliability").
 *
 * Each input is a kernel file, loaded with a command line and one module
 * into 2 MiB of guest RAM. What must hold: no crash, no access outside the
 * image or RAM (both are exact-size malloc blocks, so AddressSanitizer sees
 * a stray byte), exactly one error line on failure, RAM untouched on
 * failure, and on success an entry point and ranges that lie in RAM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/loader.h"

#define RAM_SIZE (2u << 20)               /* the least a multiboot kernel gets */

static uint8_t *ram;

static void bug(const char *what)
{
    fprintf(stderr, "fuzz-loader: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char module_bytes[] = "a small module";
    if (!ram)
        ram = malloc(RAM_SIZE);
    struct guest_mem mem = { .fd = -1, .host = ram, .size = RAM_SIZE };
    /* An exact copy, so that ASan notices a read one byte past the image. */
    uint8_t *image = malloc(size ? size : 1);
    memcpy(image, data, size);
    struct loader_module mod = { .data = module_bytes, .size = sizeof module_bytes,
                                 .cmdline = "mod" };
    struct loader_config cfg = {
        .name = "fuzz.elf", .image = image, .image_size = size,
        .cmdline = "run=compute n=1", .modules = &mod, .nmodules = 1,
    };
    struct loader_result res;
    char err[512];

    memset(ram, 0xAB, RAM_SIZE);
    err[0] = 0;
    if (loader_load(&mem, &cfg, &res, err, sizeof err) < 0) {
        if (!err[0] || strchr(err, '\n'))
            bug("a failure without exactly one error line");
        for (size_t i = 0; i < RAM_SIZE; i += 4096)     /* sampled: a full scan is slow */
            if (ram[i] != 0xAB || ram[i + 4095] != 0xAB)
                bug("guest RAM written although loading failed");
    } else {
        int entry_in_range = 0;
        for (unsigned i = 0; i < res.nranges; i++) {
            if (res.ranges[i].start > res.ranges[i].end || res.ranges[i].end > RAM_SIZE)
                bug("a loaded range outside RAM");
            if (res.entry >= res.ranges[i].start && res.entry < res.ranges[i].end)
                entry_in_range = 1;
        }
        if (!entry_in_range)
            bug("the entry point lies in no loaded range");
    }
    free(image);
    return 0;
}
