# blockhost-root-agent, its signing/verification tools and the core action plugins.
# docs/PROTOCOL.plugin specifies the plugin format; docs/root-agent.md the daemon.

# plugin.h's five parts: manifest (parser), params (schema check), sig (keys and
# signatures), store (checked files, rollback state, bh_plugin_load), exec (bh_plugin_run)
AGENT_PLUGIN_PARTS = manifest params sig store exec
AGENT_LIB_OBJS = $(patsubst %,$(BUILD)/obj/agent/plugin-%.o,$(AGENT_PLUGIN_PARTS)) \
                 $(BUILD)/obj/agent/request.o
AGENT_LIBS     = $(AGENT_LIB_OBJS) $(LIBCOMMON) $(COMMON_LIBS)

PROGRAMS += $(BUILD)/bin/blockhost-root-agent $(BUILD)/bin/blockhost-sign-plugin \
            $(BUILD)/bin/blockhost-verify-plugin

$(BUILD)/bin/blockhost-root-agent: $(BUILD)/obj/agent/agent.o $(BUILD)/obj/agent/agent-handler.o $(BUILD)/obj/agent/agent-config.o $(AGENT_LIB_OBJS) $(LIBCOMMON)
	$(call link)
# Test build (never installed): the agent with the BH_TEST_HOOKS forbidden-syscall hook
# (sandbox/apply.h) in its request reader and handler's checker, for test_agent_plugins.sh.
$(BUILD)/obj/agent/%-test.o: src/agent/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -DBH_TEST_HOOKS -c $< -o $@
$(BUILD)/tests/helpers/blockhost-root-agent-testd: $(BUILD)/obj/agent/agent-test.o $(BUILD)/obj/agent/agent-handler-test.o $(BUILD)/obj/agent/agent-config.o $(AGENT_LIB_OBJS) $(LIBCOMMON)
	$(call link)
CHECK_DEPS += $(BUILD)/tests/helpers/blockhost-root-agent-testd
$(BUILD)/bin/blockhost-sign-plugin: $(BUILD)/obj/agent/tools/sign-plugin.o $(AGENT_LIB_OBJS) $(LIBCOMMON)
	$(call link)
$(BUILD)/bin/blockhost-verify-plugin: $(BUILD)/obj/agent/tools/verify-plugin.o $(AGENT_LIB_OBJS) $(LIBCOMMON)
	$(call link)

# ---- core action plugins: src/agent/actions/<name>.c + policy/actions/<name>.manifest.in
# (the schema an auditor reads is the one that gets signed).  policy/actions/ holds the
# manifest of EVERY action, whichever component ships it: an action is the agent's when
# its source is here (src/prov/module.mk takes those whose source is in src/prov/actions/).
# ACTION_SRCS collects every action's source for `make policy-check`, which fails on a
# source without a manifest or a manifest without a source.
# Built into $(BUILD)/agent-actions/ and signed there with a TEST key
# ($(BUILD)/agent-test-key/, generated on first build) for `make check`.
# Production plugins are signed by the operator (docs/root-agent.md).
AGENT_ACTION_HELPERS = src/agent/actions/common.c
AGENT_ACTION_SRCS  = $(filter-out $(AGENT_ACTION_HELPERS),$(wildcard src/agent/actions/*.c))
ACTION_SRCS       += $(AGENT_ACTION_SRCS)
AGENT_ACTION_NAMES = $(patsubst src/agent/actions/%.c,%,$(AGENT_ACTION_SRCS))
AGENT_ACTION_DIR   = $(BUILD)/agent-actions
AGENT_ACTION_BINS  = $(patsubst %,$(AGENT_ACTION_DIR)/%,$(AGENT_ACTION_NAMES))
AGENT_ACTION_SIGS  = $(patsubst %,$(AGENT_ACTION_DIR)/%.sig,$(AGENT_ACTION_NAMES))
AGENT_TEST_KEY     = $(BUILD)/agent-test-key/test.key

# built by `make`, but not PROGRAMS: those are installed into $(BINDIR)
all: $(AGENT_ACTION_BINS)
INSTALL_TARGETS += install-agent
CHECK_DEPS += $(AGENT_ACTION_SIGS) $(BUILD)/agent-test-plugins/stamp

$(AGENT_ACTION_DIR)/%: $(BUILD)/obj/agent/actions/%.o $(BUILD)/obj/agent/actions/common.o $(LIBCOMMON)
	$(call link)

$(AGENT_TEST_KEY): | $(BUILD)/bin/blockhost-sign-plugin
	@mkdir -p $(dir $@)pub
	$(Q)$(BUILD)/bin/blockhost-sign-plugin keygen $@ $(dir $@)pub > /dev/null

$(AGENT_ACTION_DIR)/%.sig: policy/actions/%.manifest.in $(AGENT_ACTION_DIR)/% $(AGENT_TEST_KEY) \
		$(BUILD)/bin/blockhost-sign-plugin
	$(call msg,SIGN,$@)
	$(Q)h=$$($(BUILD)/bin/blockhost-sign-plugin hash $(AGENT_ACTION_DIR)/$*) && \
	  sed "s/@SHA256@/$$h/" $< > $(AGENT_ACTION_DIR)/$*.manifest && \
	  $(BUILD)/bin/blockhost-sign-plugin sign $(AGENT_TEST_KEY) $(AGENT_ACTION_DIR)/$*.manifest > /dev/null

# Install the plugins with their manifests (hash filled in) but WITHOUT signatures: the
# agent refuses them until the operator signs them (docs/root-agent.md).
.PHONY: install-agent
install-agent: $(AGENT_ACTION_BINS) $(BUILD)/bin/blockhost-sign-plugin
	install -d -m 0755 $(DESTDIR)$(DATADIR)/blockhost/root-agent-actions
	for a in $(AGENT_ACTION_NAMES); do \
	  install -m 0755 $(AGENT_ACTION_DIR)/$$a $(DESTDIR)$(DATADIR)/blockhost/root-agent-actions/$$a && \
	  h=$$($(BUILD)/bin/blockhost-sign-plugin hash $(AGENT_ACTION_DIR)/$$a) && \
	  sed "s/@SHA256@/$$h/" policy/actions/$$a.manifest.in > \
	    $(DESTDIR)$(DATADIR)/blockhost/root-agent-actions/$$a.manifest && \
	  chmod 0644 $(DESTDIR)$(DATADIR)/blockhost/root-agent-actions/$$a.manifest || exit 1; \
	done

# Test-only plugins (echo, sleep, spew, caps) used by tests/integration/test_agent_*.sh
# and bench/bench_agent.c; never installed.
$(BUILD)/agent-test-plugins/stamp: $(BUILD)/agent-test-plugins/bh-test-plugin
	@touch $@
$(BUILD)/agent-test-plugins/bh-test-plugin: $(BUILD)/obj/agent/test-plugin.o $(LIBCOMMON)
	$(call link)

# ---- tests, fuzzers
$(BUILD)/tests/test_plugin: $(AGENT_LIB_OBJS) $(BUILD)/agent-test-plugins/bh-test-plugin
TEST_EXTRA_LIBS_plugin = $(AGENT_LIBS)
# Each fuzz target links only the parts it exercises: the replay rule puts the objects
# of $^ before the archives of $^, so the agent objects are extra prerequisites;
# FUZZ_EXTRA_SRCS_* is the same set for the libFuzzer build (make fuzz).
FUZZ_AGENT_plugin_manifest = plugin-manifest plugin-sig
FUZZ_AGENT_plugin_schema   = plugin-manifest plugin-params
FUZZ_AGENT_agent_request   = request
FUZZ_AGENT_agent_record    = request
FUZZ_AGENT_agent_run       = request
$(foreach f,plugin_manifest plugin_schema agent_request agent_record agent_run,\
  $(eval $(BUILD)/fuzz/replay_$(f): $(patsubst %,$(BUILD)/obj/agent/%.o,$(FUZZ_AGENT_$(f))))\
  $(eval FUZZ_EXTRA_SRCS_$(f) = $(patsubst %,src/agent/%.c,$(FUZZ_AGENT_$(f)))))

.PHONY: bench-agent
bench-agent: $(BUILD)/bench/bench_agent $(BUILD)/bin/blockhost-root-agent \
		$(BUILD)/agent-test-plugins/stamp $(BUILD)/bin/blockhost-sign-plugin
	$(BUILD)/bench/bench_agent $(BUILD)
$(BUILD)/bench/bench_agent: $(BUILD)/obj/bench-agent/bench_agent.o $(AGENT_LIB_OBJS) $(LIBCOMMON)
	$(call link)
$(BUILD)/obj/bench-agent/bench_agent.o: bench/bench_agent.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -Isrc/agent -c $< -o $@
