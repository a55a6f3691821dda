/*
 * test_loader.c - unit tests of the Multiboot v1 loader (vmm/loader.c;
 * chapter 2, "Booting without a BIOS").
 *
 * Each test builds a small i386 kernel image in memory (ELF header, program
 * headers, multiboot header, segment bytes), loads it into 64 MiB of guest
 * RAM, and checks what landed where, or, for a broken image, that the one
 * error line names the problem and that guest RAM was left untouched.
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/guest-mem.h"
#include "vmm/loader.h"

#define RAM_SIZE   (64u << 20)
#define MB_MAGIC   0x1BADB002u
#define IMG_CAP    (16 * 1024)
#define DATA_OFF   0x1000u              /* segment bytes start here in the file */
#define DATA_STEP  0x200u               /* ... one slot per program header */
#define MB_OFF     0x400u               /* default place of the multiboot header */

/* ---- building images -------------------------------------------------- */

struct seg_spec {
    uint32_t type, paddr, vaddr, filesz, memsz;
};

struct image {
    _Alignas(8) uint8_t buf[IMG_CAP];
    size_t len;
};

static Elf32_Ehdr *ehdr(struct image *im)
{
    return (Elf32_Ehdr *)im->buf;
}

static Elf32_Phdr *phdr(struct image *im, int i)
{
    return (Elf32_Phdr *)(im->buf + sizeof(Elf32_Ehdr)) + i;
}

static void put32(struct image *im, size_t off, uint32_t v)
{
    memcpy(im->buf + off, &v, 4);
}

/* Write a multiboot header at off with these flags and a right checksum. */
static void set_mb(struct image *im, size_t off, uint32_t flags)
{
    put32(im, off, MB_MAGIC);
    put32(im, off + 4, flags);
    put32(im, off + 8, -(MB_MAGIC + flags));
    if (im->len < off + 12)
        im->len = off + 12;
}

/* An i386 ET_EXEC image: segment i's file bytes are all 0x10+i. */
static void build(struct image *im, const struct seg_spec *segs, int n, uint32_t entry)
{
    memset(im, 0, sizeof *im);
    Elf32_Ehdr *e = ehdr(im);
    memcpy(e->e_ident, ELFMAG, SELFMAG);
    e->e_ident[EI_CLASS] = ELFCLASS32;
    e->e_ident[EI_DATA] = ELFDATA2LSB;
    e->e_ident[EI_VERSION] = EV_CURRENT;
    e->e_type = ET_EXEC;
    e->e_machine = EM_386;
    e->e_version = EV_CURRENT;
    e->e_entry = entry;
    e->e_phoff = sizeof(Elf32_Ehdr);
    e->e_ehsize = sizeof(Elf32_Ehdr);
    e->e_phentsize = sizeof(Elf32_Phdr);
    e->e_phnum = n;
    im->len = DATA_OFF + n * DATA_STEP;
    for (int i = 0; i < n; i++) {
        Elf32_Phdr *ph = phdr(im, i);
        assert_true(segs[i].filesz <= DATA_STEP);
        ph->p_type = segs[i].type;
        ph->p_offset = DATA_OFF + i * DATA_STEP;
        ph->p_paddr = segs[i].paddr;
        ph->p_vaddr = segs[i].vaddr;
        ph->p_filesz = segs[i].filesz;
        ph->p_memsz = segs[i].memsz;
        ph->p_flags = PF_R | PF_X;
        memset(im->buf + ph->p_offset, 0x10 + i, segs[i].filesz);
    }
    set_mb(im, MB_OFF, 0);
}

/* The usual kernel: higher-half text, data with a bss, entry by its
 * virtual address as a linker would leave it. */
static const struct seg_spec usual[] = {
    { PT_LOAD, 0x100000, 0xC0100000, 0x200, 0x1000 },
    { PT_LOAD, 0x101000, 0xC0101000, 0x100, 0x3000 },
};

static void build_usual(struct image *im)
{
    build(im, usual, 2, 0xC010000C);
}

/* ---- loading and reading back ----------------------------------------- */

struct fixture {
    struct guest_mem mem;
    struct loader_result res;
    char err[256];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(guest_mem_init(&f->mem, RAM_SIZE), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    guest_mem_destroy(&f->mem);
    free(f);
    return 0;
}

static int load_mods(struct fixture *f, struct image *im, const char *cmdline,
                     const struct loader_module *mods, unsigned n)
{
    struct loader_config cfg = {
        .name = "kernel.elf", .image = im->buf, .image_size = im->len,
        .cmdline = cmdline, .modules = mods, .nmodules = n,
    };
    f->err[0] = '\0';
    return loader_load(&f->mem, &cfg, &f->res, f->err, sizeof f->err);
}

static int load(struct fixture *f, struct image *im)
{
    return load_mods(f, im, "", NULL, 0);
}

static uint32_t rd32(struct fixture *f, uint64_t gpa)
{
    uint32_t v;
    assert_int_equal(gpa_read(&f->mem, gpa, &v, 4), 0);
    return v;
}

static uint64_t rd64(struct fixture *f, uint64_t gpa)
{
    uint64_t v;
    assert_int_equal(gpa_read(&f->mem, gpa, &v, 8), 0);
    return v;
}

/* The NUL-terminated string at gpa, which must lie inside the info area. */
static const char *rdstr(struct fixture *f, uint32_t gpa)
{
    assert_true(gpa >= LOADER_INFO_ADDR && gpa < LOADER_INFO_ADDR + LOADER_INFO_SIZE);
    const char *s = gpa_ptr(&f->mem, gpa, 1);
    assert_non_null(memchr(s, '\0', LOADER_INFO_ADDR + LOADER_INFO_SIZE - gpa));
    return s;
}

/* Every byte of [gpa, gpa+len) equals b. */
static void assert_bytes(struct fixture *f, uint64_t gpa, uint64_t len, uint8_t b)
{
    const uint8_t *p = gpa_ptr(&f->mem, gpa, len);
    assert_non_null(p);
    for (uint64_t i = 0; i < len; i++)
        if (p[i] != b)
            fail_msg("byte at 0x%llx is 0x%02x, expected 0x%02x",
                     (unsigned long long)(gpa + i), p[i], b);
}

/* Zero the low 2 MiB again, where loads put things. */
static void wipe(struct fixture *f)
{
    memset(gpa_ptr(&f->mem, 0, 2u << 20), 0, 2u << 20);
}

/* The load failed, the message names the file and says `what`, and no
 * guest RAM was written (RAM starts as zeros; we check the usual places). */
static void expect_error(struct fixture *f, int rc, const char *what)
{
    assert_int_equal(rc, -1);
    if (!strstr(f->err, what))
        fail_msg("error \"%s\" does not say \"%s\"", f->err, what);
    assert_null(strchr(f->err, '\n'));
    assert_bytes(f, LOADER_INFO_ADDR, 256, 0);
    assert_bytes(f, 0x100000, 0x4000, 0);
}

/* ---- loading right ---------------------------------------------------- */

static void test_usual_kernel(void **state)
{
    struct fixture *f = *state;
    struct image im;
    static uint8_t initrd[5000];
    static uint8_t blob[100];
    struct loader_module mods[] = {
        { .data = initrd, .size = sizeof initrd, .cmdline = "initrd.img root=ram" },
        { .data = blob, .size = sizeof blob },
    };

    memset(initrd, 0x5A, sizeof initrd);
    memset(blob, 0xC3, sizeof blob);
    build_usual(&im);
    /* Dirty the bss first: the loader must zero it, not trust fresh RAM. */
    memset(gpa_ptr(&f->mem, 0x101000, 0x3000), 0xFF, 0x3000);

    assert_int_equal(load_mods(f, &im, "run=forkwait n=2000", mods, 2), 0);
    assert_string_equal(f->err, "");
    assert_int_equal(f->res.entry, 0x10000C);          /* translated */
    assert_int_equal(f->res.info_addr, LOADER_INFO_ADDR);

    /* Segments at p_paddr, bss zeroed. */
    assert_bytes(f, 0x100000, 0x200, 0x10);
    assert_bytes(f, 0x100200, 0xE00, 0);
    assert_bytes(f, 0x101000, 0x100, 0x11);
    assert_bytes(f, 0x101100, 0x2F00, 0);

    /* The information structure at the spec's offsets. */
    uint32_t mbi = f->res.info_addr;
    uint32_t flags = rd32(f, mbi + 0);
    assert_int_equal(flags, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9));
    assert_int_equal(rd32(f, mbi + 4), 639);
    assert_int_equal(rd32(f, mbi + 8), (RAM_SIZE - (1 << 20)) / 1024);
    assert_string_equal(rdstr(f, rd32(f, mbi + 16)), "run=forkwait n=2000");
    assert_string_equal(rdstr(f, rd32(f, mbi + 64)), "teaching-vmm");

    /* The memory map: 4 entries of 24 bytes, each led by size = 20. */
    static const uint64_t map[4][3] = {
        { 0x0,      0x9FC00,             1 },
        { 0x9FC00,  0x400,               2 },
        { 0xF0000,  0x10000,             2 },
        { 0x100000, RAM_SIZE - 0x100000, 1 },
    };
    uint32_t mmap = rd32(f, mbi + 48);
    assert_int_equal(rd32(f, mbi + 44), 4 * 24);
    for (int i = 0; i < 4; i++) {
        uint32_t e = mmap + i * 24;
        assert_int_equal(rd32(f, e), 20);
        assert_int_equal(rd64(f, e + 4), map[i][0]);
        assert_int_equal(rd64(f, e + 12), map[i][1]);
        assert_int_equal(rd32(f, e + 20), map[i][2]);
    }

    /* Modules: page-aligned after the kernel's last byte (0x104000). */
    assert_int_equal(rd32(f, mbi + 20), 2);
    uint32_t mods_addr = rd32(f, mbi + 24);
    assert_int_equal(rd32(f, mods_addr + 0), 0x104000);
    assert_int_equal(rd32(f, mods_addr + 4), 0x104000 + sizeof initrd);
    assert_string_equal(rdstr(f, rd32(f, mods_addr + 8)), "initrd.img root=ram");
    assert_int_equal(rd32(f, mods_addr + 16), 0x106000);
    assert_int_equal(rd32(f, mods_addr + 20), 0x106000 + sizeof blob);
    assert_string_equal(rdstr(f, rd32(f, mods_addr + 24)), "");
    assert_bytes(f, 0x104000, sizeof initrd, 0x5A);
    assert_bytes(f, 0x106000, sizeof blob, 0xC3);

    /* Ranges for the monitor: two segments, two modules, the info area. */
    assert_int_equal(f->res.nranges, 5);
    assert_int_equal(f->res.ranges[1].start, 0x101000);
    assert_int_equal(f->res.ranges[1].end, 0x104000);
    assert_string_equal(f->res.ranges[1].what, "segment 1");
    assert_string_equal(f->res.ranges[3].what, "module 1");
    assert_string_equal(f->res.ranges[4].what, "multiboot info");

    /* loader_print shows the entry and every range. */
    char out[1024] = "";
    FILE *mf = fmemopen(out, sizeof out - 1, "w");
    assert_non_null(mf);
    loader_print(&f->res, mf);
    fclose(mf);
    assert_non_null(strstr(out, "entry 0x0010000c"));
    assert_non_null(strstr(out, "[0x00104000, 0x00105388) module 0"));
}

static void test_low_kernel_without_modules(void **state)
{
    struct fixture *f = *state;
    struct image im;
    const struct seg_spec segs[] = {
        { PT_NULL, 0, 0, 0, 0 },                        /* skipped */
        { PT_LOAD, 0x100000, 0x100000, 0x100, 0x100 },
        { PT_LOAD, 0x200000, 0x200000, 0, 0 },          /* empty: skipped */
    };

    build(&im, segs, 3, 0x100010);
    assert_int_equal(load(f, &im), 0);
    assert_int_equal(f->res.entry, 0x100010);
    assert_int_equal(f->res.nranges, 2);
    assert_string_equal(f->res.ranges[0].what, "segment 1");
    assert_int_equal(rd32(f, LOADER_INFO_ADDR + 20), 0);   /* mods_count */
    assert_string_equal(rdstr(f, rd32(f, LOADER_INFO_ADDR + 16)), "");
}

/* xv6 style: higher-half segments, but e_entry already physical. */
static void test_physical_entry_kept(void **state)
{
    struct fixture *f = *state;
    struct image im;

    build(&im, usual, 2, 0x10000C);
    assert_int_equal(load(f, &im), 0);
    assert_int_equal(f->res.entry, 0x10000C);
}

/* Required bits 0 and 1 are honoured; bit 16 on an ELF image is ignored. */
static void test_supported_flags(void **state)
{
    struct fixture *f = *state;
    struct image im;

    build_usual(&im);
    set_mb(&im, MB_OFF, (1 << 0) | (1 << 1) | (1 << 16));
    put32(&im, MB_OFF + 16, 0x5000000);                 /* a nonsense load_addr */
    assert_int_equal(load(f, &im), 0);
    assert_bytes(f, 0x100000, 0x200, 0x10);
}

/* The a.out kludge: a flat binary placed by the header's address fields. */
static void test_aout_kludge(void **state)
{
    struct fixture *f = *state;
    struct image im;

    memset(&im, 0, sizeof im);
    memset(im.buf, 0x90, 0x200);                        /* the "code" */
    set_mb(&im, 0x40, 1u << 16);
    put32(&im, 0x40 + 12, 0x100040);                    /* header_addr */
    put32(&im, 0x40 + 16, 0x100000);                    /* load_addr */
    put32(&im, 0x40 + 20, 0x100200);                    /* load_end_addr */
    put32(&im, 0x40 + 24, 0x102000);                    /* bss_end_addr */
    put32(&im, 0x40 + 28, 0x100080);                    /* entry_addr */
    im.len = 0x200;
    memset(gpa_ptr(&f->mem, 0x100200, 0x1E00), 0xFF, 0x1E00);

    assert_int_equal(load(f, &im), 0);
    assert_int_equal(f->res.entry, 0x100080);
    assert_bytes(f, 0x100000, 0x40, 0x90);
    assert_int_equal(rd32(f, 0x100040), MB_MAGIC);
    assert_bytes(f, 0x100200, 0x1E00, 0);
    assert_int_equal(f->res.ranges[0].end, 0x102000);

    /* load_end_addr 0: to the end of the file. */
    put32(&im, 0x40 + 20, 0);
    assert_int_equal(load(f, &im), 0);

    /* The header cannot sit before the start of the file. */
    wipe(f);
    put32(&im, 0x40 + 12, 0x100100);
    expect_error(f, load(f, &im), "header_addr 0x100100 and load_addr 0x100000");

    /* ... and the loaded part cannot run past the end of it. */
    put32(&im, 0x40 + 12, 0x100040);
    put32(&im, 0x40 + 20, 0x100400);
    expect_error(f, load(f, &im), "the a.out image [file offset 0x0, +0x400) lies "
                                  "beyond the end of the file");

    put32(&im, 0x40 + 20, 0xFFF00);
    expect_error(f, load(f, &im), "load_end_addr 0xfff00 is below load_addr");

    put32(&im, 0x40 + 20, 0x100200);
    put32(&im, 0x40 + 24, 0x100100);
    expect_error(f, load(f, &im), "bss_end_addr 0x100100 is below the end");

    put32(&im, 0x40 + 24, 0);
    put32(&im, 0x40 + 28, 0x100200);                    /* just past the image */
    expect_error(f, load(f, &im), "entry point 0x100200 is outside");

    im.len = 0x40 + 20;                                 /* header cut short */
    expect_error(f, load(f, &im), "truncated multiboot header");
}

static void test_modules_from_files(void **state)
{
    struct fixture *f = *state;
    struct image im;
    char mod_path[] = "/tmp/test_loader_modXXXXXX";
    char kern_path[] = "/tmp/test_loader_kernXXXXXX";
    int fd = mkstemp(mod_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "hello module", 12), 12);
    close(fd);
    build_usual(&im);
    fd = mkstemp(kern_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, im.buf, im.len), (ssize_t)im.len);
    close(fd);

    struct loader_module mod = { .path = mod_path };
    int rc = loader_load_file(&f->mem, kern_path, "quiet", &mod, 1, &f->res,
                              f->err, sizeof f->err);
    unlink(mod_path);
    unlink(kern_path);
    assert_int_equal(rc, 0);
    assert_int_equal(f->res.entry, 0x10000C);
    uint32_t mods = rd32(f, LOADER_INFO_ADDR + 24);
    assert_int_equal(rd32(f, mods + 4) - rd32(f, mods), 12);
    assert_memory_equal(gpa_ptr(&f->mem, rd32(f, mods), 12), "hello module", 12);
    assert_string_equal(rdstr(f, rd32(f, mods + 8)), mod_path);   /* no cmdline */
    assert_string_equal(rdstr(f, rd32(f, LOADER_INFO_ADDR + 16)), "quiet");
}

/* ---- refusing bad images ---------------------------------------------- */

static void test_bad_elf_headers(void **state)
{
    struct fixture *f = *state;
    struct image im;

    build_usual(&im);
    im.len = 0;
    expect_error(f, load(f, &im), "kernel.elf: empty file");

    build_usual(&im);
    im.len = 20;
    expect_error(f, load(f, &im), "truncated ELF header");

    build_usual(&im);
    im.buf[1] = 'X';
    expect_error(f, load(f, &im), "kernel.elf: not an ELF file");

    build_usual(&im);
    ehdr(&im)->e_ident[EI_CLASS] = ELFCLASS64;
    expect_error(f, load(f, &im), "not a 32-bit i386 executable");
    expect_error(f, load(f, &im), "ELFCLASS64");

    build_usual(&im);
    ehdr(&im)->e_ident[EI_DATA] = ELFDATA2MSB;
    expect_error(f, load(f, &im), "not little-endian");

    build_usual(&im);
    ehdr(&im)->e_machine = EM_X86_64;
    expect_error(f, load(f, &im), "e_machine is 62");

    build_usual(&im);
    ehdr(&im)->e_type = ET_DYN;
    expect_error(f, load(f, &im), "not ET_EXEC");

    build_usual(&im);
    ehdr(&im)->e_phentsize = 40;
    expect_error(f, load(f, &im), "program header size is 40");

    build_usual(&im);
    ehdr(&im)->e_phnum = 0;
    expect_error(f, load(f, &im), "no program headers");
}

static void test_bad_program_header_table(void **state)
{
    struct fixture *f = *state;
    struct image im;

    build_usual(&im);
    im.len = sizeof(Elf32_Ehdr) + sizeof(Elf32_Phdr) + 16;
    expect_error(f, load(f, &im), "truncated program header table");

    build_usual(&im);
    ehdr(&im)->e_phnum = 0xFFFF;
    expect_error(f, load(f, &im), "truncated program header table");

    build_usual(&im);
    ehdr(&im)->e_phoff = 0xFFFFFFF0;                    /* offset + size wraps in 32 bits */
    expect_error(f, load(f, &im), "truncated program header table");

    build_usual(&im);
    phdr(&im, 0)->p_type = PT_NOTE;
    phdr(&im, 1)->p_type = PT_NULL;
    expect_error(f, load(f, &im), "no loadable segments");

    struct seg_spec many[LOADER_MAX_SEGMENTS + 1];
    for (int i = 0; i <= LOADER_MAX_SEGMENTS; i++)
        many[i] = (struct seg_spec){ PT_LOAD, 0x100000 + i * 0x1000, 0x100000 + i * 0x1000,
                                     0, 0x1000 };
    build(&im, many, LOADER_MAX_SEGMENTS + 1, 0x100000);
    expect_error(f, load(f, &im), "more than 16 loadable segments");
}

static void test_bad_segments(void **state)
{
    struct fixture *f = *state;
    struct image im;

    build_usual(&im);
    phdr(&im, 1)->p_offset = 0x3F00;
    expect_error(f, load(f, &im), "segment 1 [file offset 0x3f00, +0x100) lies beyond "
                                  "the end of the file");

    build_usual(&im);
    phdr(&im, 1)->p_offset = 0xFFFFFF80;                /* offset + filesz wraps */
    expect_error(f, load(f, &im), "beyond the end of the file");

    build_usual(&im);
    phdr(&im, 0)->p_memsz = 0x100;                      /* filesz is 0x200 */
    expect_error(f, load(f, &im), "segment 0: file size 0x200 is larger than its "
                                  "memory size 0x100");

    build_usual(&im);
    phdr(&im, 1)->p_memsz = 0x30000000 - 0x101000;
    expect_error(f, load(f, &im), "kernel.elf: segment 1 [0x101000, 0x30000000) does "
                                  "not fit in 64 MiB of guest RAM");

    build_usual(&im);
    phdr(&im, 1)->p_paddr = 0xFFFFF000;
    expect_error(f, load(f, &im), "wraps around");

    build_usual(&im);
    phdr(&im, 1)->p_paddr = 0x100800;
    expect_error(f, load(f, &im), "segments 0 and 1 overlap");

    build_usual(&im);
    phdr(&im, 0)->p_paddr = 0x1F000;
    expect_error(f, load(f, &im), "overlaps the multiboot info area");

    build_usual(&im);
    ehdr(&im)->e_entry = 0x200000;
    expect_error(f, load(f, &im), "entry point 0x200000 is outside every loaded segment");

    build_usual(&im);
    ehdr(&im)->e_entry = 0xC0104000;                    /* one past the bss */
    expect_error(f, load(f, &im), "entry point 0xc0104000 is outside");
}

static void test_bad_multiboot_header(void **state)
{
    struct fixture *f = *state;
    struct image im;

    build_usual(&im);
    put32(&im, MB_OFF, 0);
    expect_error(f, load(f, &im), "kernel.elf: no multiboot header in the first 8192 bytes");

    build_usual(&im);
    put32(&im, MB_OFF + 8, 0x12345678);
    expect_error(f, load(f, &im), "multiboot header checksum is wrong");

    build_usual(&im);                                   /* misaligned: not a header */
    put32(&im, MB_OFF, 0);
    set_mb(&im, MB_OFF + 2, 0);
    expect_error(f, load(f, &im), "no multiboot header");

    build_usual(&im);
    put32(&im, MB_OFF, 0);
    set_mb(&im, 8192, 0);
    expect_error(f, load(f, &im), "no multiboot header in the first 8192 bytes");

    build_usual(&im);                                   /* straddles the 8 KiB mark */
    put32(&im, MB_OFF, 0);
    set_mb(&im, 8188, 0);
    expect_error(f, load(f, &im), "no multiboot header");

    build_usual(&im);
    set_mb(&im, MB_OFF, 1 << 2);
    expect_error(f, load(f, &im), "multiboot header requires flag bit 2 (video mode), "
                                  "which this VMM does not provide");

    build_usual(&im);
    set_mb(&im, MB_OFF, (1 << 1) | (1 << 5));
    expect_error(f, load(f, &im), "requires flag bit 5");

    /* Not ELF and no address fields: nothing says where it would go. */
    memset(&im, 0, sizeof im);
    set_mb(&im, 0, 0);
    im.len = 64;
    expect_error(f, load(f, &im), "not an ELF file, and its multiboot header gives no "
                                  "load addresses");

    memset(&im, 0, sizeof im);
    im.len = 100;
    expect_error(f, load(f, &im), "not an ELF file");
}

static void test_bad_modules_and_strings(void **state)
{
    struct fixture *f = *state;
    struct image im;
    build_usual(&im);

    /* 63 MiB do not fit above the kernel's first 1 MiB + 16 KiB. */
    size_t big = 63u << 20;
    void *data = calloc(1, big);
    assert_non_null(data);
    struct loader_module mod = { .data = data, .size = big };
    expect_error(f, load_mods(f, &im, "", &mod, 1),
                 "module 0: 66060288 bytes at 0x104000 do not fit in 64 MiB");
    free(data);

    struct loader_module many[LOADER_MAX_MODULES + 1];
    memset(many, 0, sizeof many);
    expect_error(f, load_mods(f, &im, "", many, LOADER_MAX_MODULES + 1),
                 "too many modules (17, at most 16)");

    struct loader_module missing = { .path = "/nonexistent/initrd.img" };
    expect_error(f, load_mods(f, &im, "", &missing, 1),
                 "/nonexistent/initrd.img: cannot open");

    /* A module file larger than all of RAM is refused before it is read. */
    char path[] = "/tmp/test_loader_bigXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, RAM_SIZE + 1), 0);
    close(fd);
    struct loader_module huge = { .path = path };
    int rc = load_mods(f, &im, "", &huge, 1);
    unlink(path);
    expect_error(f, rc, "too large");

    char *cmdline = malloc(70000);
    assert_non_null(cmdline);
    memset(cmdline, 'x', 69999);
    cmdline[69999] = '\0';
    expect_error(f, load_mods(f, &im, cmdline, NULL, 0),
                 "do not fit in the 64 KiB multiboot info area");
    free(cmdline);

    rc = loader_load_file(&f->mem, "/nonexistent/kernel.elf", "", NULL, 0, &f->res,
                          f->err, sizeof f->err);
    expect_error(f, rc, "/nonexistent/kernel.elf: cannot open");
}

static void test_too_little_ram(void **state)
{
    (void)state;
    struct guest_mem small;
    struct loader_result res;
    struct image im;
    char err[256];

    assert_int_equal(guest_mem_init(&small, 1 << 20), 0);
    build_usual(&im);
    struct loader_config cfg = { .name = "k", .image = im.buf, .image_size = im.len };
    assert_int_equal(loader_load(&small, &cfg, &res, err, sizeof err), -1);
    assert_non_null(strstr(err, "1 MiB of guest RAM is too small"));
    guest_mem_destroy(&small);
}

/* Random damage to a good image: the loader must answer, never crash, and
 * any load that succeeds must leave the entry inside guest RAM. */
static void test_random_damage(void **state)
{
    struct fixture *f = *state;
    struct image im;
    unsigned seed = 12345, ok = 0;

    for (int round = 0; round < 3000; round++) {
        build_usual(&im);
        int hits = 1 + rand_r(&seed) % 4;
        for (int h = 0; h < hits; h++) {
            /* Mostly the headers; sometimes anywhere. */
            size_t off = rand_r(&seed) % 2 ? (size_t)rand_r(&seed) % 0x80
                                          : (size_t)rand_r(&seed) % im.len;
            im.buf[off] = rand_r(&seed);
        }
        if (rand_r(&seed) % 8 == 0)
            im.len = rand_r(&seed) % im.len;
        int rc = load(f, &im);
        if (rc == 0) {
            ok++;
            assert_true(gpa_range_ok(&f->mem, f->res.entry, 1));
        } else {
            assert_int_equal(strncmp(f->err, "kernel.elf: ", 12), 0);
        }
    }
    assert_true(ok > 0);                                /* some damage is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_usual_kernel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_low_kernel_without_modules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_physical_entry_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supported_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_aout_kludge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modules_from_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_elf_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_program_header_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_multiboot_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_modules_and_strings, setup, teardown),
        cmocka_unit_test(test_too_little_ram),
        cmocka_unit_test_setup_teardown(test_random_damage, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
