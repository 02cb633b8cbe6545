# Programs built on src/common only (no component of their own):
#   bhcrypt                 the engine's crypto CLI (ECIES, NFT symmetric format, ABI logs)
#   blockhost-vmdb          the VM database CLI
#   blockhost-policy-check  validates policy/ and seccomp/ (`make policy-check`)
#
# A program built from src/tools/<name>.c (or any file set):
#   PROGRAMS += $(BUILD)/bin/<name>
#   $(BUILD)/bin/<name>: $(BUILD)/obj/tools/<name>.o $(LIBCOMMON)
#   	$(call link)

# bhcrypt; the abi-decode-log subcommand lives in bhcrypt_abi.c (hook declared in
# bhcrypt.h): `link` orders objects before archives, so an extra object is enough.
PROGRAMS += $(BUILD)/bin/bhcrypt
$(BUILD)/bin/bhcrypt: $(BUILD)/obj/tools/bhcrypt.o $(BUILD)/obj/tools/bhcrypt_abi.o $(LIBCOMMON)
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

# tests/integration/test_escape_probes.sh: one escape attempt under a service's policy,
# identity and filter (tests/helpers/escape_probe.c); never installed
CHECK_DEPS += $(BUILD)/helpers/escape_probe
$(BUILD)/helpers/escape_probe: $(BUILD)/helpers/escape_probe.o $(LIBCOMMON)
	$(call link)
