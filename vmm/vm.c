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
#include <unistd.h>

#include "vmm/console.h"

/*
 * Open the disk image and lock it (chapter 9, "Durable disks"). Two VMMs
 * writing one image would interleave their sectors and corrupt the guest's
 * file system, so a writer takes an exclusive lock and a reader (readonly)
 * a shared one; flock's locks go away with the process, even after kill -9.
 * Returns the fd, or -1 with a message in err.
 */
static int open_disk(const struct vm_config *config, char *err, size_t errlen)
{
    bool ro = config->disk_readonly;
    int fd = open(config->disk_path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: cannot open the disk image: %s", config->disk_path,
                 strerror(errno));
        return -1;
    }
    if (flock(fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
        snprintf(err, errlen, "%s: the disk image is in use by another VMM (%s); "
                 "two VMMs may share an image only with ',readonly'", config->disk_path,
                 errno == EWOULDBLOCK ? "it is locked" : strerror(errno));
        close(fd);
        return -1;
    }
    // The guest sees whole 512-byte sectors only; say so if bytes go missing.
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size % 512 != 0)
        fprintf(stderr, "vmm: %s: %lld bytes is not a whole number of 512-byte sectors; "
                "the guest sees only the first %lld\n", config->disk_path,
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
        debug_exit_init(&vm->debug_exit, &vm->bus) < 0) {
        snprintf(err, errlen, "cannot set up the devices (overlapping port ranges?)");
        return -1;
    }
    if (config->disk_path) {
        int fd = open_disk(config, err, errlen);
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
