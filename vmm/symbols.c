/*
 * symbols.c - read a guest kernel's ELF symbol table (chapter 7,
 * "Addresses"). The file is untrusted input like any guest image: every
 * offset and size is checked against the file before it is used.
 */
#include "vmm/symbols.h"

#include <elf.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mon_symbols_add(struct mon_symbols *s, const char *name, uint32_t addr, uint32_t size)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        struct mon_symbol *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    s->v[s->n++] = (struct mon_symbol){ .name = copy, .addr = addr, .size = size };
    return 0;
}

void mon_symbols_free(struct mon_symbols *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].name);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

static int by_address(const void *a, const void *b)
{
    const struct mon_symbol *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The whole file in memory; NULL with a message in err. */
static unsigned char *read_file(const char *path, size_t *size, char *err, size_t errlen)
{
    // `symbols add` takes any path, from the console or from gdb: only a
    // regular file of sane size (a FIFO or a device would block or never end).
    struct stat st;
    if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || st.st_size > (64 << 20))) {
        snprintf(err, errlen, "%s: not a regular file of at most 64 MiB", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        fclose(f);
        *size = (size_t)n;
        return buf;
    }
    snprintf(err, errlen, "%s: cannot read the symbol table", path);
    free(buf);
    if (f)
        fclose(f);
    return NULL;
}

static bool in_file(size_t size, uint64_t off, uint64_t len)
{
    return off <= size && len <= size - off;
}

/* "build/guest-os/user/compute" -> "compute": the name in FILE:symbol. */
static char *short_name(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strcspn(base, ".");
    char *name = malloc(n + 1);
    if (name) {
        memcpy(name, base, n);
        name[n] = 0;
    }
    return name;
}

int mon_symbols_add_file(struct mon_symbols *s, const char *path, const uint32_t *text_addr,
                         size_t *added, char *err, size_t errlen)
{
    size_t before = s->n;
    if (s->nfiles == sizeof(s->files) / sizeof(s->files[0])) {
        snprintf(err, errlen, "%s: symbols of %zu files are loaded already", path, s->nfiles);
        return -1;
    }
    size_t size;
    unsigned char *file = read_file(path, &size, err, errlen);
    if (!file)
        return -1;
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)file;
    int rc = -1;
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
        eh->e_ident[EI_CLASS] != ELFCLASS32 || eh->e_shentsize != sizeof(Elf32_Shdr) ||
        !in_file(size, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf32_Shdr))) {
        snprintf(err, errlen, "%s: not a 32-bit ELF file with section headers", path);
        goto out;
    }
    const Elf32_Shdr *sh = (const Elf32_Shdr *)(file + eh->e_shoff);
    // With text_addr: every symbol moves by the distance from .text's
    // linked address to it (the section names are in e_shstrndx).
    uint32_t bias = 0;
    if (text_addr) {
        const Elf32_Shdr *names = eh->e_shstrndx < eh->e_shnum ? &sh[eh->e_shstrndx] : NULL;
        bool found = false;
        for (unsigned i = 0; names && i < eh->e_shnum && !found; i++) {
            if (!in_file(size, names->sh_offset, names->sh_size) || sh[i].sh_name + 6 > names->sh_size)
                continue;
            if (memcmp(file + names->sh_offset + sh[i].sh_name, ".text", 6) == 0) {
                bias = *text_addr - sh[i].sh_addr;
                found = true;
            }
        }
        if (!found) {
            snprintf(err, errlen, "%s: no .text section to place at 0x%08x", path, *text_addr);
            goto out;
        }
    }
    char *module = short_name(path);
    if (!module) {
        snprintf(err, errlen, "%s: out of memory reading symbols", path);
        goto out;
    }
    s->files[s->nfiles++] = module;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf32_Shdr *strtab = &sh[sh[i].sh_link];
        if (!in_file(size, sh[i].sh_offset, sh[i].sh_size) ||
            !in_file(size, strtab->sh_offset, strtab->sh_size) || strtab->sh_size == 0) {
            snprintf(err, errlen, "%s: the symbol table lies outside the file", path);
            goto out;
        }
        const Elf32_Sym *sym = (const Elf32_Sym *)(file + sh[i].sh_offset);
        const char *names = (const char *)file + strtab->sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf32_Sym); k++) {
            unsigned type = ELF32_ST_TYPE(sym[k].st_info);
            if (sym[k].st_shndx == SHN_UNDEF || sym[k].st_name >= strtab->sh_size ||
                (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE))
                continue;
            const char *name = names + sym[k].st_name;
            // The string table must end in a NUL for the name to end at all.
            if (!memchr(name, 0, strtab->sh_size - sym[k].st_name) || !name[0])
                continue;
            if (mon_symbols_add(s, name, sym[k].st_value + bias, sym[k].st_size) < 0) {
                snprintf(err, errlen, "%s: out of memory reading symbols", path);
                goto out;
            }
            s->v[s->n - 1].file = module;
        }
    }
    if (s->n)
        qsort(s->v, s->n, sizeof(s->v[0]), by_address);
    if (added)
        *added = s->n - before;
    rc = 0;
out:
    free(file);
    return rc;
}

int mon_symbols_load(struct mon_symbols *s, const char *path, char *err, size_t errlen)
{
    return mon_symbols_add_file(s, path, NULL, NULL, err, errlen);
}

bool mon_symbol_addr(const struct mon_symbols *s, const char *name, uint32_t *addr)
{
    const char *colon = strchr(name, ':');
    size_t flen = colon ? (size_t)(colon - name) : 0;
    const char *want = colon ? colon + 1 : name;
    // Sorted by address, the table has lost the load order: without FILE:
    // prefer the first file loaded (the kernel) as gdb prefers its main one.
    for (size_t f = 0; f <= s->nfiles; f++) {
        const char *file = f < s->nfiles ? s->files[f] : NULL;
        if (colon && (!file || strlen(file) != flen || strncmp(file, name, flen) != 0))
            continue;
        for (size_t i = 0; i < s->n; i++) {
            if (s->v[i].file == file && strcmp(s->v[i].name, want) == 0) {
                *addr = s->v[i].addr;
                return true;
            }
        }
    }
    return false;
}

const char *mon_symbol_at(const struct mon_symbols *s, uint32_t addr, uint32_t *offset)
{
    return mon_symbol_at_file(s, addr, offset, NULL);
}

const char *mon_symbol_at_file(const struct mon_symbols *s, uint32_t addr, uint32_t *offset,
                               const char **file)
{
    const struct mon_symbol *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const struct mon_symbol *m = &s->v[i];
        uint32_t reach = m->size ? m->size : 0x1000;
        if (addr < m->addr || addr - m->addr >= reach)
            continue;
        // The closest start wins; at the same start, the one with a size.
        if (!best || m->addr > best->addr || (m->addr == best->addr && m->size && !best->size))
            best = m;
    }
    if (!best)
        return NULL;
    *offset = addr - best->addr;
    if (file)
        *file = best->file;
    return best->name;
}
