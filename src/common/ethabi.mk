# ABI / RLP / transactions (src/common/{abi,rlp,tx}.c are in libbhcommon.a):
# the bhcrypt abi-decode-log subcommand, the interop test driver and the
# log-decoding benchmark.

# bhcrypt abi-decode-log (hook declared in src/common/tools/bhcrypt.h); `link` puts
# objects before archives, so an extra prerequisite object is enough.
$(BUILD)/bin/bhcrypt: $(BUILD)/obj/common/tools/bhcrypt_abi.o

# Test driver for tests/integration/test_eth_abi_interop.sh and test_eth_anvil.sh.
CHECK_DEPS += $(BUILD)/helpers/abi_tool
$(BUILD)/helpers/abi_tool: $(BUILD)/helpers/abi_tool.o $(LIBCOMMON)
	$(call link)

# Benchmark (never part of check): SubscriptionCreated log decoding vs ethers.
.PHONY: bench-abi
bench-abi: $(BUILD)/bench/bench_abi
	node bench/peer-ethers-parselog.js $(BUILD)/bench/bench_abi
$(BUILD)/bench/bench_abi: $(BUILD)/bench/bench_abi.o $(LIBCOMMON)
	$(call link)
