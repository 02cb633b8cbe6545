# The libvirt provisioner: one multicall binary (src/prov/main.c + cmd-*.c) installed under
# upstream's names, its root-agent action plugins (src/prov/actions/), provisioner.json.
# docs/provisioner.md is the manual.

PROV_LIB_OBJS = $(BUILD)/obj/prov/conf.o $(BUILD)/obj/prov/xml.o $(BUILD)/obj/prov/fmt.o \
                $(BUILD)/obj/prov/qcow2.o \
                $(BUILD)/obj/prov/cloudinit.o $(BUILD)/obj/prov/agentc.o
PROV_LIB      = $(BUILD)/prov/libbhprov.a
PROV_XML_CFLAGS := $(shell $(PKG_CONFIG) --cflags libxml-2.0 2>/dev/null)
PROV_EXTRA    = $(shell $(PKG_CONFIG) --libs libvirt libxml-2.0 2>/dev/null)
PROV_VERBS    = create destroy start stop kill status list metrics throttle gc resume \
                update-gecos guest-exec
PROV_LINKS    = $(patsubst %,$(BUILD)/bin/blockhost-vm-%,$(PROV_VERBS)) \
                $(BUILD)/bin/blockhost-provisioner-detect $(BUILD)/bin/blockhost-build-template

$(BUILD)/obj/prov/xml.o: CFLAGS_ALL += $(PROV_XML_CFLAGS)

$(PROV_LIB): $(PROV_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

PROGRAMS += $(BUILD)/bin/blockhost-vm $(PROV_LINKS)

$(BUILD)/bin/blockhost-vm: EXTRA_LIBS = $(PROV_EXTRA)
# main.c (the verb table and dispatch), cli.c + lock.c (shared by the verbs), one
# cmd-<verb>.c per verb (subcommands.h)
PROV_CLI_OBJS = $(patsubst src/%.c,$(BUILD)/obj/%.o,src/prov/main.c src/prov/cli.c \
                src/prov/lock.c $(sort $(wildcard src/prov/cmd-*.c)))
$(BUILD)/bin/blockhost-vm: $(PROV_CLI_OBJS) $(PROV_LIB) $(LIBCOMMON)
	$(call link)
# --version prints the manifest's "version" (one source for both)
PROV_VERSION := $(shell sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' src/prov/provisioner.json)
$(BUILD)/obj/prov/main.o: src/prov/provisioner.json
$(BUILD)/obj/prov/main.o: CFLAGS_ALL += -DPROV_VERSION='"$(PROV_VERSION)"'

# Test build (never installed): main.c with the BH_TEST_HOOKS forbidden-syscall hook
# (sandbox/apply.h) after a verb's sandbox, for test_prov_failures.sh.
$(BUILD)/obj/prov/main-test.o: src/prov/main.c src/prov/provisioner.json
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -DPROV_VERSION='"$(PROV_VERSION)"' -DBH_TEST_HOOKS -c $< -o $@
$(BUILD)/tests/helpers/bh-prov-testd: EXTRA_LIBS = $(PROV_EXTRA)
$(BUILD)/tests/helpers/bh-prov-testd: $(filter-out $(BUILD)/obj/prov/main.o,$(PROV_CLI_OBJS)) \
		$(BUILD)/obj/prov/main-test.o $(PROV_LIB) $(LIBCOMMON)
	$(call link)
CHECK_DEPS += $(BUILD)/tests/helpers/bh-prov-testd

$(PROV_LINKS): | $(BUILD)/bin/blockhost-vm
	$(Q)ln -sf blockhost-vm $@

# ---- root-agent action plugins domain-*: built into $(BUILD)/prov-actions/ and signed
# with the agent's TEST key (src/agent/module.mk) for `make check`; production plugins
# are signed by the operator (docs/root-agent.md).  Their manifests live with every other
# action's in policy/actions/ (the whole privileged surface in one place, policy/actions/README.md).
PROV_ACTION_HELPERS = src/prov/actions/act.c src/prov/actions/ga.c
PROV_ACTION_SRCS  = $(filter-out $(PROV_ACTION_HELPERS),$(wildcard src/prov/actions/*.c))
ACTION_SRCS      += $(PROV_ACTION_SRCS)
PROV_ACTION_NAMES = $(patsubst src/prov/actions/%.c,%,$(PROV_ACTION_SRCS))
PROV_ACTION_DIR   = $(BUILD)/prov-actions
PROV_ACTION_BINS  = $(patsubst %,$(PROV_ACTION_DIR)/%,$(PROV_ACTION_NAMES))
PROV_ACTION_SIGS  = $(patsubst %,$(PROV_ACTION_DIR)/%.sig,$(PROV_ACTION_NAMES))

# built by `make`, but not PROGRAMS (those are installed into $(BINDIR)); install-prov
# puts them in the actions directory
all: $(PROV_ACTION_BINS)
CHECK_DEPS += $(PROV_ACTION_SIGS)

$(PROV_ACTION_DIR)/%: EXTRA_LIBS = $(PROV_EXTRA) -lvirt-qemu
$(PROV_ACTION_DIR)/%: $(BUILD)/obj/prov/actions/%.o $(BUILD)/obj/prov/actions/act.o \
		$(BUILD)/obj/prov/actions/ga.o $(PROV_LIB) $(LIBCOMMON)
	$(call link)

$(PROV_ACTION_DIR)/%.sig: policy/actions/%.manifest.in $(PROV_ACTION_DIR)/% $(AGENT_TEST_KEY) \
		$(BUILD)/bin/blockhost-sign-plugin
	$(call msg,SIGN,$@)
	$(Q)h=$$($(BUILD)/bin/blockhost-sign-plugin hash $(PROV_ACTION_DIR)/$*) && \
	  sed "s/@SHA256@/$$h/" $< > $(PROV_ACTION_DIR)/$*.manifest && \
	  $(BUILD)/bin/blockhost-sign-plugin sign $(AGENT_TEST_KEY) $(PROV_ACTION_DIR)/$*.manifest > /dev/null

# ---- install: upstream names as symlinks, the manifest, the (unsigned) plugins
INSTALL_TARGETS += install-prov
.PHONY: install-prov
install-prov: $(BUILD)/bin/blockhost-vm $(PROV_ACTION_BINS)
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/blockhost/root-agent-actions
	for l in $(notdir $(PROV_LINKS)); do ln -sf blockhost-vm $(DESTDIR)$(BINDIR)/$$l; done
	install -m 0644 src/prov/provisioner.json $(DESTDIR)$(DATADIR)/blockhost/provisioner.json
	for a in $(PROV_ACTION_NAMES); do \
	  install -m 0755 $(PROV_ACTION_DIR)/$$a $(DESTDIR)$(DATADIR)/blockhost/root-agent-actions/$$a; \
	  h=$$(sha256sum $(PROV_ACTION_DIR)/$$a | cut -d' ' -f1); \
	  sed "s/@SHA256@/$$h/" policy/actions/$$a.manifest.in > \
	    $(DESTDIR)$(DATADIR)/blockhost/root-agent-actions/$$a.manifest; \
	done

# ---- tests, fuzzers, bench, template
TEST_EXTRA_LIBS_prov = $(PROV_LIB) $(LIBCOMMON) $(COMMON_LIBS) $(PROV_EXTRA)
$(BUILD)/tests/test_prov: $(PROV_LIB)

PROV_FUZZ_LIB = $(BUILD)/prov/libbhprov-fuzz.a
$(PROV_FUZZ_LIB): $(PROV_LIB_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
PROV_FUZZ_SRCS = src/prov/conf.c src/prov/xml.c src/prov/fmt.c src/prov/cloudinit.c src/prov/agentc.c \
                 src/prov/qcow2.c
$(foreach f,prov_xml prov_sample prov_agent prov_ga prov_qcow2,\
  $(eval $(BUILD)/fuzz/replay_$(f): $(PROV_FUZZ_LIB))\
  $(eval FUZZ_EXTRA_LIBS_$(f) = $(PROV_EXTRA))\
  $(eval FUZZ_EXTRA_SRCS_$(f) = $(PROV_FUZZ_SRCS) $(PROV_XML_CFLAGS)))

.PHONY: bench-prov template test-template
bench-prov: $(BUILD)/bin/blockhost-vm $(PROV_ACTION_SIGS) $(BUILD)/bin/blockhost-root-agent
	BUILD=$(BUILD) bench/bench_prov.sh

# Slow (debootstrap + kernel + image): never part of `make check`.
template: $(BUILD)/bin/blockhost-vm
	$(BUILD)/bin/blockhost-build-template --output $(BUILD)/template/blockhost-base.qcow2
test-template: $(BUILD)/bin/blockhost-vm
	BUILD=$(BUILD) tests/integration/test_prov_template.sh --run
