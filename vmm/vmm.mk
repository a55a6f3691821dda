# vmm/vmm.mk - sources of vmm/ (see the top Makefile)
HOST_SRCS += vmm/guest-mem.c
HOST_SRCS += vmm/vm.c
HOST_SRCS += vmm/console.c
HOST_SRCS += vmm/options.c
HOST_SRCS += vmm/engine-interp.c
HOST_SRCS += vmm/trap/engine-trap.c
HOST_SRCS += vmm/trap/trap-entry.S
HOST_SRCS += vmm/trap/trap-signals.c
HOST_SRCS += vmm/trap/trap-host.c
HOST_SRCS += vmm/trap/trap-seccomp.c
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
UNIT_TESTS += test_kvm_state
UNIT_TESTS += test_kvm_exits
UNIT_TESTS += test_kvm_mmu
UNIT_TESTS += test_kvm_stats
UNIT_TESTS += test_gdb_packet
UNIT_TESTS += test_monitor_parse

# The monitor's console is GNU readline (the unit tests link it too: the
# parsing tests pull in the command table, which reaches the console).
LDLIBS += -lreadline

VMM_BIN := $(BUILD)/vmm
VMM_MAIN := vmm/main.c

$(VMM_BIN): $(VMM_MAIN) $(LIBVMM) | $(DEPS_STAMP)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(VMM_MAIN) $(LIBVMM) $(LDLIBS) -o $@

all: $(VMM_BIN)
