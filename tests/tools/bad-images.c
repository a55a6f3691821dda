/*
 * bad-images.c - write a corpus of malformed multiboot kernels (chapter 9,
 * "Reliability"; the loader they attack is chapter 2's).
 *
 * Usage: bad-images DIR
 * Writes DIR/good-elf.elf and DIR/good-aout.bin, two tiny valid kernels
 * that power off with code 42, and DIR/bad-NAME.elf, one for each way a
 * kernel file can be wrong: truncated headers, wrong magic, sizes that
 * overflow, huge, wrapping or overlapping segments, an entry point outside
 * the image. Each bad one starts as the good ELF (or a.out) and breaks one
 * thing, so that its error is about that thing. tests/integration/
 * bad-images.sh runs the VMM on each; the same files seed the loader's
 * fuzzer (tests/fuzz/corpus/loader).
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOAD_ADDR  0x100000u
#define MB_OFF     0x100u               /* the multiboot header's file offset */
#define CODE_OFF   0x120u
#define IMAGE_SIZE 0x140u
#define MB_MAGIC   0x1BADB002u
#define MB_AOUT    (1u << 16)

/* mov $42,%eax; out %eax,$0xf4; hlt: power off with code 42. */
static const unsigned char code[] = { 0xB8, 0x2A, 0, 0, 0, 0xE7, 0xF4, 0xF4 };

struct image {
    unsigned char b[16384];
    size_t len;
};

static Elf32_Ehdr *ehdr(struct image *im) { return (Elf32_Ehdr *)im->b; }
static Elf32_Phdr *phdr(struct image *im, unsigned i)
{
    return (Elf32_Phdr *)(im->b + sizeof(Elf32_Ehdr) + i * sizeof(Elf32_Phdr));
}
static void put32(struct image *im, size_t off, unsigned v) { memcpy(im->b + off, &v, 4); }

/* The multiboot header with flags; the checksum is made to fit. */
static void mb_header(struct image *im, size_t off, unsigned flags)
{
    put32(im, off, MB_MAGIC);
    put32(im, off + 4, flags);
    put32(im, off + 8, -(MB_MAGIC + flags));
}

/* One PT_LOAD segment: the whole file at 1 MiB, a page of memory, entry at the code. */
static void good_elf(struct image *im)
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
    e->e_entry = LOAD_ADDR + CODE_OFF;
    e->e_phoff = sizeof(Elf32_Ehdr);
    e->e_ehsize = sizeof(Elf32_Ehdr);
    e->e_phentsize = sizeof(Elf32_Phdr);
    e->e_phnum = 1;
    *phdr(im, 0) = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 0, .p_vaddr = LOAD_ADDR,
                                 .p_paddr = LOAD_ADDR, .p_filesz = IMAGE_SIZE,
                                 .p_memsz = 0x1000, .p_flags = PF_R | PF_W | PF_X,
                                 .p_align = 0x1000 };
    mb_header(im, MB_OFF, 0);
    memcpy(im->b + CODE_OFF, code, sizeof code);
    im->len = IMAGE_SIZE;
}

/* The same kernel as a flat binary: the a.out kludge fields say where it goes. */
static void good_aout(struct image *im)
{
    memset(im, 0, sizeof *im);
    mb_header(im, MB_OFF, MB_AOUT);
    put32(im, MB_OFF + 12, LOAD_ADDR + MB_OFF);     /* header_addr */
    put32(im, MB_OFF + 16, LOAD_ADDR);              /* load_addr */
    put32(im, MB_OFF + 20, 0);                      /* load_end_addr: whole file */
    put32(im, MB_OFF + 24, LOAD_ADDR + 0x1000);     /* bss_end_addr */
    put32(im, MB_OFF + 28, LOAD_ADDR + CODE_OFF);   /* entry_addr */
    memcpy(im->b + CODE_OFF, code, sizeof code);
    im->len = IMAGE_SIZE;
}

static const char *dir;

static void save(const char *name, const struct image *im)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(im->b, 1, im->len, f) != im->len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    static struct image im;
    if (argc != 2) {
        fprintf(stderr, "usage: bad-images DIR\n");
        return 2;
    }
    dir = argv[1];

    good_elf(&im); save("good-elf.elf", &im);
    good_aout(&im); save("good-aout.bin", &im);

    /* Truncated or wrong headers. */
    good_elf(&im); im.len = 30; save("bad-truncated-ehdr.elf", &im);
    good_elf(&im); im.len = 60; save("bad-truncated-phdrs.elf", &im);
    good_elf(&im); im.b[3] = 'G'; save("bad-wrong-elf-magic.elf", &im);
    good_elf(&im); im.b[EI_CLASS] = ELFCLASS64; save("bad-elfclass64.elf", &im);
    good_elf(&im); im.b[EI_DATA] = ELFDATA2MSB; save("bad-big-endian.elf", &im);
    good_elf(&im); ehdr(&im)->e_machine = EM_X86_64; save("bad-machine.elf", &im);
    good_elf(&im); ehdr(&im)->e_type = ET_DYN; save("bad-type-dyn.elf", &im);
    good_elf(&im); ehdr(&im)->e_phentsize = 16; save("bad-phentsize.elf", &im);
    good_elf(&im); ehdr(&im)->e_phnum = 0; save("bad-no-phdrs.elf", &im);
    good_elf(&im); ehdr(&im)->e_phoff = 0x10000; save("bad-phoff-beyond-file.elf", &im);
    good_elf(&im); ehdr(&im)->e_phoff = 0xFFFFFFF0u; save("bad-phoff-overflow.elf", &im);
    good_elf(&im); ehdr(&im)->e_phnum = 0xFFFF; save("bad-phnum-huge.elf", &im);

    /* Segments. */
    good_elf(&im); phdr(&im, 0)->p_type = PT_NOTE; save("bad-no-load-segment.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_memsz = 0; phdr(&im, 0)->p_filesz = 0;
    save("bad-empty-segment.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_memsz = 0x10; save("bad-filesz-over-memsz.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_offset = 0x7FFFFFF0; save("bad-offset-beyond-file.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_offset = 0xFFFFFFF0u; save("bad-offset-overflow.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_filesz = 0xFFFFFFFFu; phdr(&im, 0)->p_memsz = 0xFFFFFFFFu;
    save("bad-filesz-huge.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_memsz = 0xFFF00000u; save("bad-memsz-huge.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_paddr = 0xFFFFF000u; phdr(&im, 0)->p_memsz = 0x2000;
    save("bad-segment-wraps.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_paddr = 0x10000; save("bad-segment-on-info-area.elf", &im);
    good_elf(&im); phdr(&im, 0)->p_paddr = 0x8000000; save("bad-segment-above-ram.elf", &im);
    good_elf(&im); ehdr(&im)->e_phnum = 2; *phdr(&im, 1) = *phdr(&im, 0);
    phdr(&im, 1)->p_paddr += 0x800; save("bad-overlapping-segments.elf", &im);
    good_elf(&im); ehdr(&im)->e_phnum = 17;
    for (unsigned i = 1; i < 17; i++) {
        *phdr(&im, i) = *phdr(&im, 0);
        phdr(&im, i)->p_paddr += 0x1000 * i;
        phdr(&im, i)->p_vaddr += 0x1000 * i;
    }
    im.len = sizeof(Elf32_Ehdr) + 17 * sizeof(Elf32_Phdr);     /* headers run past the code */
    save("bad-too-many-segments.elf", &im);
    good_elf(&im); ehdr(&im)->e_entry = 0x200000; save("bad-entry-outside.elf", &im);
    good_elf(&im); ehdr(&im)->e_entry = 0xFFFFFFFFu; save("bad-entry-at-4g.elf", &im);

    /* The multiboot header. */
    good_elf(&im); put32(&im, MB_OFF, 0); save("bad-no-multiboot-header.elf", &im);
    good_elf(&im); put32(&im, MB_OFF + 8, 0); save("bad-checksum.elf", &im);
    good_elf(&im); mb_header(&im, MB_OFF, 1u << 2); save("bad-requires-video.elf", &im);
    good_elf(&im); mb_header(&im, MB_OFF, 1u << 7); save("bad-requires-unknown.elf", &im);
    good_elf(&im); put32(&im, MB_OFF, 0); mb_header(&im, 9000, 0); im.len = 9100;
    phdr(&im, 0)->p_filesz = 9100; phdr(&im, 0)->p_memsz = 0x3000;
    save("bad-header-after-8k.elf", &im);

    /* a.out kludge fields. */
    good_aout(&im); im.len = MB_OFF + 20; save("bad-aout-truncated.bin", &im);
    good_aout(&im); mb_header(&im, MB_OFF, 0); save("bad-aout-no-addresses.bin", &im);
    good_aout(&im); put32(&im, MB_OFF + 16, LOAD_ADDR + MB_OFF + 0x10);
    save("bad-aout-load-after-header.bin", &im);
    good_aout(&im); put32(&im, MB_OFF + 16, 0); save("bad-aout-load-before-file.bin", &im);
    good_aout(&im); put32(&im, MB_OFF + 20, LOAD_ADDR - 1); save("bad-aout-end-below-load.bin", &im);
    good_aout(&im); put32(&im, MB_OFF + 20, LOAD_ADDR + 0x100000); put32(&im, MB_OFF + 24, 0);
    save("bad-aout-end-beyond-file.bin", &im);
    good_aout(&im); put32(&im, MB_OFF + 24, LOAD_ADDR + 0x10); save("bad-aout-bss-below-end.bin", &im);
    good_aout(&im); put32(&im, MB_OFF + 24, 0xFFFFFFFFu); save("bad-aout-bss-huge.bin", &im);
    good_aout(&im); put32(&im, MB_OFF + 28, 0x50000); save("bad-aout-entry-outside.bin", &im);
    return 0;
}
