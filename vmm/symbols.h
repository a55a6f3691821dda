/*
 * symbols.h - the guest kernel's symbol table, read from the .symtab of
 * the i386 ELF file `vmm run` booted, so that the monitor can take `exec`
 * or `exec+12` for an address and print <exec+12> next to one (chapter 7,
 * "Addresses"). More files can be added (`symbols add`, user programs);
 * `FILE:name` picks a symbol of one file when names clash.
 */
#ifndef VMM_SYMBOLS_H
#define VMM_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mon_symbol {
    char    *name;
    uint32_t addr;
    uint32_t size;                      /* 0: unknown (labels in assembly) */
    const char *file;                   /* the file's short name ("compute"), or NULL */
};

struct mon_symbols {
    struct mon_symbol *v;               /* sorted by address once loaded */
    size_t n, cap;
    char  *files[16];                   /* short names of the files loaded, in order */
    size_t nfiles;
};

/* Add the functions, objects and labels (global and local) of the ELF
 * file at path. 0, or -1 with one line in err. */
int mon_symbols_load(struct mon_symbols *s, const char *path, char *err, size_t errlen);

/* Add the symbols of another ELF file (a user program), as gdb's
 * add-symbol-file does: with text_addr, moved so that its .text starts
 * there; without (NULL), where the file was linked. *added: how many.
 * 0, or -1 with one line in err. */
int mon_symbols_add_file(struct mon_symbols *s, const char *path, const uint32_t *text_addr,
                         size_t *added, char *err, size_t errlen);

/* Add one symbol (the loader's path, and the unit tests'). 0, or -1 (no memory). */
int mon_symbols_add(struct mon_symbols *s, const char *name, uint32_t addr, uint32_t size);

void mon_symbols_free(struct mon_symbols *s);

/* The address of a symbol by exact name, or FILE:name for one file's
 * (the first loaded wins otherwise); false if there is none. */
bool mon_symbol_addr(const struct mon_symbols *s, const char *name, uint32_t *addr);

/* The symbol addr lies in (inside its size; or, for a symbol without
 * size, less than 4 KiB past it), with *offset; NULL if none. */
const char *mon_symbol_at(const struct mon_symbols *s, uint32_t addr, uint32_t *offset);
/* The same, and the short name of its file in *file (NULL for a symbol
 * added one by one). */
const char *mon_symbol_at_file(const struct mon_symbols *s, uint32_t addr, uint32_t *offset,
                               const char **file);

#endif
