/*
 * symbols.h - the guest kernel's symbol table, read from the .symtab of
 * the i386 ELF file `vmm run` booted, so that the monitor can take `exec`
 * or `exec+12` for an address and print <exec+12> next to one (chapter 7,
 * "Addresses").
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
};

struct mon_symbols {
    struct mon_symbol *v;               /* sorted by address once loaded */
    size_t n, cap;
};

/* Add the functions, objects and labels (global and local) of the ELF
 * file at path. 0, or -1 with one line in err. */
int mon_symbols_load(struct mon_symbols *s, const char *path, char *err, size_t errlen);

/* Add one symbol (the loader's path, and the unit tests'). 0, or -1 (no memory). */
int mon_symbols_add(struct mon_symbols *s, const char *name, uint32_t addr, uint32_t size);

void mon_symbols_free(struct mon_symbols *s);

/* The address of a symbol by exact name; false if there is none. */
bool mon_symbol_addr(const struct mon_symbols *s, const char *name, uint32_t *addr);

/* The symbol addr lies in (inside its size; or, for a symbol without
 * size, less than 4 KiB past it), with *offset; NULL if none. */
const char *mon_symbol_at(const struct mon_symbols *s, uint32_t addr, uint32_t *offset);

#endif
