/* SPDX-License-Identifier: MIT */
/*
 * bench_pam: (1) verifications per second of pam_web3's verification path
 * (pw3_verify_evm: OTP tag check, signature-text parse, EIP-191 digest, recovery
 * with low-S checks, constant-time address compare) against raw libsecp256k1
 * (parse_compact + ecdsa_recover on a precomputed digest) — the ratio is the
 * overhead of everything that is not the curve; (2) the median wall time of a
 * full pam_authenticate through the built pam_web3.so with a pasted signature
 * (libpam load, config read, NSS lookup, OTP, conversation, verification; the
 * conversation's own signing time is measured separately and subtracted).
 * Run: make BUILD=... bench-pam
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <security/pam_appl.h>

#include "core/hex.h"
#include "pw3.h"
#include "eth/secp.h"

#define NSS_WRAPPER "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so"
#define SECRET "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static uint8_t key[32];
static double sign_time;

static int conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	static char info[1024];
	struct pam_response *r = calloc((size_t)n, sizeof(*r));
	(void)data;
	for (int i = 0; i < n; i++) {
		if (msg[i]->msg_style == PAM_TEXT_INFO) {
			snprintf(info, sizeof(info), "%s", msg[i]->msg);
			continue;
		}
		double t0 = now();
		char m[256] = "", *out = malloc(133);
		const char *p;
		if ((p = strstr(info, "\nMessage: ")))
			sscanf(p + 10, "%199[^\n]", m);
		uint8_t d[32], sig[65];
		int len = (int)strlen(m);
		pw3_eip191_digest(m, (size_t)len, d);
		if (bh_secp_sign(key, d, sig) < 0)
			abort();
		sig[64] = (uint8_t)(sig[64] + 27);
		out[0] = '0';
		out[1] = 'x';
		bh_hex_encode(sig, 65, out + 2);
		r[i].resp = out;
		sign_time += now() - t0;
	}
	*resp = r;
	return PAM_SUCCESS;
}

static void bench_verify(void)
{
	static const char doc[] = "[machine]\nid = \"blockhost-001\"\nsecret_key = \"" SECRET "\"\n";
	struct pw3_config c;
	struct pw3_otp o;
	uint8_t addr[20], d[32], sig[65];
	char m[PW3_MESSAGE_MAX], text[133];
	if (pw3_config_parse(doc, sizeof(doc) - 1, &c, NULL) < 0 || pw3_otp_new(&c, 1000, &o) < 0 ||
	    bh_eth_address_from_priv(key, addr) < 0)
		abort();
	int len = pw3_message(&o, m, sizeof(m));
	pw3_eip191_digest(m, (size_t)len, d);
	if (bh_secp_sign(key, d, sig) < 0)
		abort();
	text[0] = '0';
	text[1] = 'x';
	uint8_t v = (uint8_t)(sig[64] + 27);
	uint8_t sv[65];
	memcpy(sv, sig, 65);
	sv[64] = v;
	bh_hex_encode(sv, 65, text + 2);

	const int N = 20000;
	double t0 = now();
	for (int i = 0; i < N; i++) {
		struct pw3_otp w = o;  /* a challenge is single-use: verify a fresh copy */
		if (pw3_verify_evm(&c, &w, text, 132, addr, 1000) != 0)
			abort();
	}
	double ours = N / (now() - t0);

	secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_pubkey pk;
	t0 = now();
	for (int i = 0; i < N; i++) {
		if (!secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64]) ||
		    !secp256k1_ecdsa_recover(ctx, &pk, &rs, d))
			abort();
	}
	double raw = N / (now() - t0);
	secp256k1_context_destroy(ctx);
	printf("pam_web3 verify path:      %9.0f verifications/s\n", ours);
	printf("libsecp256k1 raw recover:  %9.0f recoveries/s\n", raw);
	printf("ratio ours/raw:            %9.3f\n", ours / raw);
}

static void bench_pam(const char *root)
{
	char confdir[300];
	snprintf(confdir, sizeof(confdir), "%s/pam.d", root);
	const int N = 200;
	double *t = calloc(N, sizeof(double)), signing = 0;
	for (int i = 0; i < N; i++) {
		struct pam_conv pc = { conv, NULL };
		pam_handle_t *h = NULL;
		sign_time = 0;
		double t0 = now();
		if (pam_start_confdir("pw3bench", "alice", &pc, confdir, &h) != PAM_SUCCESS)
			abort();
		int r = pam_authenticate(h, 0);
		pam_end(h, r);
		t[i] = now() - t0 - sign_time;
		signing += sign_time;
		if (r != PAM_SUCCESS) {
			fprintf(stderr, "pam_authenticate failed: %d\n", r);
			exit(1);
		}
	}
	qsort(t, N, sizeof(double), cmpd);
	printf("full pam_authenticate (pasted signature, %d runs): median %.3f ms, p90 %.3f ms "
	       "(client signing %.3f ms/run excluded)\n", N, t[N / 2] * 1e3, t[N * 9 / 10] * 1e3,
	       signing / N * 1e3);
	free(t);
}

int main(int argc, char **argv)
{
	(void)argc;
	memset(key, 0x11, 32);
	if (!getenv("NSS_WRAPPER_PASSWD")) {
		char dir[] = "/tmp/pw3bench.XXXXXX", p[300];
		uint8_t a[20];
		char ah[41];
		if (!mkdtemp(dir) || bh_eth_address_from_priv(key, a) < 0)
			return 1;
		bh_hex_encode(a, 20, ah);
		snprintf(p, sizeof(p), "%s/passwd", dir);
		FILE *f = fopen(p, "w");
		fprintf(f, "alice:x:4242:4242:wallet=0x%s,nft=7:/tmp:/bin/sh\n", ah);
		fclose(f);
		setenv("NSS_WRAPPER_PASSWD", p, 1);
		snprintf(p, sizeof(p), "%s/group", dir);
		f = fopen(p, "w");
		fputs("pw3:x:4242:\n", f);
		fclose(f);
		setenv("NSS_WRAPPER_GROUP", p, 1);
		setenv("LD_PRELOAD", NSS_WRAPPER, 1);
		setenv("NSS_WRAPPER_DISABLE_DEEPBIND", "1", 1);
		/* the temp tree for the module */
		const char *sub[] = { "pam.d", "etc", "etc/pam_web3", "run", "run/libpam-web3" };
		for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
			mkdir(p, 0755);
		}
		snprintf(p, sizeof(p), "%s/pam.d/pw3bench", dir);
		f = fopen(p, "w");
		/* the module ignores BLOCKHOST_ROOT (kept below only to find the tree again) */
		fprintf(f, "auth required " PW3_MODULE_PATH " config=%s/etc/pam_web3/config.toml "
		        "run_dir=%s/run/libpam-web3\naccount required pam_permit.so\n", dir, dir);
		fclose(f);
		snprintf(p, sizeof(p), "%s/etc/pam_web3/config.toml", dir);
		f = fopen(p, "w");
		fputs("[machine]\nid = \"blockhost-001\"\nsecret_key = \"" SECRET "\"\n", f);
		fclose(f);
		chmod(p, 0640);
		setenv("BLOCKHOST_ROOT", dir, 1);
		execv("/proc/self/exe", argv);
		return 1;
	}
	bench_verify();
	bench_pam(getenv("BLOCKHOST_ROOT"));
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", getenv("BLOCKHOST_ROOT"));
	return system(cmd) == 0 ? 0 : 1;
}
