# tests/tests.mk - the test suite: cmocka unit tests (listed by each folder's
# fragment) and the integration scripts below, run by tests/run-tests.

ORACLE := $(BUILD)/tests/workload-oracle

# Integration tests, in the order they run.
INTEGRATION_TESTS := \
	tests/integration/qemu-workloads.sh \
	tests/integration/qemu-shell.sh \
	tests/integration/vmm-errors.sh \
	tests/integration/interp-workloads.sh \
	tests/integration/trap-workloads.sh \
	tests/integration/xv6.sh \
	tests/integration/monitor.sh \
	tests/integration/gdb-stub.sh \
	tests/integration/misbehaving-guests.sh \
	tests/integration/escape-suite.sh \
	tests/integration/mp-devices.sh \
	tests/integration/durable-disk.sh \
	tests/integration/bad-images.sh \
	tests/integration/sanitizers.sh \
	tests/integration/fuzz-smoke.sh \
	tests/integration/kvm.sh \
	tests/integration/bench-quick.sh \
	tests/integration/labs.sh \
	tests/integration/lab-mutants.sh \
	tests/integration/kvm-hw.sh \
	tests/integration/book.sh \
	tests/integration/slides.sh

$(ORACLE): tests/integration/workload-oracle.c guest-os/user/compute-kernel.h | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

.PHONY: test
# tests.mk is included last, so UNIT_TESTS is complete here.
test: all $(UNIT_TESTS:%=$(BUILD)/tests/%) $(ORACLE)
	@tests/run-tests $(UNIT_TESTS:%=$(BUILD)/tests/%) -- $(INTEGRATION_TESTS)

# Small guests that misbehave on purpose (tests/guests/*.S).
TEST_GUESTS := \
	hello \
	triple-fault \
	dead-halt \
	spin \
	int80 \
	sysenter \
	syscall64 \
	wild-jump \
	cli-loop \
	touch-pages \
	kvm-tick \
	cpuid \
	self-modify \
	pt-aliases \
	irq-storm \
	mp-junk \
	port-flood \
	rep-huge \
	string-io \
	fill-memory \
	escape \
	print-flood \
	null-page \
	two-table-stos \
	segment-bases
TEST_GUEST_ELFS := $(TEST_GUESTS:%=$(BUILD)/tests/guests/%.elf)

$(BUILD)/tests/guests/%.elf: tests/guests/%.S tests/guests/multiboot.h tests/guests/guest.ld | $(DEPS_STAMP)
	$(call say,AS32,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) -m32 -c -Itests/guests $< -o $@.o
	$(Q)$(GUEST_LD) --no-warn-rwx-segments -T tests/guests/guest.ld -o $@ $@.o

test: $(TEST_GUEST_ELFS)

# The compute workload built for the host, 32-bit, with the guest's code
# generation flags (PIE code, for one, would be slower by a register).
NATIVE_COMPUTE := $(BUILD)/bench/native-compute
SIGNAL_ROUND_TRIP := $(BUILD)/bench/signal-round-trip
$(SIGNAL_ROUND_TRIP): tests/bench/signal-round-trip.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -o $@
$(NATIVE_COMPUTE): tests/bench/native-compute.c guest-os/user/compute-kernel.h | $(DEPS_STAMP)
	$(call say,CC32,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) -m32 -march=i686 -O2 -fno-pic -fno-pie -no-pie -fno-omit-frame-pointer \
		-fcf-protection=none -mgeneral-regs-only -fno-stack-protector -I. -Wall -Wextra -o $@ $<

# The host's own costs behind chapter 3's per-page figures (make bench-trap).
HOST_COSTS := $(BUILD)/bench/host-costs
$(HOST_COSTS): tests/bench/host-costs.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(filter-out -MMD -MP,$(CFLAGS)) -o $@ $<

# The bench-quick test runs the compute workload natively too (chapter 8).
test: $(NATIVE_COMPUTE)

# kvm.sh asks /dev/kvm itself what it offers (tests/tools/kvm-caps.c).
KVM_CAPS := $(BUILD)/tests/kvm-caps
$(KVM_CAPS): tests/tools/kvm-caps.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

test: $(KVM_CAPS)

# What the integration scripts run, less the sanitizer build: the mutant
# suite (tests/mutants/) builds this before it runs one of them.
.PHONY: integration-prereqs
integration-prereqs: all $(ORACLE) $(TEST_GUEST_ELFS) $(NATIVE_COMPUTE) $(KVM_CAPS) \
	$(BUILD)/tests/bad-images

# The mutant suite (tests/mutants/, chapter 9 "Tests that can fail"): each
# planted bug must fail the tests it names. Minutes, so not part of `make
# test`; `make mutants MUTANTS="ID..."` runs some, `make mutants-quick` the
# few that CI runs (.ci/run).
MUTANTS_QUICK := vblk-flush-nosync vblk-used-slot-256 pit-reload-keeps-edges \
	pw-wp-shadow loader-mb-checksum gdb-checksum-7bit
.PHONY: mutants mutants-quick
mutants: integration-prereqs $(UNIT_TESTS:%=$(BUILD)/tests/%)
	@tests/mutants/run.sh $(MUTANTS)
mutants-quick: $(UNIT_TESTS:%=$(BUILD)/tests/%)
	@tests/mutants/run.sh $(MUTANTS_QUICK)
