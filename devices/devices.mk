# devices/devices.mk - sources of devices/ (see the top Makefile)
HOST_SRCS += devices/bus.c
HOST_SRCS += devices/pic8259.c
HOST_SRCS += devices/pit8254.c
HOST_SRCS += devices/uart16550.c
HOST_SRCS += devices/pci.c
HOST_SRCS += devices/virtio-blk.c
HOST_SRCS += devices/debug-exit.c
UNIT_TESTS += test_bus
UNIT_TESTS += test_pic8259
UNIT_TESTS += test_pit8254
UNIT_TESTS += test_uart16550
UNIT_TESTS += test_pci
UNIT_TESTS += test_virtio_blk
UNIT_TESTS += test_debug_exit
