# pam_web3.so, web3-auth-svc and libpw3 (the parts that parse untrusted bytes).
#
# The PAM module is a shared object: its objects and the src/common sources it
# uses are compiled again with -fPIC into $(BUILD)/pic/ (libbhcommon.a is -fPIE,
# which cannot go into a shared object), linked -shared (never -pie) with a
# version script that exports only pam_sm_*.  Each function gets its own section and
# unused ones are dropped (--gc-sections): the module uses core/atomicio's bh_atomic_write
# but not its JSON writer, so it does not depend on libjansson (the VM template installs
# only the module's own dependencies).

PW3_SRCS      = src/pam/pw3.c src/pam/pending.c src/pam/http.c src/pam/svclimit.c
PW3_OBJS      = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(PW3_SRCS))
LIBPW3        = $(BUILD)/libpw3.a
PAM_COMMON    = core/atomicio core/buf core/deadline core/err core/file eth/eth core/hex eth/keccak core/path eth/secp core/strutil host/gecos
PAM_SO        = $(BUILD)/lib/pam_web3.so
PAM_SO_OBJS   = $(patsubst src/%.c,$(BUILD)/pic/%.o,$(PW3_SRCS) src/pam/pam_web3.c) \
                $(patsubst %,$(BUILD)/pic/common/%.o,$(PAM_COMMON))
PAM_SO_LIBS   = -lpam $(shell $(PKG_CONFIG) --libs libsecp256k1 nettle libcrypto 2>/dev/null)
MHD_LIBS      = $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null)

PROGRAMS += $(PAM_SO) $(BUILD)/bin/web3-auth-svc
INSTALL_TARGETS += install-pam

$(LIBPW3): $(PW3_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/pic/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC-PIC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -fPIC -ffunction-sections -fdata-sections -c $< -o $@

$(PAM_SO): $(PAM_SO_OBJS) src/pam/pam_web3.map
	@mkdir -p $(dir $@)
	$(call msg,LD-SO,$@)
	$(Q)$(CC) -shared -fPIC $(SANFLAGS) -Wl,-z,relro,-z,now -Wl,-z,defs -Wl,--gc-sections \
		-Wl,--version-script=src/pam/pam_web3.map -o $@ $(filter %.o,$^) $(PAM_SO_LIBS) $(LDFLAGS)

$(BUILD)/bin/web3-auth-svc: EXTRA_LIBS = $(MHD_LIBS)
$(BUILD)/bin/web3-auth-svc: $(BUILD)/obj/pam/auth-svc.o $(BUILD)/obj/pam/auth-handler.o $(LIBPW3) $(LIBCOMMON)
	$(call link)

# Test build (never installed): the same code plus the BH_TEST_HOOKS forbidden-syscall
# hook (sandbox/apply.h), so test_pam_callback.sh can watch the filter kill it.
$(BUILD)/obj/pam/auth-svc-test.o: src/pam/auth-svc.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS_ALL) -DBH_TEST_HOOKS -c $< -o $@
$(BUILD)/tests/helpers/web3-auth-svc-testd: EXTRA_LIBS = $(MHD_LIBS)
$(BUILD)/tests/helpers/web3-auth-svc-testd: $(BUILD)/obj/pam/auth-svc-test.o $(BUILD)/obj/pam/auth-handler.o \
	$(LIBPW3) $(LIBCOMMON)
	$(call link)
CHECK_DEPS += $(BUILD)/tests/helpers/web3-auth-svc-testd

# unit tests: test_pam (library) and test_pam_module (the built .so through libpam)
# and test_pam_hostile (tests/pam_hostile.tsv through the .so and the request handler)
$(BUILD)/tests/test_pam $(BUILD)/tests/test_pam_module $(BUILD)/tests/test_pam_hostile $(BUILD)/tests/test_pam_limits: $(LIBPW3)
$(BUILD)/tests/test_pam_module $(BUILD)/tests/test_pam_hostile: $(PAM_SO)
$(BUILD)/tests/test_pam_module.o $(BUILD)/tests/test_pam_hostile.o: \
	CFLAGS += -DPW3_MODULE_PATH='"$(abspath $(PAM_SO))"'
TEST_EXTRA_LIBS_pam = $(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS)
TEST_EXTRA_LIBS_pam_limits = $(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS)
TEST_EXTRA_LIBS_pam_module = $(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS) -lpam -ldl
TEST_EXTRA_LIBS_pam_hostile = $(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS) -lpam

# fuzz targets: libFuzzer builds compile libpw3 from source; replay links the archive
PW3_FUZZ = pam_config gecos pending pending_dir authsvc pam_message
$(foreach f,$(PW3_FUZZ),$(eval FUZZ_EXTRA_SRCS_$(f) = $(PW3_SRCS)))
$(foreach f,$(PW3_FUZZ),$(eval $(BUILD)/fuzz/replay_$(f): $(LIBPW3)))
$(foreach f,$(PW3_FUZZ),$(eval $(BUILD)/fuzz/replay_$(f): FUZZ_EXTRA_LIBS_$(f) = \
	$(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS)))

# benchmark
.PHONY: bench-pam install-pam
$(BUILD)/bench/bench_pam: EXTRA_LIBS = -lpam -ldl
$(BUILD)/bench/bench_pam: $(BUILD)/bench-obj/bench_pam.o $(LIBPW3) $(LIBCOMMON)
	$(call link)
$(BUILD)/bench-obj/bench_pam.o: bench/bench_pam.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -Isrc/pam -DPW3_MODULE_PATH='"$(abspath $(PAM_SO))"' -c $< -o $@
bench-pam: $(BUILD)/bench/bench_pam $(PAM_SO)
	$(BUILD)/bench/bench_pam

install-pam: $(PAM_SO) $(BUILD)/bin/web3-auth-svc
	install -D -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_web3.so
	install -D -m 0755 $(BUILD)/bin/web3-auth-svc $(DESTDIR)$(BINDIR)/web3-auth-svc
	install -D -m 0644 src/pam/pages/index.html $(DESTDIR)$(DATADIR)/blockhost/signing-pages/evm/index.html
	install -D -m 0644 src/pam/pages/engine.js $(DESTDIR)$(DATADIR)/blockhost/signing-pages/evm/engine.js
	install -D -m 0644 src/pam/vm/pam.d-sshd $(DESTDIR)$(DATADIR)/blockhost/vm/pam.d-sshd
	install -D -m 0644 src/pam/vm/50-blockhost.conf $(DESTDIR)$(DATADIR)/blockhost/vm/50-blockhost.conf
	install -D -m 0644 systemd/web3-auth-svc.service $(DESTDIR)$(DATADIR)/blockhost/vm/web3-auth-svc.service
	install -D -m 0644 src/pam/vm/libpam-web3.tmpfiles $(DESTDIR)$(DATADIR)/blockhost/vm/libpam-web3.tmpfiles

# libpw3's header for tests, fuzzers and the benchmark
$(BUILD)/tests/test_pam.o $(BUILD)/tests/test_pam_module.o $(BUILD)/tests/test_pam_hostile.o $(BUILD)/tests/test_pam_limits.o: \
	CFLAGS += -Isrc/pam
$(foreach f,$(PW3_FUZZ),$(eval $(BUILD)/fuzz/fuzz_$(f).o: CFLAGS += -Isrc/pam))
# FUZZ_BUILD (<build>-fuzz) is set after this include: a pattern-specific variable matches it
$(foreach f,$(PW3_FUZZ),$(eval %-fuzz/fuzz_$(f): FUZZ_CFLAGS += -Isrc/pam))

# fuzz_pam_module: pam_sm_authenticate on a real libpam handle, the module's code linked in
# (instrumented) rather than dlopened
FUZZ_EXTRA_SRCS_pam_module = $(PW3_SRCS) src/pam/pam_web3.c
FUZZ_EXTRA_LIBS_pam_module = -lpam
$(BUILD)/fuzz/replay_pam_module: $(BUILD)/obj/pam/pam_web3.o $(LIBPW3)
$(BUILD)/fuzz/replay_pam_module: FUZZ_EXTRA_LIBS_pam_module = $(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS) -lpam
$(BUILD)/fuzz/fuzz_pam_module.o: CFLAGS += -Isrc/pam
%-fuzz/fuzz_pam_module: FUZZ_CFLAGS += -Isrc/pam

# fuzz_authsvc_mhd: the service's MHD daemon (auth-handler.c included: its callbacks are
# static) with connections added over a socketpair
FUZZ_EXTRA_SRCS_authsvc_mhd = $(PW3_SRCS)
FUZZ_EXTRA_LIBS_authsvc_mhd = $(MHD_LIBS)
$(BUILD)/fuzz/replay_authsvc_mhd: $(LIBPW3)
$(BUILD)/fuzz/replay_authsvc_mhd: FUZZ_EXTRA_LIBS_authsvc_mhd = $(LIBPW3) $(LIBCOMMON) $(COMMON_LIBS) $(MHD_LIBS)
$(BUILD)/fuzz/fuzz_authsvc_mhd.o: CFLAGS += -Isrc/pam
%-fuzz/fuzz_authsvc_mhd: FUZZ_CFLAGS += -Isrc/pam
