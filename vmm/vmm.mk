# vmm/vmm.mk - sources of vmm/ (see the top Makefile)
HOST_SRCS += vmm/guest-mem.c
HOST_SRCS += vmm/vm.c
HOST_SRCS += vmm/console.c
HOST_SRCS += vmm/options.c
HOST_SRCS += vmm/engine-interp.c
HOST_SRCS += vmm/trap/engine-trap.c
HOST_SRCS += vmm/trap/trap-process.c
HOST_SRCS += vmm/trap/trap-host.c
HOST_SRCS += vmm/trap/trap-stub-blob.S
HOST_SRCS += vmm/kvm/engine-kvm.c
HOST_SRCS += vmm/kvm/kvm-state.c
HOST_SRCS += vmm/kvm/kvm-exits.c
HOST_SRCS += vmm/kvm/kvm-mmu.c
HOST_SRCS += vmm/kvm/kvm-stats.c
HOST_SRCS += vmm/monitor.c
HOST_SRCS += vmm/monitor-cmds.c
HOST_SRCS += vmm/monitor-mem.c
HOST_SRCS += vmm/monitor-parse.c
HOST_SRCS += vmm/symbols.c
HOST_SRCS += vmm/gdb-stub.c
HOST_SRCS += vmm/gdb-packet.c
UNIT_TESTS += test_options
UNIT_TESTS += test_trap_stub
UNIT_TESTS += test_kvm_state
UNIT_TESTS += test_kvm_exits
UNIT_TESTS += test_kvm_mmu
UNIT_TESTS += test_kvm_stats
UNIT_TESTS += test_gdb_packet
UNIT_TESTS += test_monitor_parse

# The monitor's console is GNU readline (the unit tests link it too: the
# parsing tests pull in the command table, which reaches the console).
LDLIBS += -lreadline

# The trap engine's stub (chapter 3): a freestanding static PIE with no C
# library, no relocations and one syscall instruction, embedded in the VMM
# by trap-stub-blob.S. Never sanitized: it owns no memory but the guest's.
TRAP_STUB := $(BUILD)/trap-stub.elf
TRAP_STUB_CFLAGS := -std=gnu11 -O2 -Wall -Wextra -I. $(EXTRA_CFLAGS) -static-pie -nostdlib \
	-ffreestanding -fPIE -fno-stack-protector -fno-builtin -mgeneral-regs-only \
	-fcf-protection=none -fno-asynchronous-unwind-tables -Wl,--build-id=none -Wl,-z,noexecstack

$(TRAP_STUB): vmm/trap/trap-stub.c vmm/trap/trap-stub.h | $(DEPS_STAMP)
	$(call say,CCSTUB,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(TRAP_STUB_CFLAGS) $< -o $@
	$(Q)if readelf -r $@ | grep -q R_X86_64; then echo "$@: has relocations" >&2; rm -f $@; exit 1; fi

$(BUILD)/host/vmm/trap/trap-stub-blob.o $(BUILD)/asan/host/vmm/trap/trap-stub-blob.o: $(TRAP_STUB)
$(BUILD)/host/vmm/trap/trap-stub-blob.o $(BUILD)/asan/host/vmm/trap/trap-stub-blob.o: \
	CFLAGS += -DTRAP_STUB_ELF='"$(TRAP_STUB)"'

VMM_BIN := $(BUILD)/vmm
VMM_MAIN := vmm/main.c

$(VMM_BIN): $(VMM_MAIN) $(LIBVMM) | $(DEPS_STAMP)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(VMM_MAIN) $(LIBVMM) $(LDLIBS) -o $@

all: $(VMM_BIN)
