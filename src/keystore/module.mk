# blockhost-keystore: the TPM-sealed host keys and the daemon that uses them.
KS_TSS_LIBS = $(shell $(PKG_CONFIG) --libs tss2-esys tss2-tctildr tss2-rc tss2-mu 2>/dev/null)
KS_LIB_OBJS = $(BUILD)/obj/keystore/tpm.o $(BUILD)/obj/keystore/blob.o \
              $(BUILD)/obj/keystore/keys.o $(BUILD)/obj/keystore/ops.o \
              $(BUILD)/obj/keystore/grants.o $(BUILD)/obj/keystore/gate.o
KS_OBJS = $(KS_LIB_OBJS) $(BUILD)/obj/keystore/main.o $(BUILD)/obj/keystore/cli.o \
          $(BUILD)/obj/keystore/seal_cmds.o $(BUILD)/obj/keystore/loop.o

PROGRAMS += $(BUILD)/bin/blockhost-keystore
$(BUILD)/bin/blockhost-keystore: EXTRA_LIBS = $(KS_TSS_LIBS)
$(BUILD)/bin/blockhost-keystore: $(KS_OBJS) $(BUILD)/obj/keystore/daemon.o $(LIBCOMMON)
	$(call link)

# Test build of the daemon (never installed): the same code plus
# --test-forbidden-syscall, which makes a call outside the seccomp filter after the
# sandbox is applied, so an integration test can watch the filter kill it.
$(BUILD)/obj/keystore/daemon-test.o: src/keystore/daemon.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -DKS_TEST_HOOKS -c $< -o $@
$(BUILD)/tests/helpers/keystore-testd: EXTRA_LIBS = $(KS_TSS_LIBS)
$(BUILD)/tests/helpers/keystore-testd: $(KS_OBJS) $(BUILD)/obj/keystore/daemon-test.o $(LIBCOMMON)
	$(call link)
CHECK_DEPS += $(BUILD)/tests/helpers/keystore-testd

# unit tests and fuzz replay link the keystore objects (the replay/test rules take $^ / $<).
$(BUILD)/tests/test_keystore: $(KS_LIB_OBJS)
TEST_EXTRA_LIBS_keystore = $(KS_LIB_OBJS) $(LIBCOMMON) $(COMMON_LIBS) $(KS_TSS_LIBS)
# (replay: the extra objects land after libbhcommon.a in $^, so it is repeated.)
KS_FUZZ_SRCS = src/keystore/blob.c src/keystore/tpm.c src/keystore/keys.c src/keystore/ops.c \
               src/keystore/grants.c src/keystore/gate.c
$(BUILD)/fuzz/replay_keystore_blob: $(KS_LIB_OBJS)
$(BUILD)/fuzz/replay_keystore_blob: FUZZ_EXTRA_LIBS_keystore_blob = $(LIBCOMMON) $(COMMON_LIBS) $(KS_TSS_LIBS)
FUZZ_EXTRA_LIBS_keystore_blob = $(KS_TSS_LIBS)
FUZZ_EXTRA_SRCS_keystore_blob = $(KS_FUZZ_SRCS)
$(FUZZ_BUILD)/fuzz_keystore_blob: $(KS_FUZZ_SRCS)
$(BUILD)/fuzz/replay_keystore_req: $(KS_LIB_OBJS)
$(BUILD)/fuzz/replay_keystore_req: FUZZ_EXTRA_LIBS_keystore_req = $(LIBCOMMON) $(COMMON_LIBS) $(KS_TSS_LIBS)
FUZZ_EXTRA_LIBS_keystore_req = $(KS_TSS_LIBS)
$(FUZZ_BUILD)/fuzz_keystore_req: $(KS_FUZZ_SRCS)
FUZZ_EXTRA_SRCS_keystore_req = $(KS_FUZZ_SRCS)

# Test helper (never installed): prints the unsealed scalars so a test can search the
# tree for leaked key bytes.
$(BUILD)/obj/tests-helpers/keystore_dumpkeys.o: tests/helpers/keystore_dumpkeys.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -Isrc/keystore -c $< -o $@
$(BUILD)/tests/helpers/keystore_dumpkeys: EXTRA_LIBS = $(KS_TSS_LIBS)
$(BUILD)/tests/helpers/keystore_dumpkeys: $(BUILD)/obj/tests-helpers/keystore_dumpkeys.o \
		$(KS_LIB_OBJS) $(LIBCOMMON)
	$(call link)
CHECK_DEPS += $(BUILD)/tests/helpers/keystore_dumpkeys

# Benchmark: signatures/s over the socket vs in-process, start-to-serving time.
.PHONY: bench-keystore
$(BUILD)/obj/bench-keystore/bench_keystore.o: bench/bench_keystore.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(BUILD)/bench/bench_keystore: EXTRA_LIBS = -lpthread
$(BUILD)/bench/bench_keystore: $(BUILD)/obj/bench-keystore/bench_keystore.o $(LIBCOMMON)
	$(call link)
bench-keystore: $(BUILD)/bench/bench_keystore $(BUILD)/bin/blockhost-keystore
	BUILD=$(BUILD) tests/helpers/keystore_bench.sh
TEST_EXTRA_LIBS_keystore_client = -lpthread
