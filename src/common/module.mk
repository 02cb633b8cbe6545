# src/common programs.  A module.mk adds binaries to PROGRAMS with a link rule;
# objects under src/<dir>/ compile through the generic $(BUILD)/obj/%.o rule.
#
# Pattern for a program built from src/common/<name>-main.c (or any file set):
#   PROGRAMS += $(BUILD)/bin/<name>
#   $(BUILD)/bin/<name>: $(BUILD)/obj/common/tools/<name>.o $(LIBCOMMON)
#   	$(call link)
#
# `link` links the objects in $^, then the archives in $^ (so an object added as an extra
# prerequisite in another fragment still resolves against libbhcommon.a), then the
# common libraries plus $(EXTRA_LIBS).
#
# Generic rules (Makefile): bench/<x>.c -> $(BUILD)/bench/<x>.o and
# tests/helpers/<x>.c -> $(BUILD)/helpers/<x>.o.

define link
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(COMMON_LIBS) $(EXTRA_LIBS)
endef
