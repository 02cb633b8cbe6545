# src/common: the shared library, in four layers, one archive each (see docs/layout.md).
#
#   core/     err buf hex strutil deadline path log atomicio spawn frame usock json file cli
#   eth/      keccak secp eth rlp tx ecies u256 abi-* header receipt trie proof  (uses core)
#   sandbox/  ini policy seccomp apply                        (uses core)
#   host/     config vmdb manifest keystore_client gecos result  (uses eth, core)
#
# Headers are included by layer path ("eth/abi.h") with -Isrc/common. Allowed arrows:
# eth -> core, sandbox -> core, host -> eth + core; components -> any layer. Nothing
# points up or sideways; scripts/check-layers.sh (run by `make check`) enforces it.
# Library code never logs and never exits: programs live in src/tools/ and src/<component>/.
#
# $(LIBCOMMON) names the four archives, highest layer first, so a link rule that lists
# $(LIBCOMMON) among its prerequisites resolves every layer in one pass.
#
# `link` links the objects in $^, then the archives in $^ (so an object added as an extra
# prerequisite in another fragment still resolves against the archives), then the
# common libraries plus $(EXTRA_LIBS).
#
# Generic rules (Makefile): bench/<x>.c -> $(BUILD)/bench/<x>.o and
# tests/helpers/<x>.c -> $(BUILD)/helpers/<x>.o.

define link
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(COMMON_LIBS) $(EXTRA_LIBS)
endef

$(foreach l,$(COMMON_LAYERS),$(eval $(BUILD)/libbh$(l).a: \
	$(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/common/$(l)/*.c))))
$(LIBCOMMON):
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

# tests/helpers/proof_tool: the proof code from JSON (tests/integration/test_eth_proof_*.sh)
CHECK_DEPS += $(BUILD)/helpers/proof_tool
$(BUILD)/helpers/proof_tool: $(BUILD)/helpers/proof_tool.o $(LIBCOMMON)
	$(call link)

# make bench-proof (never in check): proof cost per block and per event on anvil blocks of
# 1, 100 and 1,000 transactions, ours vs ethers in node (bench/bench_proof.sh)
.PHONY: bench-proof
bench-proof: $(BUILD)/bench/bench_proof
	bench/bench_proof.sh $(BUILD)/bench/bench_proof
$(BUILD)/bench/bench_proof: $(BUILD)/bench/bench_proof.o $(LIBCOMMON)
	$(call link)
