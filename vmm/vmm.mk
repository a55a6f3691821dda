# vmm/vmm.mk - sources of vmm/ (see the top Makefile)
HOST_SRCS += vmm/guest-mem.c
HOST_SRCS += vmm/vm.c
HOST_SRCS += vmm/console.c
HOST_SRCS += vmm/options.c
HOST_SRCS += vmm/engine-interp.c
HOST_SRCS += vmm/engine-trap.c
HOST_SRCS += vmm/trap-entry.S
HOST_SRCS += vmm/trap-signals.c
HOST_SRCS += vmm/trap-host.c
HOST_SRCS += vmm/trap-seccomp.c
HOST_SRCS += vmm/engine-kvm.c
HOST_SRCS += vmm/kvm-state.c
HOST_SRCS += vmm/kvm-exits.c
HOST_SRCS += vmm/kvm-mmu.c
HOST_SRCS += vmm/kvm-stats.c
UNIT_TESTS += test_options
UNIT_TESTS += test_kvm_state
UNIT_TESTS += test_kvm_exits
UNIT_TESTS += test_kvm_mmu
UNIT_TESTS += test_kvm_stats

VMM_BIN := $(BUILD)/vmm
VMM_MAIN := vmm/main.c

$(VMM_BIN): $(VMM_MAIN) $(LIBVMM) | $(DEPS_STAMP)
	$(call say,LD,$@)
	$(Q)$(CC) $(CFLAGS) $(VMM_MAIN) $(LIBVMM) -o $@

all: $(VMM_BIN)
