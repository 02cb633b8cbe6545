# bhcrypt (the engine's crypto CLI) and the signature-recovery benchmark.
# The secp/eth/ecies library code is in src/common/*.c (libbhcommon.a).
#
# A bhcrypt subcommand may live in another file (see src/common/tools/bhcrypt.h):
# add its object as an extra prerequisite in your own fragment (`link` orders objects
# before archives), e.g.
#   $(BUILD)/bin/bhcrypt: $(BUILD)/obj/common/tools/bhcrypt_abi.o
PROGRAMS += $(BUILD)/bin/bhcrypt
$(BUILD)/bin/bhcrypt: $(BUILD)/obj/common/tools/bhcrypt.o $(LIBCOMMON)
	$(call link)

# Benchmark (never part of check): make bench-recover; run $(BUILD)/bench/bench_recover.
.PHONY: bench-recover
bench-recover: $(BUILD)/bench/bench_recover
	$(BUILD)/bench/bench_recover --peer bench/peer-ethers-verify.js
$(BUILD)/bench/bench_recover: $(BUILD)/bench/bench_recover.o $(LIBCOMMON)
	$(call link)
