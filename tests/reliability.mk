# tests/reliability.mk - the builds behind the reliability tests (chapter 9):
# a second build tree with AddressSanitizer and UndefinedBehaviorSanitizer,
# and the generator of malformed kernels. Included by the top Makefile
# after tests/tests.mk, so HOST_SRCS and UNIT_TESTS are complete here.
#
# build/asan/ holds the same library, unit tests and vmm as build/, compiled
# with -fsanitize=address,undefined. tests/integration/sanitizers.sh runs the
# unit tests (test_trap_stub among them: the trap engine's guest runs in a
# stub process that is never sanitized) and a few interp workloads from it
# (chapter 9, "Reliability").

ASAN_DIR    := $(BUILD)/asan
ASAN_CFLAGS := $(CFLAGS) -fsanitize=address,undefined -fno-omit-frame-pointer \
               -fno-sanitize-recover=all
ASAN_OBJS   := $(patsubst %,$(ASAN_DIR)/host/%.o,$(basename $(HOST_SRCS)))
ASAN_LIB    := $(ASAN_DIR)/libvmm.a
ASAN_VMM    := $(ASAN_DIR)/vmm
ASAN_UNIT_BINS := $(UNIT_TESTS:%=$(ASAN_DIR)/tests/%)

$(ASAN_DIR)/host/%.o: %.c | $(DEPS_STAMP)
	$(call say,ASANCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(ASAN_DIR)/host/%.o: %.S | $(DEPS_STAMP)
	$(call say,AS,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(ASAN_LIB): $(ASAN_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(ASAN_DIR)/tests/%: tests/unit/%.c $(ASAN_LIB) | $(DEPS_STAMP)
	$(call say,ASANCC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(ASAN_CFLAGS) $< $(ASAN_LIB) -lcmocka $(LDLIBS) -o $@

$(ASAN_VMM): $(VMM_MAIN) $(ASAN_LIB) | $(DEPS_STAMP)
	$(call say,LD,$@)
	$(Q)$(CC) $(ASAN_CFLAGS) $(VMM_MAIN) $(ASAN_LIB) $(LDLIBS) -o $@

-include $(ASAN_OBJS:.o=.d) $(ASAN_UNIT_BINS:=.d)

.PHONY: asan
asan: $(ASAN_UNIT_BINS) $(ASAN_VMM)

# Malformed kernels for tests/integration/bad-images.sh and the loader's fuzzer.
BAD_IMAGES := $(BUILD)/tests/bad-images
$(BAD_IMAGES): tests/tools/bad-images.c | $(DEPS_STAMP)
	$(call say,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

test: asan $(BAD_IMAGES)
