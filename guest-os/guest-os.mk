# guest-os/guest-os.mk - the toy guest OS: an i386 multiboot kernel with its
# user programs linked in as a ramfs, and a raw disk image (chapter 1).

GUEST_BUILD   := $(BUILD)/guest-os
GUEST_CC      := gcc
GUEST_CFLAGS  := -m32 -march=i686 -O2 -g -std=gnu11 -Wall -Wextra \
                 -ffreestanding -fno-builtin -fno-pic -fno-pie -fno-stack-protector \
                 -fno-omit-frame-pointer -fcf-protection=none -mgeneral-regs-only \
                 -fno-asynchronous-unwind-tables -I. -Iguest-os $(EXTRA_CFLAGS)
GUEST_LD      := ld -m elf_i386
GUEST_LIBGCC   = $(shell $(GUEST_CC) -m32 -print-libgcc-file-name)

KERNEL_ELF    := $(GUEST_BUILD)/kernel.elf
DISK_IMG      := $(GUEST_BUILD)/disk.img
RAMFS_IMG     := $(GUEST_BUILD)/ramfs.img
MKRAMFS       := $(GUEST_BUILD)/mkramfs

# The kernel, in start-up order more or less.
KERNEL_SRCS := \
	guest-os/kernel/boot.S \
	guest-os/kernel/trapasm.S \
	guest-os/kernel/swtch.S \
	guest-os/kernel/main.c \
	guest-os/kernel/console.c \
	guest-os/kernel/kalloc.c \
	guest-os/kernel/vm.c \
	guest-os/kernel/segments.c \
	guest-os/kernel/trap.c \
	guest-os/kernel/pic.c \
	guest-os/kernel/pit.c \
	guest-os/kernel/pci.c \
	guest-os/kernel/virtio-blk.c \
	guest-os/kernel/proc.c \
	guest-os/kernel/exec.c \
	guest-os/kernel/syscall.c \
	guest-os/kernel/nanobench.c \
	guest-os/kernel/ramfs-image.S \
	guest-os/lib/format.c \
	guest-os/lib/string.c \
	guest-os/lib/ramfs.c

# Code every user program links with.
ULIB_SRCS := \
	guest-os/user/ulib.c \
	guest-os/user/usys.S \
	guest-os/lib/format.c \
	guest-os/lib/string.c

# The programs in the ramfs: the shell, the workloads, the demos.
USER_PROGRAMS := \
	sh \
	hello \
	compute \
	syscall \
	forkwait \
	memtouch \
	ctxsw \
	pgtable \
	io \
	flushtest \
	popf \
	nano \
	selftest

# Host-side pieces of the guest build, unit tested like the VMM's code.
HOST_SRCS += guest-os/tools/ramfs-pack.c
HOST_SRCS += guest-os/lib/ramfs.c
UNIT_TESTS += test_ramfs

gobj = $(patsubst %,$(GUEST_BUILD)/obj/%.o,$(basename $(1)))
KERNEL_OBJS := $(call gobj,$(KERNEL_SRCS))
ULIB_OBJS   := $(call gobj,$(ULIB_SRCS))
USER_BINS   := $(USER_PROGRAMS:%=$(GUEST_BUILD)/user/%)

$(GUEST_BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	$(call say,CC32,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_BUILD)/obj/%.o: %.S | $(DEPS_STAMP)
	$(call say,AS32,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -DRAMFS_PATH='"$(RAMFS_IMG)"' -c $< -o $@

$(GUEST_BUILD)/obj/guest-os/kernel/ramfs-image.o: $(RAMFS_IMG)

$(KERNEL_ELF): $(KERNEL_OBJS) guest-os/kernel.ld
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) -T guest-os/kernel.ld -o $@ $(KERNEL_OBJS) $(GUEST_LIBGCC)

$(GUEST_BUILD)/user/%: $(GUEST_BUILD)/obj/guest-os/user/%.o $(ULIB_OBJS) guest-os/user.ld
	$(call say,LD,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(GUEST_LD) -S -T guest-os/user.ld -o $@ $< $(ULIB_OBJS) $(GUEST_LIBGCC)

$(MKRAMFS): guest-os/tools/mkramfs.c guest-os/tools/ramfs-pack.c | $(DEPS_STAMP)
	$(call say,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -o $@ guest-os/tools/mkramfs.c guest-os/tools/ramfs-pack.c

$(RAMFS_IMG): $(MKRAMFS) $(USER_BINS)
	$(call say,RAMFS,$@)
	$(Q)$(MKRAMFS) $@ $(USER_BINS)

# A 1 MiB disk whose first sector holds a greeting (the shell's disk demo).
$(DISK_IMG):
	$(call say,DISK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)printf 'Hello from the toy disk.\n' > $@
	$(Q)truncate -s 1M $@

.SECONDARY:
.PHONY: guest
guest: $(KERNEL_ELF) $(DISK_IMG)
all: guest

-include $(KERNEL_OBJS:.o=.d) $(ULIB_OBJS:.o=.d)
