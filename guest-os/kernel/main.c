/*
 * main.c - the kernel's C entry point (chapter 1, "Booting").
 *
 * Start-up order is all here, in the order it must happen: console, check
 * the boot loader's promise, memory, segments and interrupts, devices, then
 * the first process. The kernel command line picks that process:
 * `run=NAME key=value ...` runs program NAME with the key=value words as its
 * arguments and powers off when it ends; without run= the shell starts.
 */
#include "guest-os/include/string.h"
#include "kernel/console.h"
#include "kernel/devices.h"
#include "kernel/kalloc.h"
#include "kernel/memlayout.h"
#include "kernel/proc.h"
#include "kernel/segments.h"
#include "kernel/trap.h"
#include "kernel/vm.h"

#define MULTIBOOT_BOOT_MAGIC 0x2BADB002
#define MB_INFO_MEM     0x001
#define MB_INFO_CMDLINE 0x004
#define MB_INFO_MMAP    0x040

struct multiboot_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
    uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

struct multiboot_mmap_entry {
    uint32_t size;                      /* of the rest of the entry */
    uint64_t addr, len;
    uint32_t type;                      /* 1 = available RAM */
} __attribute__((packed));

#define CMDLINE_MAX 256
#define MAX_WORDS 16

extern char end[];                      /* kernel.ld: first address after the kernel */

static char cmdline[CMDLINE_MAX];
static char *init_argv[MAX_WORDS + 1];

/* True when [pa, pa+len) lies in the first 4 MiB, the only memory the boot
 * page table maps: what the boot loader hands us must be read from there. */
static bool below_boot_map(uint32_t pa, uint32_t len)
{
    return pa < 0x400000 && len <= 0x400000 - pa;
}

/* End of the RAM that starts at 1 MiB, from the memory map if there is one
 * (it leaves out what firmware reserves at the top), else from mem_upper. */
static uint32_t find_ram_end(const struct multiboot_info *mbi)
{
    uint64_t ram_end = 0;
    if ((mbi->flags & MB_INFO_MMAP) && below_boot_map(mbi->mmap_addr, mbi->mmap_length)) {
        uint32_t off = 0;
        while (off + sizeof(struct multiboot_mmap_entry) <= mbi->mmap_length) {
            const struct multiboot_mmap_entry *e = p2v(mbi->mmap_addr + off);
            if (e->type == 1 && e->addr <= 0x100000 && e->addr + e->len > ram_end)
                ram_end = e->addr + e->len;
            off += e->size + 4;
        }
    }
    if (ram_end == 0 && (mbi->flags & MB_INFO_MEM))
        ram_end = 0x100000 + (uint64_t)mbi->mem_upper * 1024;
    if (ram_end > DIRECTMAP_MAX)
        ram_end = DIRECTMAP_MAX;
    return (uint32_t)ram_end & ~(PGSIZE - 1);
}

/* Split the command line into words; keep the key=value ones (QEMU puts the
 * kernel's file name first, without '='). Returns the program to run. */
static const char *parse_cmdline(const struct multiboot_info *mbi)
{
    static const char *shell = "sh";
    if ((mbi->flags & MB_INFO_CMDLINE) && below_boot_map(mbi->cmdline, 1))
        strncpy_safe(cmdline, p2v(mbi->cmdline), sizeof(cmdline));
    const char *program = shell;
    int argc = 1;                       // argv[0] is the program's name
    for (char *p = cmdline; *p;) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        char *word = p;
        while (*p && *p != ' ')
            p++;
        bool has_eq = false;
        for (char *q = word; q < p; q++)
            has_eq |= (*q == '=');
        if (*p)
            *p++ = 0;
        if (strncmp(word, "run=", 4) == 0)
            program = word + 4;
        else if (has_eq && argc < MAX_WORDS)
            init_argv[argc++] = word;
    }
    init_argv[0] = (char *)program;
    init_argv[argc] = NULL;
    return program;
}

void kmain(uint32_t magic, uint32_t mbi_pa)
{
    uart_init();
    if (magic != MULTIBOOT_BOOT_MAGIC) {
        kprintf("boot: not started by a multiboot loader (EAX=0x%x)\n", magic);
        poweroff(KEXIT_BADBOOT);
    }
    // The boot page table maps only the first 4 MiB, where loaders put the info.
    if (!below_boot_map(mbi_pa, sizeof(struct multiboot_info)))
        panic("multiboot info at 0x%x, beyond the boot mapping", mbi_pa);
    const struct multiboot_info *mbi = p2v(mbi_pa);
    uint32_t ram_end = find_ram_end(mbi);
    if (ram_end < 0x800000)
        panic("need at least 8 MiB of RAM, found %u KiB", ram_end / 1024);
    const char *program = parse_cmdline(mbi);

    // Memory: first the pages the boot mapping reaches, enough to build the
    // direct map of all RAM; then the rest.
    kalloc_add_range(v2p(end), 0x400000);
    vm_init_kernel(ram_end);
    kalloc_add_range(0x400000, ram_end);

    segments_init();
    idt_init();
    pic_init();
    pit_init(100);
    console_enable_input();
    vblk_init();

    // One fixed line: the sizes differ between machines (firmware keeps
    // some RAM on QEMU), and serial output is compared across them.
    kprintf("toy kernel: up\n");
    proc_start_init(program, init_argv);
    scheduler();
}
