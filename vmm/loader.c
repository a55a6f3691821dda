/*
 * loader.c - the VMM as boot loader: a Multiboot v1 kernel into guest RAM.
 *
 * Chapter 2, "Booting without a BIOS", walks through this file; chapter 1,
 * "The guest machine", describes the protocol from the kernel's side.
 *
 * A real PC runs firmware, then GRUB, then the kernel. We skip the first two
 * and do GRUB's work from outside, the way QEMU's -kernel does:
 *
 *   1. find the multiboot header in the first 8 KiB of the image;
 *   2. turn the image into a list of segments (file bytes -> guest-physical
 *      range), by its ELF program headers or by the header's a.out fields;
 *   3. place the modules after the kernel and lay out the information
 *      structure, memory map and strings in the info area at 64 KiB;
 *   4. only then write anything into guest RAM.
 *
 * Every number in the image comes from an untrusted file, so each one is
 * checked, in 64-bit arithmetic, before it is used; a bad image gets one
 * clear error line, never a crash, and leaves guest RAM untouched.
 */
#include "vmm/loader.h"

#include <assert.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- the Multiboot 0.6.96 formats ------------------------------------- */

#define MB_HEADER_MAGIC   0x1BADB002u
#define MB_SEARCH_BYTES   8192          /* the header must lie in the first 8 KiB */
#define MB_HEADER_SIZE    12            /* magic, flags, checksum */
#define MB_AOUT_SIZE      32            /* ... + the five address fields */

/* Header flags 0-15 are requirements: a loader must refuse any it lacks. */
#define MB_REQ_PAGE_ALIGN (1u << 0)     /* modules on 4 KiB boundaries: we always do */
#define MB_REQ_MEMINFO    (1u << 1)     /* mem_lower/upper and mmap: we always give */
#define MB_REQ_SUPPORTED  (MB_REQ_PAGE_ALIGN | MB_REQ_MEMINFO)
#define MB_AOUT_KLUDGE    (1u << 16)    /* header holds load addresses (optional bit) */

static const char *const mb_required_names[16] = {
    [0] = "page-aligned modules",
    [1] = "memory information",
    [2] = "video mode",
};

/* Info flags: which fields of struct mb_info are valid. */
#define MBI_MEM           (1u << 0)
#define MBI_CMDLINE       (1u << 2)
#define MBI_MODS          (1u << 3)
#define MBI_MMAP          (1u << 6)
#define MBI_LOADER_NAME   (1u << 9)

/* The multiboot information structure, as the kernel finds it at EBX. */
struct mb_info {
    uint32_t flags;
    uint32_t mem_lower, mem_upper;      /* KiB below 640 KiB, KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
    uint32_t drives_length, drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
    uint32_t vbe_control_info, vbe_mode_info;
    uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
};
_Static_assert(sizeof(struct mb_info) == 88, "multiboot info is 88 bytes");

/* A memory map entry. size counts the bytes after itself, so a kernel can
 * step to the next entry with p += size + 4 even if entries grow. */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t addr, len;
    uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "mmap entry is 24 bytes");

#define MB_MEM_AVAILABLE  1
#define MB_MEM_RESERVED   2

struct mb_module {
    uint32_t mod_start, mod_end;        /* [start, end) */
    uint32_t string;
    uint32_t reserved;
};

/* The toy PC's memory map: what a PC BIOS would report. end == 0 means "the
 * end of RAM". [0xA0000, 0xF0000) (VGA window, option ROMs) is not listed. */
static const struct {
    uint64_t start, end;
    uint32_t type;
} pc_memory_map[] = {
    { 0x00000,  0x9FC00,  MB_MEM_AVAILABLE },   /* conventional memory */
    { 0x9FC00,  0xA0000,  MB_MEM_RESERVED },    /* extended BIOS data area */
    { 0xF0000,  0x100000, MB_MEM_RESERVED },    /* BIOS ROM */
    { 0x100000, 0,        MB_MEM_AVAILABLE },   /* everything above 1 MiB */
};

#define KIB              1024u
#define MIB              (1024u * 1024u)
#define PAGE_SIZE        4096u
#define MODULES_BASE     MIB            /* modules never go below 1 MiB */
#define MIN_RAM          (2 * MIB)
#define MAX_KERNEL_FILE  (256u * MIB)   /* a sanity bound for reading files */
#define LOADER_NAME      "teaching-vmm"

/* ---- the plan: everything decided before guest RAM is touched --------- */

struct segment {
    unsigned index;                     /* in the program header table */
    char what[24];                      /* "segment 2", for messages */
    uint32_t paddr, vaddr;
    uint64_t offset, filesz, memsz;     /* 64-bit, so sums of two never wrap */
};

struct module {
    const char *name;                   /* for messages: its path or label */
    char label[24];                     /* "module 2" */
    const uint8_t *data;
    size_t size;
    uint8_t *owned;                     /* data we read from a file, to free */
    uint32_t start;                     /* where it goes in guest RAM */
    const char *string;
};

struct info_area {
    uint8_t buf[LOADER_INFO_SIZE];      /* built here, copied to LOADER_INFO_ADDR */
    uint32_t used;
};

struct plan {
    const struct loader_config *cfg;
    struct guest_mem *mem;
    const char *name;
    char *err;
    size_t errlen;
    const uint8_t *image;
    size_t len;

    uint32_t mb_flags;
    size_t mb_offset;                   /* of the multiboot header in the image */
    unsigned nseg;
    struct segment seg[LOADER_MAX_SEGMENTS];
    uint32_t entry;
    uint64_t kernel_end;                /* above the highest kernel byte */
    unsigned nmod;
    struct module mod[LOADER_MAX_MODULES];
    struct info_area *info;
};

/* Write "who: message" into the error buffer. Always returns -1. */
static int fail_as(struct plan *p, const char *who, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->errlen)
        snprintf(p->err, p->errlen, "%s: %s", who, msg);
    return -1;
}

#define fail(p, ...) fail_as((p), (p)->name, __VA_ARGS__)

/* "64 MiB" or "1536 KiB": RAM size the way a user typed it. */
static const char *ram_str(const struct guest_mem *mem, char *buf, size_t n)
{
    if (mem->size % MIB == 0)
        snprintf(buf, n, "%llu MiB", (unsigned long long)(mem->size / MIB));
    else
        snprintf(buf, n, "%llu KiB", (unsigned long long)(mem->size / KIB));
    return buf;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* addr in [start, start+len), computed in 64 bits so that nothing wraps. */
static bool inside(uint64_t addr, uint64_t start, uint64_t len)
{
    return addr >= start && addr < start + len;
}

static uint64_t align_up(uint64_t x, uint64_t align)
{
    return (x + align - 1) / align * align;
}

/* ---- step 1: the multiboot header ------------------------------------- */

/* Refuse requirements (flag bits 0-15) we cannot meet: the spec says a
 * loader must not boot a kernel whose requirements it does not understand. */
static int check_mb_flags(struct plan *p)
{
    for (unsigned bit = 0; bit < 16; bit++) {
        if (!(p->mb_flags & (1u << bit)) || (MB_REQ_SUPPORTED & (1u << bit)))
            continue;
        if (mb_required_names[bit])
            return fail(p, "multiboot header requires flag bit %u (%s), "
                        "which this VMM does not provide", bit, mb_required_names[bit]);
        return fail(p, "multiboot header requires flag bit %u, which this VMM "
                    "does not know", bit);
    }
    return 0;
}

/* Find the multiboot header: 32-bit aligned, wholly inside the first 8 KiB,
 * magic + flags + checksum == 0 (mod 2^32). */
static int find_mb_header(struct plan *p)
{
    size_t limit = p->len < MB_SEARCH_BYTES ? p->len : MB_SEARCH_BYTES;
    bool bad_checksum = false;

    for (size_t off = 0; off + MB_HEADER_SIZE <= limit; off += 4) {
        const uint8_t *h = p->image + off;
        if (le32(h) != MB_HEADER_MAGIC)
            continue;
        if ((uint32_t)(le32(h) + le32(h + 4) + le32(h + 8)) != 0) {
            bad_checksum = true;        /* keep looking: it may be a stray word */
            continue;
        }
        p->mb_offset = off;
        p->mb_flags = le32(h + 4);
        return check_mb_flags(p);
    }
    if (bad_checksum)
        return fail(p, "multiboot header checksum is wrong");
    return fail(p, "no multiboot header in the first %d bytes", MB_SEARCH_BYTES);
}

/* ---- step 2: segments ------------------------------------------------- */

/*
 * Check the ELF header and turn each PT_LOAD program header into a segment.
 * Segments load at their physical address p_paddr: a higher-half kernel is
 * linked at 0xC0100000 but asks for physical 0x100000, and paging is off.
 */
static int plan_elf(struct plan *p)
{
    Elf32_Ehdr eh;

    /* The VMM runs on little-endian x86, so the file's structures can be
     * copied as they are once we know the file is ELFDATA2LSB. */
    if (p->len < sizeof eh)
        return fail(p, "truncated ELF header (%zu bytes, need %zu)", p->len, sizeof eh);
    memcpy(&eh, p->image, sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS32)
        return fail(p, "not a 32-bit i386 executable (%s)",
                    eh.e_ident[EI_CLASS] == ELFCLASS64 ? "it is ELFCLASS64, a 64-bit file"
                                                       : "its ELF class is not ELFCLASS32");
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(p, "not a 32-bit i386 executable (not little-endian)");
    if (eh.e_machine != EM_386)
        return fail(p, "not a 32-bit i386 executable (e_machine is %u, not EM_386)",
                    eh.e_machine);
    if (eh.e_type != ET_EXEC)
        return fail(p, "not a 32-bit i386 executable (e_type is %u, not ET_EXEC)",
                    eh.e_type);
    if (eh.e_phentsize != sizeof(Elf32_Phdr))
        return fail(p, "program header size is %u, expected %zu",
                    eh.e_phentsize, sizeof(Elf32_Phdr));
    if (eh.e_phnum == 0)
        return fail(p, "no program headers");
    /* Both factors are at most 32 bits wide: the 64-bit sum cannot wrap. */
    if ((uint64_t)eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr) > p->len)
        return fail(p, "truncated program header table (%u entries at offset %u, "
                    "file has %zu bytes)", eh.e_phnum, eh.e_phoff, p->len);

    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf32_Phdr ph;
        memcpy(&ph, p->image + eh.e_phoff + i * sizeof ph, sizeof ph);
        if (ph.p_type != PT_LOAD)
            continue;
        if (ph.p_filesz > ph.p_memsz)
            return fail(p, "segment %u: file size 0x%x is larger than its memory "
                        "size 0x%x", i, ph.p_filesz, ph.p_memsz);
        if (ph.p_memsz == 0)
            continue;                   /* nothing to load */
        if (p->nseg == LOADER_MAX_SEGMENTS)
            return fail(p, "more than %d loadable segments", LOADER_MAX_SEGMENTS);
        struct segment *s = &p->seg[p->nseg++];
        s->index = i;
        snprintf(s->what, sizeof s->what, "segment %u", i);
        s->paddr = ph.p_paddr;
        s->vaddr = ph.p_vaddr;
        s->offset = ph.p_offset;
        s->filesz = ph.p_filesz;
        s->memsz = ph.p_memsz;
    }
    if (p->nseg == 0)
        return fail(p, "no loadable segments");
    p->entry = eh.e_entry;
    return 0;
}

/*
 * A non-ELF image ("a.out kludge", header flag bit 16): the header itself
 * says where the image goes. The header sits at file offset mb_offset and
 * at address header_addr, so the file byte for load_addr is at offset
 * mb_offset - (header_addr - load_addr). Load to load_end_addr (0: to the
 * end of the file), zero up to bss_end_addr (0: no bss), enter at entry_addr.
 */
static int plan_aout(struct plan *p)
{
    if (!(p->mb_flags & MB_AOUT_KLUDGE))
        return fail(p, "not an ELF file, and its multiboot header gives no load "
                    "addresses (flag bit 16)");
    if (p->mb_offset + MB_AOUT_SIZE > p->len)
        return fail(p, "truncated multiboot header (the address fields are missing)");

    const uint8_t *h = p->image + p->mb_offset;
    uint32_t header_addr = le32(h + 12), load_addr = le32(h + 16);
    uint32_t load_end = le32(h + 20), bss_end = le32(h + 24);
    struct segment *s = &p->seg[0];

    if (header_addr < load_addr || header_addr - load_addr > p->mb_offset)
        return fail(p, "multiboot header_addr 0x%x and load_addr 0x%x do not match "
                    "the header's place in the file", header_addr, load_addr);
    s->offset = p->mb_offset - (header_addr - load_addr);
    if (load_end == 0)
        s->filesz = p->len - s->offset;
    else if (load_end < load_addr)
        return fail(p, "multiboot load_end_addr 0x%x is below load_addr 0x%x",
                    load_end, load_addr);
    else
        s->filesz = load_end - load_addr;
    s->memsz = s->filesz;
    if (bss_end != 0) {
        if (bss_end < load_addr + s->filesz)
            return fail(p, "multiboot bss_end_addr 0x%x is below the end of the "
                        "loaded image", bss_end);
        s->memsz = bss_end - load_addr;
    }
    if (s->memsz == 0)
        return fail(p, "multiboot address fields describe an empty image");
    snprintf(s->what, sizeof s->what, "the a.out image");
    s->paddr = s->vaddr = load_addr;
    p->entry = le32(h + 28);
    p->nseg = 1;
    return 0;
}

/*
 * Check the segments against the file, guest RAM, the info area and each
 * other, and settle the entry point. Separate from plan_elf/plan_aout so that
 * both kinds of image get exactly the same checks.
 */
static int check_segments(struct plan *p)
{
    char ram[32];

    ram_str(p->mem, ram, sizeof ram);
    for (unsigned i = 0; i < p->nseg; i++) {
        const struct segment *s = &p->seg[i];
        uint64_t start = s->paddr, end = start + s->memsz;  /* 64-bit: no wrap */

        if (s->offset + s->filesz > p->len)
            return fail(p, "%s [file offset 0x%llx, +0x%llx) lies beyond the end of "
                        "the file (%zu bytes)", s->what, (unsigned long long)s->offset,
                        (unsigned long long)s->filesz, p->len);
        if (end > (1ull << 32))
            return fail(p, "%s [0x%llx, 0x%llx) wraps around the end of the 32-bit "
                        "address space", s->what, (unsigned long long)start,
                        (unsigned long long)end);
        if (!gpa_range_ok(p->mem, start, s->memsz))
            return fail(p, "%s [0x%llx, 0x%llx) does not fit in %s of guest RAM",
                        s->what, (unsigned long long)start, (unsigned long long)end, ram);
        if (start < LOADER_INFO_ADDR + LOADER_INFO_SIZE && end > LOADER_INFO_ADDR)
            return fail(p, "%s [0x%llx, 0x%llx) overlaps the multiboot info area "
                        "[0x%x, 0x%x)", s->what, (unsigned long long)start,
                        (unsigned long long)end, LOADER_INFO_ADDR,
                        LOADER_INFO_ADDR + LOADER_INFO_SIZE);
        for (unsigned j = 0; j < i; j++) {
            const struct segment *t = &p->seg[j];
            if (start < t->paddr + t->memsz && t->paddr < end)
                return fail(p, "segments %u and %u overlap ([0x%x, 0x%llx) and "
                            "[0x%x, 0x%llx))", t->index, s->index,
                            t->paddr, (unsigned long long)(t->paddr + t->memsz),
                            s->paddr, (unsigned long long)end);
        }
        if (end > p->kernel_end)
            p->kernel_end = end;
    }

    /*
     * The entry point. ELF's e_entry is a virtual address; with paging off the
     * CPU needs a physical one. When e_entry lies in some segment's physical
     * range we take it as it is (a kernel linked low, or one like xv6 whose
     * e_entry already names the physical address). Otherwise, like QEMU's ELF
     * loader, we translate it through the segment whose virtual range holds
     * it: entry - p_vaddr + p_paddr. A higher-half kernel's 0xC010000C thus
     * becomes 0x10000C.
     */
    for (unsigned i = 0; i < p->nseg; i++)
        if (inside(p->entry, p->seg[i].paddr, p->seg[i].memsz))
            return 0;
    for (unsigned i = 0; i < p->nseg; i++) {
        const struct segment *s = &p->seg[i];
        if (inside(p->entry, s->vaddr, s->memsz)) {
            p->entry = p->entry - s->vaddr + s->paddr;
            return 0;
        }
    }
    return fail(p, "entry point 0x%x is outside every loaded segment", p->entry);
}

/* ---- step 3: modules and the information structure -------------------- */

/* Read a whole regular file of at most max bytes into a new buffer;
 * max_what says what the limit is, for the message. */
static int read_file(struct plan *p, const char *path, uint64_t max,
                     const char *max_what, uint8_t **data, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;

    if (fd < 0)
        return fail_as(p, path, "cannot open: %s", strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail_as(p, path, "not a regular file");
    }
    if ((uint64_t)st.st_size > max) {
        close(fd);
        return fail_as(p, path, "too large: %lld bytes do not fit in %s",
                       (long long)st.st_size, max_what);
    }
    *size = st.st_size;
    *data = malloc(*size ? *size : 1);
    if (!*data) {
        close(fd);
        return fail_as(p, path, "out of memory");
    }
    size_t got = 0;
    while (got < *size) {
        ssize_t n = read(fd, *data + got, *size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;    /* 0: the file shrank under us */
            close(fd);
            free(*data);
            *data = NULL;
            return fail_as(p, path, "read error: %s", strerror(e));
        }
        got += n;
    }
    close(fd);
    return 0;
}

/*
 * Gather the modules and place each on a page boundary (the spec's bit 0;
 * we always do it), after the kernel and never below 1 MiB, so that a module
 * can land neither in the info area nor in the legacy hole below 1 MiB.
 */
static int plan_modules(struct plan *p)
{
    const struct loader_config *cfg = p->cfg;
    uint64_t next = align_up(p->kernel_end > MODULES_BASE ? p->kernel_end : MODULES_BASE,
                             PAGE_SIZE);
    /* mod_end is a 32-bit field: a module must end below 4 GiB. */
    uint64_t top = p->mem->size < UINT32_MAX ? p->mem->size : UINT32_MAX;
    char ram[32], limit[48];

    ram_str(p->mem, ram, sizeof ram);
    if (cfg->nmodules > LOADER_MAX_MODULES)
        return fail(p, "too many modules (%u, at most %d)", cfg->nmodules,
                    LOADER_MAX_MODULES);
    for (unsigned i = 0; i < cfg->nmodules; i++) {
        const struct loader_module *lm = &cfg->modules[i];
        struct module *m = &p->mod[p->nmod++];

        snprintf(m->label, sizeof m->label, "module %u", i);
        m->name = lm->path ? lm->path : m->label;
        if (lm->path) {
            snprintf(limit, sizeof limit, "%s of guest RAM", ram);
            if (read_file(p, lm->path, p->mem->size, limit, &m->owned, &m->size) < 0)
                return -1;
            m->data = m->owned;
        } else {
            m->data = lm->data;
            m->size = lm->size;
            if (!m->data && m->size)
                return fail_as(p, m->name, "has no path and no data");
        }
        m->string = lm->cmdline ? lm->cmdline : lm->path ? lm->path : "";
        if (next + m->size > top)
            return fail_as(p, m->name, "%zu bytes at 0x%llx do not fit in %s of "
                           "guest RAM", m->size, (unsigned long long)next, ram);
        m->start = next;
        next = align_up(next + m->size, PAGE_SIZE);
    }
    return 0;
}

/* Append len bytes (zeros when src is NULL) to the info area, aligned; return
 * their guest-physical address, or 0 when the area is full. */
static uint32_t info_put(struct info_area *a, const void *src, size_t len, size_t align)
{
    size_t at = align_up(a->used, align);
    if (at > LOADER_INFO_SIZE || len > LOADER_INFO_SIZE - at)
        return 0;
    if (src)
        memcpy(a->buf + at, src, len);
    a->used = at + len;
    return LOADER_INFO_ADDR + at;
}

static uint32_t info_put_string(struct info_area *a, const char *s)
{
    return info_put(a, s, strlen(s) + 1, 1);
}

/*
 * Lay out the information structure in the host copy of the info area:
 * the structure first (EBX points at it), then the memory map, the module
 * list and the strings they point to.
 */
static int build_info(struct plan *p)
{
    struct info_area *a = p->info;
    struct mb_info mbi = { 0 };
    uint64_t ram = p->mem->size;
    bool full = false;

    mbi.flags = MBI_MEM | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME;
    mbi.mem_lower = 0x9FC00 / KIB;                      /* 639 */
    mbi.mem_upper = (ram - MIB) / KIB;
    full |= !info_put(a, NULL, sizeof mbi, 4);          /* filled in below */

    for (size_t i = 0; i < sizeof pc_memory_map / sizeof pc_memory_map[0]; i++) {
        struct mb_mmap_entry e = {
            .size = sizeof e - sizeof e.size,
            .addr = pc_memory_map[i].start,
            .len  = (pc_memory_map[i].end ? pc_memory_map[i].end : ram) -
                    pc_memory_map[i].start,
            .type = pc_memory_map[i].type,
        };
        uint32_t at = info_put(a, &e, sizeof e, 8);
        full |= !at;
        if (i == 0)
            mbi.mmap_addr = at;
    }
    mbi.mmap_length = LOADER_INFO_ADDR + a->used - mbi.mmap_addr;

    /* Reserve the module list, then fill each entry as its string is placed. */
    mbi.mods_count = p->nmod;
    mbi.mods_addr = info_put(a, NULL, p->nmod * sizeof(struct mb_module), 4);
    full |= !mbi.mods_addr;
    for (unsigned i = 0; i < p->nmod && !full; i++) {
        struct mb_module mm = {
            .mod_start = p->mod[i].start,
            .mod_end   = p->mod[i].start + p->mod[i].size,
            .string    = info_put_string(a, p->mod[i].string),
        };
        full |= !mm.string;
        memcpy(a->buf + (mbi.mods_addr - LOADER_INFO_ADDR) + i * sizeof mm, &mm, sizeof mm);
    }
    mbi.cmdline = info_put_string(a, p->cfg->cmdline ? p->cfg->cmdline : "");
    mbi.boot_loader_name = info_put_string(a, LOADER_NAME);
    full |= !mbi.cmdline || !mbi.boot_loader_name;
    if (full)
        return fail(p, "the command line and module strings do not fit in the "
                    "%u KiB multiboot info area", LOADER_INFO_SIZE / KIB);
    memcpy(a->buf, &mbi, sizeof mbi);
    return 0;
}

/* ---- step 4: write it all into guest RAM ------------------------------ */

static void add_range(struct loader_result *r, uint64_t start, uint64_t end,
                      const char *what)
{
    assert(r->nranges < LOADER_MAX_RANGES);
    struct loader_range *g = &r->ranges[r->nranges++];
    g->start = start;
    g->end = end;
    snprintf(g->what, sizeof g->what, "%s", what);
}

/* Where a planned range lives in the VMM. Every range was checked while
 * planning, so a range outside RAM here is a bug in this file. */
static uint8_t *planned(struct plan *p, uint64_t gpa, uint64_t len)
{
    uint8_t *host = gpa_ptr(p->mem, gpa, len);
    if (!host) {
        fprintf(stderr, "loader: bug: [0x%llx, +0x%llx) was planned outside RAM\n",
                (unsigned long long)gpa, (unsigned long long)len);
        abort();
    }
    return host;
}

/* Copy the planned bytes into guest RAM and report what went where. */
static void commit(struct plan *p, struct loader_result *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < p->nseg; i++) {
        const struct segment *s = &p->seg[i];
        uint8_t *dst = planned(p, s->paddr, s->memsz);
        memcpy(dst, p->image + s->offset, s->filesz);
        memset(dst + s->filesz, 0, s->memsz - s->filesz);    /* the bss */
        add_range(out, s->paddr, s->paddr + s->memsz, s->what);
    }
    for (unsigned i = 0; i < p->nmod; i++) {
        const struct module *m = &p->mod[i];
        if (m->size)
            memcpy(planned(p, m->start, m->size), m->data, m->size);
        add_range(out, m->start, m->start + m->size, m->label);
    }
    memcpy(planned(p, LOADER_INFO_ADDR, p->info->used), p->info->buf, p->info->used);
    add_range(out, LOADER_INFO_ADDR, LOADER_INFO_ADDR + p->info->used, "multiboot info");
    out->entry = p->entry;
    out->info_addr = LOADER_INFO_ADDR;
}

/* ---- the public interface --------------------------------------------- */

/* Steps 1 to 4, stopping at the first problem. */
static int load(struct plan *p, struct loader_result *out)
{
    static const uint8_t elf_magic[SELFMAG] = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3 };
    bool is_elf = p->len >= SELFMAG && memcmp(p->image, elf_magic, SELFMAG) == 0;
    char ram[32];

    if (p->len == 0)
        return fail(p, "empty file");
    if (p->mem->size < MIN_RAM)
        return fail(p, "%s of guest RAM is too small (a multiboot kernel needs %u MiB)",
                    ram_str(p->mem, ram, sizeof ram), MIN_RAM / MIB);
    if (is_elf && plan_elf(p) < 0)
        return -1;
    if (find_mb_header(p) < 0) {
        if (!is_elf)                    /* the likelier story: a wrong file */
            return fail(p, "not an ELF file, and no valid multiboot header in the "
                        "first %d bytes", MB_SEARCH_BYTES);
        return -1;
    }
    /* An ELF image loads by its program headers; the bit-16 address fields
     * are ignored, as GRUB Legacy does and the spec allows (they "need not
     * be provided if the kernel image is in ELF format"). QEMU and GRUB 2, in
     * contrast, use them whenever bit 16 is set: a kernel that sets it must
     * keep them consistent with its ELF headers to boot the same everywhere. */
    if (!is_elf && plan_aout(p) < 0)
        return -1;
    if (check_segments(p) < 0 || plan_modules(p) < 0 || build_info(p) < 0)
        return -1;
    commit(p, out);
    return 0;
}

int loader_load(struct guest_mem *mem, const struct loader_config *cfg,
                struct loader_result *out, char *err, size_t errlen)
{
    const char *name = cfg->name ? cfg->name : "kernel";
    struct plan *p = calloc(1, sizeof *p);
    struct info_area *info = calloc(1, sizeof *info);
    int rc = -1;

    if (!p || !info) {
        snprintf(err, errlen, "%s: out of memory", name);
    } else {
        *p = (struct plan){
            .cfg = cfg, .mem = mem, .name = name, .err = err, .errlen = errlen,
            .image = cfg->image, .len = cfg->image ? cfg->image_size : 0,
            .info = info,
        };
        rc = load(p, out);
        for (unsigned i = 0; i < p->nmod; i++)
            free(p->mod[i].owned);
    }
    free(info);
    free(p);
    return rc;
}

int loader_load_file(struct guest_mem *mem, const char *path, const char *cmdline,
                     const struct loader_module *modules, unsigned nmodules,
                     struct loader_result *out, char *err, size_t errlen)
{
    struct plan p = { .mem = mem, .err = err, .errlen = errlen };
    struct loader_config cfg = {
        .name = path, .cmdline = cmdline, .modules = modules, .nmodules = nmodules,
    };
    uint8_t *image;
    int rc;

    if (read_file(&p, path, MAX_KERNEL_FILE, "the 256 MiB the loader reads", &image,
                  &cfg.image_size) < 0)
        return -1;
    cfg.image = image;
    rc = loader_load(mem, &cfg, out, err, errlen);
    free(image);
    return rc;
}

void loader_print(const struct loader_result *res, FILE *f)
{
    fprintf(f, "entry 0x%08x, multiboot info at 0x%08x\n", res->entry, res->info_addr);
    for (unsigned i = 0; i < res->nranges; i++)
        fprintf(f, "  [0x%08llx, 0x%08llx) %s\n",
                (unsigned long long)res->ranges[i].start,
                (unsigned long long)res->ranges[i].end, res->ranges[i].what);
}
