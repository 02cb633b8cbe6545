# BlockHost — top-level Makefile.
#
#   make                 build everything into $(BUILD)/
#   make check           layer check, unit tests, corpus replay, integration tests, policy-check
#   make SANITIZE=1 check    the same under ASan+UBSan (build dir build-san/)
#   make fuzz            libFuzzer run of every fuzz/fuzz_*.c for FUZZ_SECONDS each
#   make fuzz-long       every target to FUZZ_LONG_RUNS executions (or FUZZ_LONG_SECONDS),
#                        new coverage merged back into fuzz/corpus/ (docs/fuzzing.md)
#   make fuzz-coverage   clang coverage build of every target replaying its corpus;
#                        per-parser-file line/branch coverage (fuzz/README.md)
#   make bench           benchmarks (ratios against named peers; never part of check)
#   make deps            install the Debian packages and pinned npm tools (idempotent)
#   make demo            run the host locally on embedded defaults
#   make install DESTDIR=... PREFIX=...
#   make debs            the Debian packages into build-debs/ + lintian (docs/packaging.md)
#   make debs-reproducible   build them twice, require byte-identical .debs
#   make units-check     systemd/ units vs policy/, systemd-analyze exposure table
#   make test-packages   the .debs in a booted Debian 12 VM (heavy, release-time; root)
#   V=1                  show full command lines;  WERROR=1  warnings are errors (CI)
#
# Components add programs in src/<component>/module.mk (see src/tools/module.mk);
# tests/unit/test_*.c and fuzz/fuzz_*.c are picked up by wildcard.

PREFIX  ?= /usr
BINDIR  ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR  ?= $(PREFIX)/lib
DATADIR ?= $(PREFIX)/share
PAMDIR  ?= /lib/x86_64-linux-gnu/security
SYSCONFDIR ?= /etc
DESTDIR ?=

CC      ?= gcc
FUZZCC  ?= clang
PKG_CONFIG ?= pkg-config
SANITIZE ?= 0
# SECCOMP_DEBUG=1: a development build whose sandbox honours BH_SANDBOX_DEBUG /
# BLOCKHOST_SECCOMP_DEBUG=1 (filters trap and log instead of killing); every other build
# refuses the flag and ignores the variable (seccomp/README.md "Debug mode")
SECCOMP_DEBUG ?= 0
WERROR  ?= 0
FUZZ_SECONDS ?= 30
# make fuzz-long: per target, stop at FUZZ_LONG_RUNS executions or FUZZ_LONG_SECONDS,
# whichever comes first; inputs up to FUZZ_LONG_MAX_LEN bytes (above every parser's cap,
# e.g. the 512 KiB keystore frame and a JSON transaction at its 256 KiB data cap);
# FUZZ_LONG_TARGETS="tx rlp" for a subset (default: all)
FUZZ_LONG_RUNS ?= 10000000
FUZZ_LONG_SECONDS ?= 3600
FUZZ_LONG_MAX_LEN ?= 1048576
FUZZ_LONG_TARGETS ?=

ifeq ($(SANITIZE),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT      = -O1 -g
else
BUILD   ?= build
SANFLAGS =
OPT      = -O2 -g
endif

ifeq ($(V),1)
Q =
msg = @true
else
Q = @
msg = @printf '  %-8s %s\n' $(1) $(2);
endif

WARN = -Wall -Wextra -Wformat=2 -Wshadow -Wconversion -Wstrict-prototypes \
       -Wmissing-prototypes -Wwrite-strings -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

HARDEN_CFLAGS  = -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
                 -ftrivial-auto-var-init=zero -fzero-call-used-regs=used
HARDEN_LDFLAGS = -pie -Wl,-z,relro,-z,now
ifeq ($(SANITIZE),1)
# FORTIFY and ASan instrument the same calls; ASan wins in sanitizer builds.
HARDEN_CFLAGS  = -fstack-protector-strong -fPIE -ftrivial-auto-var-init=zero
endif

COMMON_PKGS = libcrypto jansson libsecp256k1 libsodium libseccomp libcap-ng nettle libcurl

BASE_CFLAGS  = -std=gnu11 $(OPT) $(WARN) $(HARDEN_CFLAGS) $(SANFLAGS) -MMD -MP \
               -Isrc/common -D_GNU_SOURCE \
               $(shell $(PKG_CONFIG) --cflags $(COMMON_PKGS) 2>/dev/null)
ifeq ($(SECCOMP_DEBUG),1)
BASE_CFLAGS += -DBH_SECCOMP_DEBUG_BUILD
endif
CFLAGS_ALL   = $(BASE_CFLAGS) $(CFLAGS)
COMMON_LIBS  = $(shell $(PKG_CONFIG) --libs $(COMMON_PKGS) 2>/dev/null)
LDFLAGS_ALL  = $(HARDEN_LDFLAGS) $(SANFLAGS) $(LDFLAGS)

# src/common: four layers, one archive each, highest first (see src/tools/module.mk)
COMMON_LAYERS = host eth sandbox core
LIBCOMMON    = $(patsubst %,$(BUILD)/libbh%.a,$(COMMON_LAYERS))
# libFuzzer builds (make fuzz) go to <build>-fuzz
FUZZ_BUILD  ?= $(patsubst %-san,%,$(BUILD))-fuzz
COMMON_SRCS  = $(foreach l,$(COMMON_LAYERS),$(wildcard src/common/$(l)/*.c))
COMMON_OBJS  = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(COMMON_SRCS))

# Filled by module.mk fragments: PROGRAMS (paths under $(BUILD)/bin), INSTALL_TARGETS
# (phony targets that copy into $(DESTDIR)), CHECK_DEPS (built before integration tests).
PROGRAMS :=
INSTALL_TARGETS :=
CHECK_DEPS :=
ACTION_SRCS :=
INTEGRATION_TESTS := $(sort $(wildcard tests/integration/test_*.sh))

.PHONY: all check check-deps layers unit fuzz-replay integration policy-check policy-table fuzz fuzz-long fuzz-coverage bench deps demo install install-common clean \
        distclean help
all: $(LIBCOMMON)

include $(sort $(wildcard src/*/*.mk)) contracts/module.mk

all: $(PROGRAMS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/bench/%.o: bench/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/helpers/%.o: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests/helpers -c $< -o $@

# ---------------------------------------------------------------- unit tests (cmocka)
UNIT_SRCS  = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS  = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TEST_LIBS  = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null) $(COMMON_LIBS)

$(BUILD)/tests/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -Itests/unit -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(LIBCOMMON)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIBCOMMON) $(TEST_LIBS) $(TEST_EXTRA_LIBS_$*)

unit: $(UNIT_BINS) $(PROGRAMS)
	@BUILD=$(BUILD) tests/run-unit.sh $(UNIT_BINS)

# ---------------------------------------------------------------- fuzz targets
# In check, every target is linked with fuzz/fuzz-main.c (a standalone driver) and
# replays its corpus fuzz/corpus/<name>/; `make fuzz` builds the same sources with
# clang -fsanitize=fuzzer and runs each for FUZZ_SECONDS.
FUZZ_SRCS   = $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_NAMES  = $(patsubst fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
REPLAY_BINS = $(patsubst %,$(BUILD)/fuzz/replay_%,$(FUZZ_NAMES))

$(BUILD)/fuzz/%.o: fuzz/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -c $< -o $@

$(BUILD)/fuzz/replay_%: $(BUILD)/fuzz/fuzz_%.o $(BUILD)/fuzz/fuzz-main.o $(LIBCOMMON)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(COMMON_LIBS) $(FUZZ_EXTRA_LIBS_$*)

# differential oracle: the rlp corpus through our decoder and ethers (tests/js/oracle-rlp.js)
$(BUILD)/fuzz/oracle_rlp: $(BUILD)/fuzz/oracle_rlp.o $(LIBCOMMON)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(COMMON_LIBS)

# and the abi and tx corpora (tests/js/oracle-abi.js, oracle-tx.js)
$(BUILD)/fuzz/oracle_abi $(BUILD)/fuzz/oracle_tx: $(BUILD)/fuzz/oracle_%: $(BUILD)/fuzz/oracle_%.o $(LIBCOMMON)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(COMMON_LIBS)
# and the pam_config corpus against python3's tomllib (fuzz/oracle-toml.py)
$(BUILD)/fuzz/oracle_pam_config.o: CFLAGS += -Isrc/pam
$(BUILD)/fuzz/oracle_pam_config: $(BUILD)/fuzz/oracle_pam_config.o $(LIBPW3) $(LIBCOMMON)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $(filter %.o,$^) $(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS)

fuzz-replay: $(REPLAY_BINS) $(BUILD)/fuzz/oracle_rlp $(BUILD)/fuzz/oracle_abi $(BUILD)/fuzz/oracle_tx \
             $(BUILD)/fuzz/oracle_pam_config
	@tests/run-fuzz-replay.sh $(BUILD) $(FUZZ_NAMES)
	@tests/run-fuzz-oracle.sh $(BUILD)

FUZZ_CFLAGS  = -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               -Isrc/common -D_GNU_SOURCE -DBH_FUZZING $(shell $(PKG_CONFIG) --cflags $(COMMON_PKGS))
FUZZ_BINS    = $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))

.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: fuzz/fuzz_%.c $(COMMON_SRCS) $(wildcard src/common/*/*.h) $$(filter %.c,$$(FUZZ_EXTRA_SRCS_$$*))
	@mkdir -p $(dir $@)
	$(call msg,FUZZCC,$@)
	$(Q)$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $< $(COMMON_SRCS) $(FUZZ_EXTRA_SRCS_$*) $(COMMON_LIBS) $(FUZZ_EXTRA_LIBS_$*)

fuzz: $(FUZZ_BINS)
	@tests/run-fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

# make fuzz-coverage: every target built with clang source-based coverage and linked with
# the standalone driver (no libFuzzer), each corpus replayed, per-file line/branch
# coverage of the parser files printed (tests/run-fuzz-coverage.sh; fuzz/README.md).
# Needs llvm-profdata and llvm-cov (Debian llvm-14); installs nothing.  Not in check.
FUZZ_COV_BUILD  ?= $(patsubst %-san,%,$(BUILD))-cov
FUZZ_COV_CORPUS ?= fuzz/corpus
FUZZ_COV_CFLAGS  = -std=gnu11 -g -O0 -fprofile-instr-generate -fcoverage-mapping \
                   -Isrc/common -Isrc/pam -D_GNU_SOURCE -DBH_FUZZING $(shell $(PKG_CONFIG) --cflags $(COMMON_PKGS))
# FUZZ_COV_TARGETS="tx rlp" for a subset (default: all; each target is one clang -O0 build)
FUZZ_COV_TARGETS ?=
FUZZ_COV_NAMES   = $(if $(strip $(FUZZ_COV_TARGETS)),$(filter $(FUZZ_COV_TARGETS),$(FUZZ_NAMES)),$(FUZZ_NAMES))
FUZZ_COV_BINS    = $(patsubst %,$(FUZZ_COV_BUILD)/cov_%,$(FUZZ_COV_NAMES))

$(FUZZ_COV_BUILD)/cov_%: fuzz/fuzz_%.c fuzz/fuzz-main.c $(COMMON_SRCS) $(wildcard src/common/*/*.h) $$(filter %.c,$$(FUZZ_EXTRA_SRCS_$$*))
	@mkdir -p $(dir $@)
	$(call msg,COVCC,$@)
	$(Q)$(FUZZCC) $(FUZZ_COV_CFLAGS) -o $@ $< fuzz/fuzz-main.c $(COMMON_SRCS) $(FUZZ_EXTRA_SRCS_$*) $(COMMON_LIBS) $(FUZZ_EXTRA_LIBS_$*)

fuzz-coverage: $(FUZZ_COV_BINS)
	@tests/run-fuzz-coverage.sh $(FUZZ_COV_BUILD) $(FUZZ_COV_CORPUS) $(FUZZ_COV_NAMES)

FUZZ_LONG_NAMES = $(if $(strip $(FUZZ_LONG_TARGETS)),$(filter $(FUZZ_LONG_TARGETS),$(FUZZ_NAMES)),$(FUZZ_NAMES))
fuzz-long: $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_LONG_NAMES))
	@tests/run-fuzz-long.sh $(FUZZ_BUILD) $(FUZZ_LONG_RUNS) $(FUZZ_LONG_SECONDS) \
	  $(FUZZ_LONG_MAX_LEN) $(FUZZ_LONG_NAMES)

# ---------------------------------------------------------------- integration + policy
# everything the integration tests need built (then run one: tests/run-integration.sh T)
check-deps: $(PROGRAMS) $(CHECK_DEPS)

integration: $(PROGRAMS) $(CHECK_DEPS)
	@BUILD=$(BUILD) tests/run-integration.sh $(INTEGRATION_TESTS)

# the arrows between src/common's layers and the components (docs/layout.md)
layers:
	@scripts/check-layers.sh

# ACTION_SRCS: every root-agent action's source (src/*/module.mk); each needs a manifest
# in policy/actions/ and the reverse (policy/actions/README.md)
policy-check: $(BUILD)/bin/blockhost-policy-check
	$(BUILD)/bin/blockhost-policy-check --policy-dir policy --seccomp-dir seccomp \
	  --actions-dir policy/actions $(addprefix --action-source ,$(ACTION_SRCS))

# policy/README.md's service and action tables are this output (tests/unit/test_policy_check.c
# fails when they differ): regenerate them after changing policy/ or seccomp/
policy-table: $(BUILD)/bin/blockhost-policy-check
	@scripts/policy-table.sh $(BUILD)/bin/blockhost-policy-check policy/README.md \
	  $(addprefix --action-source ,$(ACTION_SRCS))

# check and demo do their own set-up (README: two commands on a fresh machine);
# NODEPS=1 skips it when you know the machine is ready.
check: $(if $(filter 1,$(NODEPS)),,deps)
	@$(MAKE) --no-print-directory layers
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-replay
	@$(MAKE) --no-print-directory policy-check
	@$(MAKE) --no-print-directory units-check
	@$(MAKE) --no-print-directory integration
	@BUILD=$(BUILD) tests/summary.sh

bench: all
	@BUILD=$(BUILD) bench/run.sh

deps:
	@scripts/deps.sh

demo: $(if $(filter 1,$(NODEPS)),,deps)
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

install: all install-common $(INSTALL_TARGETS)

# Programs built into $(BUILD)/bin go to $(BINDIR) (symlinks kept as symlinks: the
# provisioner's multicall names); libraries and plugins have their own install-*
# targets in their module.mk. The policy and seccomp files an auditor reads go to
# $(DATADIR)/blockhost/{policy,seccomp}, root-owned and read-only.
install-common: all
	install -d -m 0755 $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/blockhost
	$(if $(filter $(BUILD)/bin/%,$(PROGRAMS)),cp -P $(filter $(BUILD)/bin/%,$(PROGRAMS)) $(DESTDIR)$(BINDIR)/)
	install -d -m 0755 $(DESTDIR)$(DATADIR)/blockhost/policy $(DESTDIR)$(DATADIR)/blockhost/seccomp
	cp -R --no-preserve=ownership policy/. $(DESTDIR)$(DATADIR)/blockhost/policy/
	cp -R --no-preserve=ownership seccomp/. $(DESTDIR)$(DATADIR)/blockhost/seccomp/
	find $(DESTDIR)$(DATADIR)/blockhost/policy $(DESTDIR)$(DATADIR)/blockhost/seccomp -type f -exec chmod 0444 {} +

# Debian packages (docs/packaging.md): from a clean copy of the tree, lintian must pass
.PHONY: debs debs-reproducible units-check test-packages
debs:
	scripts/build-debs.sh build-debs
debs-reproducible:
	scripts/check-reproducible-debs.sh build-repro
# the units' User=/Group=/capabilities against policy/, and their systemd-analyze table
units-check:
	@bash tests/integration/test_units_policy.sh; r=$$?; [ $$r = 0 ] || [ $$r = 77 ]
# install, run, upgrade and purge the packages in a qemu-booted Debian 12 (minutes; not in
# check or CI: docs/packaging.md)
test-packages: $(BUILD)/bin/blockhost-build-template
	BUILD=$(BUILD) scripts/test-packages-deb.sh

clean:
	rm -rf build build-san build-fuzz build-cov build-deb build-debs build-repro

distclean: clean
	rm -rf tests/js/node_modules

help:
	@sed -n '1,20p' Makefile

# keep intermediate objects (chained pattern rules would delete them)
.SECONDARY:

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
