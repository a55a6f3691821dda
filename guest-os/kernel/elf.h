/* elf.h - the parts of the ELF format exec needs (chapter 1, "Programs"). */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include "kernel/types.h"

#define ELF_MAGIC 0x464C457Fu           /* "\x7FELF" little-endian */
#define ET_EXEC   2
#define EM_386    3
#define PT_LOAD   1
#define PF_W      2

struct elf_header {
    uint32_t magic;
    uint8_t  ident[12];
    uint16_t type, machine;
    uint32_t version, entry, phoff, shoff, flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf_phdr {
    uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align;
};

#endif
