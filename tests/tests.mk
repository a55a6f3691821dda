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
	tests/integration/monitor.sh \
	tests/integration/gdb-stub.sh \
	tests/integration/misbehaving-guests.sh \
	tests/integration/durable-disk.sh \
	tests/integration/bad-images.sh \
	tests/integration/sanitizers.sh \
	tests/integration/fuzz-smoke.sh \
	tests/integration/kvm.sh \
	tests/integration/bench-quick.sh \
	tests/integration/labs.sh \
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
	port-flood \
	rep-huge \
	fill-memory
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
$(NATIVE_COMPUTE): tests/bench/native-compute.c guest-os/user/compute-kernel.h | $(DEPS_STAMP)
	$(call say,CC32,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(GUEST_CC) -m32 -march=i686 -O2 -fno-pic -fno-pie -no-pie -fno-omit-frame-pointer \
		-fcf-protection=none -mgeneral-regs-only -fno-stack-protector -I. -Wall -Wextra -o $@ $<

# The bench-quick test runs the compute workload natively too (chapter 8).
test: $(NATIVE_COMPUTE)
