# vmm/loader.mk - the Multiboot v1 loader and its tests (see the top Makefile)
HOST_SRCS  += vmm/loader.c
UNIT_TESTS += test_loader
