# src/common programs.  A module.mk adds binaries to PROGRAMS with a link rule;
# objects under src/<dir>/ compile through the generic $(BUILD)/obj/%.o rule.
#
# Pattern for a program built from src/common/<name>-main.c (or any file set):
#   PROGRAMS += $(BUILD)/bin/<name>
#   $(BUILD)/bin/<name>: $(BUILD)/obj/common/tools/<name>.o $(LIBCOMMON)
#   	$(call link)
#
# `link` links $^ (objects + libbhcommon.a) with the common libraries plus $(EXTRA_LIBS).

define link
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o %.a,$^) $(COMMON_LIBS) $(EXTRA_LIBS)
endef
