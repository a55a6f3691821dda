# vmm/vmm.mk - sources of vmm/ (see the top Makefile)
HOST_SRCS += vmm/guest-mem.c
