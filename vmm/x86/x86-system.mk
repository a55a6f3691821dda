# vmm/x86/x86-system.mk - the protected-mode machinery of the x86 executor
# (memory accesses, descriptors, segment loads, far transfers, interrupts,
# control registers) and its unit tests. Included by the top Makefile.
HOST_SRCS += vmm/x86/memory.c
HOST_SRCS += vmm/x86/descriptor.c
HOST_SRCS += vmm/x86/segments.c
HOST_SRCS += vmm/x86/far-transfer.c
HOST_SRCS += vmm/x86/interrupts.c
HOST_SRCS += vmm/x86/control-regs.c
UNIT_TESTS += test_x86_memory
UNIT_TESTS += test_x86_system
