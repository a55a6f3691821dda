/*
 * exec.c - replace a process's program with one from the ramfs
 * (chapter 1, "Programs").
 *
 * Builds the new address space completely before touching the old one, so a
 * bad program leaves the caller running: load each PT_LOAD segment into fresh
 * pages, put the arguments on a new user stack, and only then switch.
 * Every field of the ELF file is checked: the ramfs is trusted to be ours,
 * but the checks cost nothing and teach the habit.
 */
#include "guest-os/include/ramfs.h"
#include "guest-os/include/string.h"
#include "kernel/console.h"
#include "kernel/elf.h"
#include "kernel/memlayout.h"
#include "kernel/proc.h"
#include "kernel/seg.h"
#include "kernel/x86.h"

#define MAXARG 16

extern const char ramfs_image[], ramfs_image_end[];   /* ramfs-image.S */

#define HEAP_LIMIT (USERTOP - (USTACK_PAGES + 1) * PGSIZE)

/* Map and fill one PT_LOAD segment. Returns its end address, or 0. */
static uint32_t load_segment(pde_t *pgdir, const char *file, uint32_t size,
                             const struct elf_phdr *ph)
{
    if (ph->filesz > ph->memsz || ph->vaddr < USERBASE || ph->memsz > HEAP_LIMIT ||
        ph->vaddr > HEAP_LIMIT - ph->memsz || ph->offset > size ||
        ph->filesz > size - ph->offset)
        return 0;
    uint32_t end = ph->vaddr + ph->memsz;
    for (uint32_t va = PGROUNDDOWN(ph->vaddr); va < end; va += PGSIZE) {
        pte_t *pte = vm_walk(pgdir, va, true);
        if (!pte)
            return 0;
        if (!(*pte & PTE_P) && vm_map_new_page(pgdir, va, PTE_U) < 0)
            return 0;
        if (ph->flags & PF_W)
            *pte |= PTE_W;              // pages shared with a read-only segment become writable
    }
    if (vm_copyout(pgdir, ph->vaddr, file + ph->offset, ph->filesz) < 0)
        return 0;
    return end;
}

/* Put argv on the stack of pgdir; returns the new stack pointer or 0. */
static uint32_t push_args(pde_t *pgdir, char *const argv[])
{
    uint32_t sp = USERTOP, uargv[MAXARG + 1];
    int argc = 0;
    for (; argv[argc]; argc++) {
        if (argc == MAXARG)
            return 0;
        uint32_t len = strlen(argv[argc]) + 1;
        sp = (sp - len) & ~3u;
        if (vm_copyout(pgdir, sp, argv[argc], len) < 0)
            return 0;
        uargv[argc] = sp;
    }
    uargv[argc] = 0;
    sp -= (uint32_t)(argc + 1) * 4;
    uint32_t argv_addr = sp;
    if (vm_copyout(pgdir, sp, uargv, (uint32_t)(argc + 1) * 4) < 0)
        return 0;
    // The frame _start(argc, argv) expects: a fake return address, then the arguments.
    uint32_t frame[3] = { 0xFFFFFFFFu, (uint32_t)argc, argv_addr };
    sp -= sizeof(frame);
    if (vm_copyout(pgdir, sp, frame, sizeof(frame)) < 0)
        return 0;
    return sp;
}

int exec(const char *name, char *const argv[])
{
    const void *data;
    uint32_t size;
    if (ramfs_find(ramfs_image, (uint32_t)(ramfs_image_end - ramfs_image), name, &data, &size) < 0)
        return -1;
    const char *file = data;
    const struct elf_header *eh = data;
    if (size < sizeof(*eh) || eh->magic != ELF_MAGIC || eh->type != ET_EXEC ||
        eh->machine != EM_386 || eh->phentsize != sizeof(struct elf_phdr) ||
        eh->phoff > size || eh->phnum > (size - eh->phoff) / sizeof(struct elf_phdr))
        return -1;

    pde_t *pgdir = vm_new_pgdir();
    if (!pgdir)
        return -1;
    uint32_t image_end = USERBASE;
    const struct elf_phdr *ph = (const struct elf_phdr *)(file + eh->phoff);
    for (int i = 0; i < eh->phnum; i++) {
        if (ph[i].type != PT_LOAD || ph[i].memsz == 0)
            continue;
        uint32_t end = load_segment(pgdir, file, size, &ph[i]);
        if (end == 0)
            goto bad;
        if (end > image_end)
            image_end = end;
    }
    for (uint32_t i = 1; i <= USTACK_PAGES; i++)
        if (vm_map_new_page(pgdir, USERTOP - i * PGSIZE, PTE_W | PTE_U) < 0)
            goto bad;
    uint32_t sp = push_args(pgdir, argv);
    if (sp == 0)
        goto bad;

    // Commit: from here on the old program is gone.
    strncpy_safe(current->name, name, sizeof(current->name));
    pde_t *old = current->pgdir;
    current->pgdir = pgdir;
    current->heap_start = current->brk = PGROUNDUP(image_end);
    struct trapframe *tf = current->tf;
    memset(tf, 0, sizeof(*tf));
    tf->eip = eh->entry;
    tf->esp = sp;
    tf->cs = SEG_UCODE_SEL;
    tf->ss = SEG_UDATA_SEL;
    tf->eflags = 0x202;                 // IF set: user code runs with interrupts on
    vm_switch(pgdir);
    vm_free_pgdir(old);
    return 0;

bad:
    vm_free_pgdir(pgdir);
    return -1;
}
