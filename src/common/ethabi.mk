# ABI / RLP / transactions (src/common/{abi,rlp,tx}.c are in libbhcommon.a):
# the bhcrypt abi-decode-log subcommand, the interop test driver and the
# log-decoding benchmark.

# bhcrypt abi-decode-log (hook declared in src/common/tools/bhcrypt.h).  The recipe's
# own prerequisites (bhcrypt.o, libbhcommon.a) come first in $^, so this object is linked
# after the archive; a second copy of the archive after it resolves its library symbols.
$(BUILD)/bin/bhcrypt: $(BUILD)/obj/common/tools/bhcrypt_abi.o $(BUILD)/libbhcommon-late.a
$(BUILD)/libbhcommon-late.a: $(LIBCOMMON)
	$(Q)cp $< $@

# Test driver for tests/integration/test_eth_abi_interop.sh and test_eth_anvil.sh.
CHECK_DEPS += $(BUILD)/helpers/abi_tool
$(BUILD)/helpers/abi_%.o: tests/helpers/abi_%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(BUILD)/helpers/abi_tool: $(BUILD)/helpers/abi_tool.o $(LIBCOMMON)
	$(call link)

# Benchmark (never part of check): SubscriptionCreated log decoding vs ethers.
.PHONY: bench-abi
bench-abi: $(BUILD)/bench/bench_abi
	node bench/peer-ethers-parselog.js $(BUILD)/bench/bench_abi
$(BUILD)/bench/bench_abi.o: bench/bench_abi.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@
$(BUILD)/bench/bench_abi: $(BUILD)/bench/bench_abi.o $(LIBCOMMON)
	$(call link)
