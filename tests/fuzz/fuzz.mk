# tests/fuzz/fuzz.mk - libFuzzer targets (chapter 9, "Reliability"), built
# with clang into build/fuzz/. Included by the top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60]   run every target for that long, each
#   make fuzz-build               just build them (the test suite's smoke
#                                 run, tests/integration/fuzz-smoke.sh, does)
#
# The VMM's own sources are compiled again here with coverage
# instrumentation and the sanitizers, so that a stray byte or undefined
# behaviour anywhere on the path is a crash the fuzzer reports.

FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=gnu11 -O1 -g -I. -Wall -Wextra -fno-omit-frame-pointer \
                -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := x86 loader virtio-blk gdb-packet monitor-parse

# What each target links: the code under test and what it needs.
FUZZ_SRCS_x86 := \
	$(filter vmm/x86/%,$(HOST_SRCS)) \
	shadow-mmu/page-walk.c \
	shadow-mmu/soft-tlb.c \
	vmm/guest-mem.c
FUZZ_SRCS_loader := \
	vmm/loader.c \
	vmm/guest-mem.c
FUZZ_SRCS_virtio-blk := \
	devices/bus.c \
	devices/pic8259.c \
	devices/pci.c \
	devices/virtio-blk.c \
	vmm/guest-mem.c
FUZZ_SRCS_gdb-packet := \
	vmm/gdb-packet.c
FUZZ_SRCS_monitor-parse := \
	vmm/monitor-parse.c \
	vmm/symbols.c

fuzz_objs = $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(1))
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)

$(BUILD)/fuzz/obj/%.o: %.c | $(DEPS_STAMP)
	$(call say,FUZZCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(BUILD)/fuzz/fuzz-x86: tests/fuzz/fuzz-x86.c $(call fuzz_objs,$(FUZZ_SRCS_x86))
$(BUILD)/fuzz/fuzz-loader: tests/fuzz/fuzz-loader.c $(call fuzz_objs,$(FUZZ_SRCS_loader))
$(BUILD)/fuzz/fuzz-virtio-blk: tests/fuzz/fuzz-virtio-blk.c $(call fuzz_objs,$(FUZZ_SRCS_virtio-blk))
$(BUILD)/fuzz/fuzz-gdb-packet: tests/fuzz/fuzz-gdb-packet.c $(call fuzz_objs,$(FUZZ_SRCS_gdb-packet))
$(BUILD)/fuzz/fuzz-monitor-parse: tests/fuzz/fuzz-monitor-parse.c $(call fuzz_objs,$(FUZZ_SRCS_monitor-parse))
$(FUZZ_BINS): | $(DEPS_STAMP)
	$(call say,FUZZLD,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@

-include $(wildcard $(BUILD)/fuzz/obj/*/*.d $(BUILD)/fuzz/obj/*/*/*.d)

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BINS)

# New inputs go to build/fuzz/corpus/; the seeds in tests/fuzz/corpus/ are
# only read. Copy an interesting new input there by hand to keep it.
fuzz: fuzz-build
	@tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# make fuzz-seeds: regenerate tests/fuzz/corpus/ (committed; see make-seeds.sh).
$(BUILD)/fuzz/make-vblk-seeds: tests/fuzz/make-vblk-seeds.c devices/virtio-blk.h | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -o $@
.PHONY: fuzz-seeds
fuzz-seeds: $(BUILD)/fuzz/make-vblk-seeds $(BAD_IMAGES)
	@tests/fuzz/make-seeds.sh
