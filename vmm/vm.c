/*
 * vm.c - build the toy PC: guest RAM and every device at its standard PC
 * place, plugged into one bus (chapter 2, "The machine").
 *
 * Start-up order is visible here on purpose: the PIC first (everyone raises
 * interrupts through it), then the devices that use it.
 */
#define _GNU_SOURCE
#include "vmm/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devices/mptable.h"
#include "vmm/console.h"

/* What kind of file mode describes, for a message. */
static const char *describe_file_type(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    return "this kind of file";
}

/*
 * Open the disk image and lock it (chapter 9, "Durable disks"). Two VMMs
 * writing one image would interleave their sectors and corrupt the guest's
 * file system, so a writer takes an exclusive lock and a reader (readonly)
 * a shared one; flock's locks go away with the process, even after kill -9.
 * Returns the fd, or -1 with a message in err.
 */
static int open_disk(const char *path, bool ro, char *err, size_t errlen)
{
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
    // before we could say it is not a disk.
    int fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open the disk image: %s", path,
                 strerror(errno));
        return -1;
    }
    // A disk's size is its file's size: a FIFO, /dev/zero or /dev/null would
    // be a silent 0-sector disk, so only regular files are disk images.
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: --disk needs a regular file as the disk image, "
                 "not %s", path, describe_file_type(st.st_mode));
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        snprintf(err, errlen, "%s: the disk image is in use by another VMM (%s); "
                 "two VMMs may share an image only with ',readonly'", path,
                 errno == EWOULDBLOCK ? "it is locked" : strerror(errno));
        close(fd);
        return -1;
    }
    // The guest sees whole 512-byte sectors only; say so if bytes go missing.
    if (st.st_size % 512 != 0)
        fprintf(stderr, "vmm: %s: %lld bytes is not a whole number of 512-byte sectors; "
                "the guest sees only the first %lld\n", path,
                (long long)st.st_size, (long long)(st.st_size / 512 * 512));
    return fd;
}

int vm_create(struct vm *vm, const struct vm_config *config, char *err, size_t errlen)
{
    memset(vm, 0, sizeof(*vm));
    vm->config = *config;
    vm->mem.fd = -1;
    vm->debug.stop_exit = -1;
    if (guest_mem_init(&vm->mem, config->mem_bytes) < 0) {
        snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM: %s",
                 (unsigned long long)(config->mem_bytes >> 20), strerror(errno));
        return -1;
    }
    bus_init(&vm->bus);
    if (pic_init(&vm->pic, &vm->bus) < 0 ||
        pit_init(&vm->pit, &vm->bus, &vm->pic, &vm->now_ns) < 0 ||
        uart_init(&vm->uart, &vm->bus, &vm->pic, console_output, NULL) < 0 ||
        pci_init(&vm->pci, &vm->bus) < 0 ||
        debug_exit_init(&vm->debug_exit, &vm->bus) < 0 ||
        lapic_init(&vm->lapic, &vm->bus, &vm->pic, &vm->now_ns) < 0 ||
        ioapic_init(&vm->ioapic, &vm->bus, &vm->lapic) < 0 ||
        ide_init(&vm->ide, &vm->bus, &vm->pic) < 0 ||
        kbd8042_init(&vm->kbd, &vm->bus, &vm->pic) < 0 ||
        rtc_init(&vm->rtc, &vm->bus, &vm->now_ns, (int64_t)time(NULL), config->mem_bytes) < 0 ||
        crtc_init(&vm->crtc, &vm->bus) < 0) {
        snprintf(err, errlen, "cannot set up the devices (overlapping port ranges?)");
        return -1;
    }
    // The ISA lines reach the I/O APIC too; level EOIs come back to it.
    pic_set_line_listener(&vm->pic, ioapic_set_isa_irq, &vm->ioapic);
    lapic_set_eoi_listener(&vm->lapic, ioapic_eoi, &vm->ioapic);
    // What firmware leaves for an MP kernel (xv6 panics without it).
    if (mptable_write(&vm->mem, IOAPIC_ID, IOAPIC_BASE, LAPIC_BASE) < 0) {
        snprintf(err, errlen, "guest RAM too small for the MP tables");
        return -1;
    }
    for (unsigned i = 0; i < IDE_DRIVES; i++) {
        if (!config->ide_path[i])
            continue;
        int fd = open_disk(config->ide_path[i], config->ide_readonly[i], err, errlen);
        if (fd < 0)
            return -1;
        if (ide_attach(&vm->ide, i, fd, config->ide_readonly[i]) < 0) {
            snprintf(err, errlen, "%s: cannot attach it as IDE drive %u: %s",
                     config->ide_path[i], i, errno == EINVAL ? "smaller than one sector"
                     : strerror(errno));
            close(fd);
            return -1;
        }
    }
    if (config->disk_path) {
        int fd = open_disk(config->disk_path, config->disk_readonly, err, errlen);
        if (fd < 0)
            return -1;
        struct vblk_config vc = {
            .fd = fd,
            .read_only = config->disk_readonly,
            .pci_slot = VM_VBLK_SLOT,
            .io_base = VM_VBLK_IO_BASE,
            .irq = VM_VBLK_IRQ,
            .serial = "teaching-vmm-disk",
        };
        // PCI interrupts are level triggered; firmware says so in the ELCR.
        pic_set_level_triggered(&vm->pic, VM_VBLK_IRQ, true);
        if (vblk_init(&vm->vblk, &vm->pci, &vm->pic, &vm->mem, &vc) < 0) {
            snprintf(err, errlen, "%s: cannot attach the disk: %s", config->disk_path,
                     strerror(errno));
            close(fd);
            return -1;
        }
        vm->has_disk = true;
    }
    vmcs_init(&vm->vmcs);
    vm->start_host_ns = exit_stats_now_ns();
    return 0;
}

/* Also for a machine vm_create gave up on half way. */
void vm_destroy(struct vm *vm)
{
    if (vm->engine && vm->engine->destroy)
        vm->engine->destroy(vm);
    if (vm->has_disk)
        close(vm->vblk.fd);
    for (unsigned i = 0; i < IDE_DRIVES; i++)
        if (vm->ide.ch[i / 2].drive[i % 2].present)
            close(vm->ide.ch[i / 2].drive[i % 2].fd);
    guest_mem_destroy(&vm->mem);
}

uint32_t vm_mmio_read(void *ctx, uint32_t gpa, unsigned size)
{
    struct vm *vm = ctx;
    uint32_t value = 0;
    bus_mmio(&vm->bus, gpa, size, false, &value);
    return value;
}

void vm_mmio_write(void *ctx, uint32_t gpa, unsigned size, uint32_t value)
{
    struct vm *vm = ctx;
    bus_mmio(&vm->bus, gpa, size, true, &value);
}

bool vm_interrupt_pending(struct vm *vm)
{
    return lapic_has_interrupt(&vm->lapic);
}

int vm_interrupt_acknowledge(struct vm *vm)
{
    return lapic_acknowledge(&vm->lapic);
}

void vm_timers_update(struct vm *vm, uint64_t now_ns)
{
    pit_update(&vm->pit, now_ns);
    lapic_update(&vm->lapic, now_ns);
}

uint64_t vm_timers_next_ns(struct vm *vm, uint64_t now_ns)
{
    uint64_t pit = pit_next_event_ns(&vm->pit, now_ns);
    uint64_t apic = lapic_next_event_ns(&vm->lapic, now_ns);
    return pit < apic ? pit : apic;
}

void vm_print_device_stats(struct vm *vm, FILE *out)
{
    const struct ide_stats *d = &vm->ide.stats;
    if (d->commands > 0)
        fprintf(out, "ide: %llu commands, %llu sectors read, %llu written, %llu data-port "
                "accesses, %llu interrupts, %llu errors\n",
                (unsigned long long)d->commands, (unsigned long long)d->sectors_read,
                (unsigned long long)d->sectors_written, (unsigned long long)d->data_accesses,
                (unsigned long long)d->interrupts, (unsigned long long)d->errors);
    const struct lapic *a = &vm->lapic;
    if (a->stats.delivered > 0 || a->stats.eois > 0)
        fprintf(out, "local APIC: %llu interrupts delivered, %llu timer (%llu coalesced), "
                "%llu EOIs; I/O APIC: %llu sent, %llu routed nowhere\n",
                (unsigned long long)a->stats.delivered, (unsigned long long)a->stats.timer,
                (unsigned long long)a->stats.coalesced, (unsigned long long)a->stats.eois,
                (unsigned long long)vm->ioapic.stats.delivered,
                (unsigned long long)vm->ioapic.stats.nowhere);
}

void vm_record_exit(struct vm *vm, unsigned reason, uint64_t host_ns)
{
    exit_stats_record(&vm->exits, reason, host_ns);
    if (vm->debug.stop_exit == (int)(reason & 0xFFFF))
        vm->debug.why = VM_DEBUG_EXIT;  // the engine stops at the next boundary
    if (vm->config.trace_exits) {
        uint64_t qual = 0, rip = vm->cpu.eip;
        vmread(&vm->vmcs, EXIT_QUALIFICATION, &qual);
        vmread(&vm->vmcs, GUEST_RIP, &rip);     // the exiting instruction
        console_printf("exit: %-28s qual=0x%llx rip=0x%08x\n", vmcs_exit_reason_name(reason),
                       (unsigned long long)qual, (uint32_t)rip);
    }
}

/* ---- debugging hooks (chapter 7, "Stopping the guest") ---- */

void vm_debug_update(struct vm *vm)
{
    struct vm_debug *d = &vm->debug;
    d->active = d->nbreaks > 0 || d->steps > 0 || d->stop_exit >= 0 || d->nwatches > 0 ||
                d->why != VM_DEBUG_NONE;
}

void vm_debug_access(struct vm *vm, uint32_t lin, unsigned len, bool write)
{
    struct vm_debug *d = &vm->debug;
    if (d->why != VM_DEBUG_NONE)
        return;                         // the first hit of an instruction is the one told
    for (unsigned i = 0; i < d->nwatches; i++) {
        const struct vm_watch *w = &d->watches[i];
        // [lin, lin+len) and [addr, addr+len) overlap (64-bit: no wrap at 4 GiB)
        bool overlap = (uint64_t)lin < (uint64_t)w->addr + w->len &&
                       (uint64_t)w->addr < (uint64_t)lin + len;
        if (overlap && (w->kind & (write ? VM_WATCH_WRITE : VM_WATCH_READ))) {
            d->why = VM_DEBUG_WATCH;    // the engine stops after this instruction
            d->watch_hit = (int)i;
            d->watch_lin = lin;
            d->watch_write = write;
            return;
        }
    }
}

bool vm_debug_stop_here(struct vm *vm, uint32_t eip)
{
    struct vm_debug *d = &vm->debug;
    if (d->why != VM_DEBUG_NONE)
        return true;
    // A halted CPU is not about to run the instruction at EIP; and the
    // first instruction after a stop is where we stopped: run it.
    if (vm->cpu.halted || d->resuming)
        return false;
    for (unsigned i = 0; i < d->nbreaks; i++) {
        if (d->breaks[i] == eip) {
            d->why = VM_DEBUG_BREAK;
            return true;
        }
    }
    return false;
}

void vm_debug_retired(struct vm *vm)
{
    struct vm_debug *d = &vm->debug;
    d->resuming = false;
    if (d->steps > 0 && --d->steps == 0)
        d->why = VM_DEBUG_STEP;
}
