# blockhost-signup: the buyer's HTTPS server (page, /config.json, the read-only chain relay),
# TLS through libmicrohttpd + GnuTLS with the private key in the keystore (docs/signup.md).
#
# libsignup.a: the parts that take untrusted bytes or are pure bookkeeping (config, relay
# validator, static files and path parser, per-client budget), linked by the program, the
# fuzz targets and the benchmark; tls.c and main.c are the program's own.
SU_LIB_SRCS  = src/signup/config.c src/signup/relay.c src/signup/www.c src/signup/limit.c
SU_LIB_OBJS  = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SU_LIB_SRCS))
LIBSIGNUP    = $(BUILD)/libsignup.a
SU_LIBS      = $(shell $(PKG_CONFIG) --libs libmicrohttpd gnutls 2>/dev/null)
SU_OBJS      = $(BUILD)/obj/signup/main.o $(BUILD)/obj/signup/tls.o

PROGRAMS += $(BUILD)/bin/blockhost-signup
INSTALL_TARGETS += install-signup

# The page's static files, generated into $(BUILD)/share/blockhost/signup/ (the `www` the
# server is given): src/signup/page/build.js bundles app.js with esbuild (pinned in
# tests/js/package.json, installed by `make deps`), writes assets/ with content-hashed names
# and index.html with each reference's Subresource Integrity hash.
SU_PAGE_SRC = $(wildcard src/signup/page/*.js src/signup/page/*.css src/signup/page/*.in)
SU_WWW_DIR = $(BUILD)/share/blockhost/signup
SU_WWW_OUT = $(SU_WWW_DIR)/index.html
SU_PAGE_NM ?= tests/js/node_modules
all: $(SU_WWW_OUT)
CHECK_DEPS += $(SU_WWW_OUT)
$(SU_WWW_OUT): $(SU_PAGE_SRC)
	@mkdir -p $(dir $@)
	$(call msg,GEN,$@)
	$(Q)node src/signup/page/build.js $(SU_PAGE_NM) $(SU_WWW_DIR)

$(LIBSIGNUP): $(SU_LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/blockhost-signup: EXTRA_LIBS = $(SU_LIBS)
$(BUILD)/bin/blockhost-signup: $(SU_OBJS) $(LIBSIGNUP) $(LIBCOMMON)
	$(call link)

# Test build (never installed): the BH_TEST_HOOKS forbidden-syscall hook (sandbox/apply.h),
# so test_signup_tls.sh can watch the filter kill it.
$(BUILD)/obj/signup/main-test.o: src/signup/main.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -DBH_TEST_HOOKS -c $< -o $@
$(BUILD)/tests/helpers/blockhost-signup-testd: EXTRA_LIBS = $(SU_LIBS)
$(BUILD)/tests/helpers/blockhost-signup-testd: $(BUILD)/obj/signup/main-test.o \
	$(BUILD)/obj/signup/tls.o $(LIBSIGNUP) $(LIBCOMMON)
	$(call link)
CHECK_DEPS += $(BUILD)/tests/helpers/blockhost-signup-testd

# fuzz targets: fuzz_signup_relay (the relay's request validator and answer builder),
# fuzz_signup_path (the HTTP path parser), fuzz_signup_config (the configuration)
SU_FUZZ = signup_relay signup_path signup_config
$(foreach f,$(SU_FUZZ),$(eval FUZZ_EXTRA_SRCS_$(f) = $(SU_LIB_SRCS)))
$(foreach f,$(SU_FUZZ),$(eval $(BUILD)/fuzz/replay_$(f): $(LIBSIGNUP)))
$(foreach f,$(SU_FUZZ),$(eval $(BUILD)/fuzz/replay_$(f): FUZZ_EXTRA_LIBS_$(f) = \
	$(LIBSIGNUP) $(LIBCOMMON) $(COMMON_LIBS)))
$(foreach f,$(SU_FUZZ),$(eval $(BUILD)/fuzz/fuzz_$(f).o: CFLAGS += -Isrc/signup))
$(foreach f,$(SU_FUZZ),$(eval %-fuzz/fuzz_$(f): FUZZ_CFLAGS += -Isrc/signup))

.PHONY: install-signup
install-signup: $(BUILD)/bin/blockhost-signup $(SU_WWW_OUT)
	install -D -m 0755 $(BUILD)/bin/blockhost-signup $(DESTDIR)$(BINDIR)/blockhost-signup
	install -d $(DESTDIR)$(DATADIR)/blockhost/signup/assets
	install -m 0644 $(SU_WWW_DIR)/index.html $(DESTDIR)$(DATADIR)/blockhost/signup/index.html
	install -m 0644 $(SU_WWW_DIR)/assets/* $(DESTDIR)$(DATADIR)/blockhost/signup/assets/

# benchmark: relay requests/s through the server vs straight to anvil, and the server's RSS
.PHONY: bench-signup
bench-signup: $(BUILD)/bin/blockhost-signup $(BUILD)/bin/blockhost-keystore
	BUILD=$(BUILD) bench/bench_signup.sh

# unit test: test_signup (limit, paths, relay validator, config)
$(BUILD)/tests/test_signup: $(LIBSIGNUP)
$(BUILD)/tests/test_signup.o: CFLAGS += -Isrc/signup
TEST_EXTRA_LIBS_signup = $(LIBSIGNUP) $(LIBCOMMON) $(COMMON_LIBS)

# benchmark: the page's weight and time to interactive vs upstream's approach (ethers UMD)
.PHONY: bench-signup-page
bench-signup-page: $(SU_WWW_OUT)
	node bench/bench_signup_page.js $(SU_WWW_DIR)
