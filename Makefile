# Makefile - build, run and test the teaching VMM (see README.md).
#
# Everything lands in build/. Each folder lists its own sources in a small
# fragment (vmm/vmm.mk, devices/devices.mk, ...), one file per line; this
# file holds the rules they share. Quiet by default; `make V=1` shows commands.

BUILD    := build
CC       := gcc
CFLAGS   := -std=gnu11 -O2 -g -Wall -Wextra -I. -MMD -MP $(EXTRA_CFLAGS)
LDLIBS   :=

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-7s %s\n' $(1) $(2)
endif

# Filled in by the fragments.
HOST_SRCS  :=       # host C code shared by the VMM and its unit tests
VMM_MAIN   :=       # the VMM's main(), kept out of the unit tests
UNIT_TESTS :=       # tests/unit/NAME.c -> build/tests/NAME

# Defined before the fragments: their rules name them. Every rule that runs
# a compiler or a tool the install step provides lists $(DEPS_STAMP) as an
# order-only prerequisite, so a fresh machine installs before it builds.
LIBVMM     := $(BUILD)/libvmm.a
DEPS_STAMP := $(BUILD)/.deps-ok

all:

include guest-os/guest-os.mk
include devices/devices.mk
include shadow-mmu/shadow-mmu.mk
include vmm/vmm.mk
include vmm/loader.mk
include vmm/vmcs.mk
include vmm/x86/x86-system.mk
include vmm/x86/x86.mk
include labs/labs.mk
include tests/tests.mk

# ---- dependencies: installed on first use, once ---------------------------
$(DEPS_STAMP): scripts/install-deps
	$(Q)scripts/install-deps
	$(Q)mkdir -p $(BUILD) && touch $@

# ---- host code ------------------------------------------------------------
HOST_OBJS := $(patsubst %,$(BUILD)/host/%.o,$(basename $(HOST_SRCS)))

$(BUILD)/host/%.o: %.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/host/%.o: %.S | $(DEPS_STAMP)
	$(call say,AS,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIBVMM): $(HOST_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# ---- unit tests -----------------------------------------------------------
UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/%)

$(BUILD)/tests/%: tests/unit/%.c $(LIBVMM) | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< $(LIBVMM) -lcmocka $(LDLIBS) -o $@

-include $(HOST_OBJS:.o=.d) $(UNIT_BINS:=.d)

.PHONY: all clean deps
deps: $(DEPS_STAMP)
clean:
	rm -rf $(BUILD)

# ---- running the guest ----------------------------------------------------
QEMU_CMD = qemu-system-i386 -M pc -m 64 -display none -serial stdio \
	-kernel $(KERNEL_ELF) -append "$(CMDLINE)" \
	-device isa-debug-exit,iobase=0xf4,iosize=4 \
	-drive file=$(DISK_IMG),if=none,id=d0,format=raw \
	-device virtio-blk-pci,drive=d0,disable-modern=on

# make run-qemu [CMDLINE="run=compute n=1000"]: the guest on the reference PC.
.PHONY: run-qemu
run-qemu: guest
	@echo "Booting the guest on QEMU (the reference PC); Ctrl-A x quits."
	-$(QEMU_CMD)

# make run [CMDLINE="run=compute n=1000"]: boot the bundled guest on our VMM
# with the default engine, serial console on this terminal (Ctrl-A x quits).
.PHONY: run
run: all
	-$(VMM_BIN) run --engine auto $(if $(CMDLINE),--cmdline "$(CMDLINE)")

# ---- hardware-assisted KVM on any host: a nested machine (chapter 5) -------
# scripts/nested-kvm boots Debian's kernel on QEMU's TCG, which emulates AMD
# SVM with nested paging; kvm-amd loads there. The kernel and busybox come
# from Debian's registry with apt-get download, once, into build/nested/.
# make run-nested [NPT=0]: a shell in that machine on this terminal, with
# this tree's build/ in /repo (poweroff leaves; NPT=0: KVM's shadow MMU).
# make nested-kvm-test: the KVM tests, in the nested machine where this
# host's KVM has no hardware assist (make test runs them too).
NPT ?= 1
.PHONY: run-nested nested-kvm-test
run-nested: all $(TEST_GUEST_ELFS)
	@scripts/nested-kvm --npt $(NPT) --shell
nested-kvm-test: all $(BUILD)/tests/test_kvm_state $(ORACLE) $(TEST_GUEST_ELFS)
	@tests/run-tests -- tests/integration/kvm.sh tests/integration/kvm-hw.sh

# ---- benchmarks (not tests: numbers are reported, never asserted) ----------
.PHONY: bench-interp
bench-interp: all
	@tests/bench/interp-vs-tcg.sh

# make difftest-long [CASES=10000000]: the differential test of the x86
# executor against this host's CPU, at length (make test runs 100,000 cases).
CASES ?= 10000000
.PHONY: difftest-long
difftest-long: $(BUILD)/tests/test_x86_difftest
	X86_DIFFTEST_CASES=$(CASES) $(BUILD)/tests/test_x86_difftest

.PHONY: bench-trap
bench-trap: all $(NATIVE_COMPUTE) $(HOST_COSTS) $(TEST_GUEST_ELFS) $(BUILD)/tests/test_trap_stub \
	$(SIGNAL_ROUND_TRIP)
	@tests/bench/trap-costs.sh
	@tests/bench/update-chapter.sh $(BUILD)/bench/bench-trap.md chapters/03-trap-and-emulate.md BENCH-TRAP

# make bench: shadow paging against EPT, every engine on every workload side
# by side (chapter 8): build/bench/results.json, results.md and the plots
# (PNG, SVG); the tables then replace the marked region of chapter 8.
# make bench-quick: the same with less work, one run each (about 2 minutes).
# Both then add kvm with NPT and with KVM's shadow MMU, in one boot of the
# nested machine (scripts/nested-kvm; several minutes more), for KVM's own
# counters per operation; NESTED=0 leaves them out.
CHAPTER8 := chapters/08-shadow-vs-ept.md
.PHONY: bench bench-quick
bench: all $(NATIVE_COMPUTE)
	@tests/bench/shadow-vs-ept.sh
	@tests/bench/update-chapter.sh $(BUILD)/bench/results.md $(CHAPTER8)
	@tests/bench/xv6-boot.sh

# make bench-xv6 [USERTESTS=1]: MIT's xv6 booted to its shell on each engine
# beside QEMU TCG (chapter 6), and with USERTESTS=1 its usertests too.
.PHONY: bench-xv6
bench-xv6: all
	@tests/bench/xv6-boot.sh
bench-quick: all $(NATIVE_COMPUTE)
	@BENCH_TARGET=bench-quick SIZE=quick REPEAT=1 tests/bench/shadow-vs-ept.sh

# ---- reliability: fuzzing and sanitizer builds (chapter 9) -----------------
include tests/reliability.mk
include tests/fuzz/fuzz.mk

# ---- lecture slides: make slides renders slides/*.md into build/slides/ -----
include slides/slides.mk

# ---- labs ------------------------------------------------------------------
# make handout LAB=n: the students' tree for lab n, in build/handout-labN/.
# make grade LAB=n: lab n's tests with a score (run it in a handout too).
.PHONY: handout grade
need-lab = $(if $(LAB),,$(error say which lab: make $@ LAB=n, n = 1..6 (labs/README.md)))
handout: | $(DEPS_STAMP)
	$(need-lab)
	@labs/make-handout.sh $(LAB)
# Lab 6 grades a Markdown report: it needs nothing built.
grade: $(if $(filter 6,$(LAB)),,all $(UNIT_TESTS:%=$(BUILD)/tests/%) $(ORACLE) $(TEST_GUEST_ELFS))
	$(need-lab)
	@labs/grade.sh $(LAB)
