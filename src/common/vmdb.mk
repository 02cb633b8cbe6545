# blockhost-vmdb (the VM database CLI) and the vms.json crash-test helper.
PROGRAMS += $(BUILD)/bin/blockhost-vmdb
$(BUILD)/bin/blockhost-vmdb: $(BUILD)/obj/common/tools/blockhost-vmdb.o $(LIBCOMMON)
	$(call link)

# tests/helpers/vmdb_crash: SIGKILL-a-writer loop used by tests/integration/test_vmdb_crash.sh
CHECK_DEPS += $(BUILD)/helpers/vmdb_crash
$(BUILD)/helpers/vmdb_crash: $(BUILD)/helpers/vmdb_crash.o $(LIBCOMMON)
	$(call link)
