# Programs built on src/common only (no component of their own):
#   bhcrypt                 the engine's crypto CLI (ECIES, NFT symmetric format, ABI logs)
#   blockhost-vmdb          the VM database CLI
#   blockhost-policy-check  validates policy/ and seccomp/ (`make policy-check`)
#
# A program built from src/tools/<name>.c (or any file set):
#   PROGRAMS += $(BUILD)/bin/<name>
#   $(BUILD)/bin/<name>: $(BUILD)/obj/tools/<name>.o $(LIBCOMMON)
#   	$(call link)

# bhcrypt: the dispatch in bhcrypt.c, the subcommands one file per concern (bhcrypt.h):
# `link` orders objects before archives, so the objects are simply listed.
BHCRYPT_OBJS = $(patsubst %,$(BUILD)/obj/tools/%.o,bhcrypt bhcrypt_input bhcrypt_keys \
               bhcrypt_sym bhcrypt_ecies bhcrypt_sig bhcrypt_abi)
PROGRAMS += $(BUILD)/bin/bhcrypt
$(BUILD)/bin/bhcrypt: $(BHCRYPT_OBJS) $(LIBCOMMON)
	$(call link)

PROGRAMS += $(BUILD)/bin/blockhost-vmdb
$(BUILD)/bin/blockhost-vmdb: $(BUILD)/obj/tools/blockhost-vmdb.o $(LIBCOMMON)
	$(call link)

PROGRAMS += $(BUILD)/bin/blockhost-policy-check
$(BUILD)/bin/blockhost-policy-check: $(BUILD)/obj/tools/policy-check.o $(LIBCOMMON)
	$(call link)

# Test driver for tests/integration/test_eth_abi_interop.sh and test_eth_anvil.sh.
CHECK_DEPS += $(BUILD)/helpers/abi_tool
$(BUILD)/helpers/abi_tool: $(BUILD)/helpers/abi_tool.o $(LIBCOMMON)
	$(call link)

# tests/helpers/vmdb_crash: SIGKILL-a-writer loop used by tests/integration/test_vmdb_crash.sh
CHECK_DEPS += $(BUILD)/helpers/vmdb_crash
$(BUILD)/helpers/vmdb_crash: $(BUILD)/helpers/vmdb_crash.o $(LIBCOMMON)
	$(call link)

# Benchmarks (never part of check): SubscriptionCreated log decoding vs ethers, and
# signature recovery vs ethers verifyMessage.
.PHONY: bench-abi bench-recover
bench-abi: $(BUILD)/bench/bench_abi
	node bench/peer-ethers-parselog.js $(BUILD)/bench/bench_abi
$(BUILD)/bench/bench_abi: $(BUILD)/bench/bench_abi.o $(LIBCOMMON)
	$(call link)
bench-recover: $(BUILD)/bench/bench_recover
	$(BUILD)/bench/bench_recover --peer bench/peer-ethers-verify.js
$(BUILD)/bench/bench_recover: $(BUILD)/bench/bench_recover.o $(LIBCOMMON)
	$(call link)

# tests/helpers/vmdb_faults: several writers SIGKILLed at once (test_vmdb_faults.sh)
CHECK_DEPS += $(BUILD)/helpers/vmdb_faults
$(BUILD)/helpers/vmdb_faults: $(BUILD)/helpers/vmdb_faults.o $(LIBCOMMON)
	$(call link)

# tests/helpers/faultinj.so: LD_PRELOAD write/fsync/rename faults (test_vmdb_faults.sh)
CHECK_DEPS += $(BUILD)/helpers/faultinj.so
$(BUILD)/helpers/faultinj.so: tests/helpers/faultinj.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) -shared -fPIC -O2 -g -Wall -Wextra -o $@ $< -ldl

# tests/integration/test_escape_probes.sh: one escape attempt under a service's policy,
# identity and filter (tests/helpers/escape_probe.c); never installed
CHECK_DEPS += $(BUILD)/helpers/escape_probe
$(BUILD)/helpers/escape_probe: $(BUILD)/helpers/escape_probe.o $(LIBCOMMON)
	$(call link)
