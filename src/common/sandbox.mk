# Sandbox tooling: blockhost-policy-check validates policy/ and seccomp/ (`make policy-check`).
# The library part (src/common/{sandbox,policy}.c) is in libbhcommon.a.

PROGRAMS += $(BUILD)/bin/blockhost-policy-check
$(BUILD)/bin/blockhost-policy-check: $(BUILD)/obj/common/tools/policy-check.o $(LIBCOMMON)
	$(call link)
