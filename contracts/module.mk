# The contracts (Solidity), compiled with the pinned solcjs (tests/js/package-lock.json)
# through standard JSON: `make contracts` -> $(BUILD)/contracts/<Contract>.json.
# Needs `make deps` (node + the pinned npm tools); not part of `all`, so a C-only build
# works without node. Installed to $(DATADIR)/blockhost/contracts.
CONTRACT_SRCS = $(wildcard contracts/*.sol) contracts/build.js
CONTRACT_STAMP = $(BUILD)/contracts/build-info.json
.PHONY: contracts install-contracts
contracts: $(CONTRACT_STAMP)
$(CONTRACT_STAMP): $(CONTRACT_SRCS)
	$(call msg,SOLC,contracts)
	$(Q)node contracts/build.js $(BUILD)/contracts > /dev/null
CHECK_DEPS += $(CONTRACT_STAMP)
INSTALL_TARGETS += install-contracts
install-contracts: $(CONTRACT_STAMP)
	install -d -m 0755 $(DESTDIR)$(DATADIR)/blockhost/contracts
	install -m 0644 $(BUILD)/contracts/*.json $(DESTDIR)$(DATADIR)/blockhost/contracts/
