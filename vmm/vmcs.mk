# vmm/vmcs.mk - the software VMCS and exit statistics (see the top Makefile)
HOST_SRCS += vmm/vmcs.c
HOST_SRCS += vmm/exit-stats.c
UNIT_TESTS += test_vmcs
UNIT_TESTS += test_exit_stats
