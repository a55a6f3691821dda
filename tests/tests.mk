# tests/tests.mk - the test suite: cmocka unit tests (listed by each folder's
# fragment) and the integration scripts below, run by tests/run-tests.

ORACLE := $(BUILD)/tests/workload-oracle

# Integration tests, in the order they run.
INTEGRATION_TESTS := \
	tests/integration/qemu-workloads.sh \
	tests/integration/qemu-shell.sh

$(ORACLE): tests/integration/workload-oracle.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

.PHONY: test
test: all $(UNIT_BINS) $(ORACLE)
	@tests/run-tests $(UNIT_BINS) -- $(INTEGRATION_TESTS)
