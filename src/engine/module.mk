# The engine (src/engine): the chain monitor blockhost-engine and the CLIs that sign
# through the keystore: blockhost-deploy-contracts, blockhost-mint-nft.
# docs/engine.md is the manual.  chain.c (settings, artifacts, wallet) is shared.

ENGINE_LIB_OBJS = $(BUILD)/obj/engine/chain.o $(BUILD)/obj/engine/mint.o
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
