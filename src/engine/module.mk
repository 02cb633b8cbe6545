# The engine (src/engine): the chain monitor blockhost-engine and the CLIs that sign
# through the keystore: blockhost-deploy-contracts, blockhost-mint-nft.
# docs/engine.md is the manual.  chain.c (settings, artifacts, wallet) is shared.

ENGINE_LIB_OBJS = $(BUILD)/obj/engine/chain.o $(BUILD)/obj/engine/mint.o $(BUILD)/obj/engine/journal.o \
                  $(BUILD)/obj/engine/payload.o
ENGINE_LIB      = $(BUILD)/engine/libbhengine.a

$(ENGINE_LIB): $(ENGINE_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

PROGRAMS += $(BUILD)/bin/blockhost-deploy-contracts
$(BUILD)/bin/blockhost-deploy-contracts: $(BUILD)/obj/engine/deploy.o $(ENGINE_LIB) $(LIBCOMMON)
	$(call link)

PROGRAMS += $(BUILD)/bin/blockhost-mint-nft
$(BUILD)/bin/blockhost-mint-nft: $(BUILD)/obj/engine/mint-main.o $(ENGINE_LIB) $(LIBCOMMON)
	$(call link)

PROGRAMS += $(BUILD)/bin/blockhost-engine
$(BUILD)/bin/blockhost-engine: EXTRA_LIBS = -lpthread
$(BUILD)/bin/blockhost-engine: $(BUILD)/obj/engine/engine.o $(BUILD)/obj/engine/ingest.o $(BUILD)/obj/engine/quorum.o $(BUILD)/obj/engine/work.o $(BUILD)/obj/engine/spawner.o $(BUILD)/obj/engine/recon.o $(BUILD)/obj/engine/gccheck.o $(ENGINE_LIB) $(LIBCOMMON)
	$(call link)

# fuzz/fuzz_engine_journal.c: the journal parsers
$(BUILD)/fuzz/replay_engine_journal: $(BUILD)/obj/engine/journal.o
FUZZ_EXTRA_SRCS_engine_journal = src/engine/journal.c

# tests/unit/test_engine_journal.c: the journal, cursor and chunking logic
$(BUILD)/tests/test_engine_journal: $(ENGINE_LIB)
TEST_EXTRA_LIBS_engine_journal = $(ENGINE_LIB) $(LIBCOMMON) $(COMMON_LIBS)

# fuzz/fuzz_engine_payload.c: the purchase payload path (ECIES -> signature -> details)
$(BUILD)/fuzz/replay_engine_payload: $(BUILD)/obj/engine/payload.o
FUZZ_EXTRA_SRCS_engine_payload = src/engine/payload.c

# /usr/share/blockhost/engine.json (upstream.md §2.2): how the installer and the packages
# find the engine
INSTALL_TARGETS += install-engine
.PHONY: install-engine
install-engine:
	install -d -m 0755 $(DESTDIR)$(DATADIR)/blockhost
	install -m 0644 src/engine/engine.json $(DESTDIR)$(DATADIR)/blockhost/engine.json

# bench/bench_engine_catchup.sh (make bench, never make check): cold-start catch-up over
# 10,000 SubscriptionCreated logs vs an ethers v6 getLogs + decode loop
.PHONY: bench-engine-catchup
bench-engine-catchup: $(BUILD)/bin/blockhost-engine $(BUILD)/bin/blockhost-keystore $(BUILD)/bin/blockhost-vmdb
	BUILD=$(BUILD) bench/bench_engine_catchup.sh

# fuzz/fuzz_engine_quorum.c: the proof steps over one endpoint's block and receipts
$(BUILD)/fuzz/replay_engine_quorum: $(BUILD)/obj/engine/quorum.o $(BUILD)/obj/engine/chain.o
FUZZ_EXTRA_SRCS_engine_quorum = src/engine/quorum.c src/engine/chain.c
FUZZ_EXTRA_LIBS_engine_quorum = -lpthread

# tests/unit/test_engine_quorum.c: endpoint configuration and the bloom test
$(BUILD)/tests/test_engine_quorum: $(ENGINE_LIB) $(BUILD)/obj/engine/quorum.o
TEST_EXTRA_LIBS_engine_quorum = $(BUILD)/obj/engine/quorum.o $(ENGINE_LIB) $(LIBCOMMON) $(COMMON_LIBS) -lpthread
# bench/bench_engine_latency.sh: block mined -> provisioner create started, 1 s blocks
.PHONY: bench-engine-latency
bench-engine-latency: $(BUILD)/bin/blockhost-engine $(BUILD)/bin/blockhost-keystore $(BUILD)/bin/blockhost-vmdb $(BUILD)/bin/blockhost-deploy-contracts contracts
	BUILD=$(BUILD) bench/bench_engine_latency.sh

# bench/bench_engine_provision.sh: 20 purchases, a 2 s provisioner: --workers 4 vs 1
.PHONY: bench-engine-provision
bench-engine-provision: $(BUILD)/bin/blockhost-engine $(BUILD)/bin/blockhost-keystore $(BUILD)/bin/blockhost-vmdb $(BUILD)/bin/blockhost-deploy-contracts contracts
	BUILD=$(BUILD) bench/bench_engine_provision.sh
