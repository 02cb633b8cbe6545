/* SPDX-License-Identifier: MIT */
/*
 * blockhost-keystore: operator CLI for the TPM-sealed host keys and the daemon.
 * main() parses the common options and dispatches; address, export-pubkey and request
 * are here, init/status/recover/reseal in seal_cmds.c, serve in daemon.c, what they
 * share in cli.c.  See docs/keystore.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "cli.h"
#include "eth/eth.h"
#include "core/frame.h"
#include "host/keystore_client.h"
#include "core/hex.h"
#include "keys.h"
#include "core/log.h"

/* ------------------------------------------------------------------ address / pubkey */

static int unseal_keys(struct ks_global *g, struct bh_ks_keys **ret)
{
	struct bh_tpm *t = NULL;
	struct bh_msg m = { "" };
	struct bh_ks_keys *k = NULL;
	struct ks_owner own;
	int r, dfd = -1;
	if ((r = ks_resolve_owner(NULL, &own)) < 0 || (r = ks_open_store(g, false, &own, &dfd)) < 0)
		return r;
	if ((r = ks_tpm_open(g, &t)) < 0)
		goto out;
	if (!(k = bh_ks_keys_new())) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = bh_ks_unseal_all(t, dfd, g->cfg.dir, k, &m)) < 0) {
		ks_fail(r, &m, "unseal");
		goto out;
	}
	*ret = k;
	k = NULL;
out:
	close(dfd);
	bh_ks_keys_free(k);
	bh_tpm_close(t);
	return r;
}

static const char address_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] address\n"
	"Unseal the wallet key and print the host wallet address (EIP-55).\n";

static const char pubkey_usage[] =
	"usage: blockhost-keystore [--config F] [--tcti T] export-pubkey [--tls]\n"
	"Print the server ECIES public key (uncompressed, 04 + X + Y in hex), or with\n"
	"--tls the TLS P-256 public key in the same form.\n";

static int cmd_address(struct ks_global *g, int argc, char **argv, bool pubkey)
{
	static const struct option o[] = { { "tls", 0, NULL, 't' }, { "help", 0, NULL, 'h' },
					   { 0 } };
	const char *usage = pubkey ? pubkey_usage : address_usage;
	bool tls = false;
	int c, r;
	struct bh_ks_keys *k = NULL;
	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!pubkey)
				goto usage;
			tls = true;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	if ((r = unseal_keys(g, &k)) < 0)
		return ks_exit_code(r);
	if (!pubkey) {
		char s[BH_ADDR_STR_LEN + 1];
		if ((r = ks_wallet_address_str(k, s)) == 0)
			printf("%s\n", s);
	} else {
		uint8_t pub[65];
		char s[131];
		r = tls ? bh_ks_p256_pubkey(k->k[BH_KS_TLS], pub) : bh_ks_ecies_pubkey(k, pub);
		if (r == 0) {
			bh_hex_encode(pub, 65, s);
			printf("%s\n", s);
		}
	}
	bh_ks_keys_free(k);
	if (r < 0)
		log_error_r(r, "public key");
	return ks_exit_code(r);
usage:
	fputs(usage, stderr);
	return KS_EXIT_USAGE;
}

/* ------------------------------------------------------------------ request */

static const char request_usage[] =
	"usage: blockhost-keystore [--config F] request [--socket PATH] JSON|-\n"
	"Send one request object (docs/PROTOCOL.keystore; '-' reads it from stdin) to the\n"
	"daemon and print the response.  Exit 0 if it says ok, 7 if the policy refused\n"
	"it (the response names the rule), 1 otherwise.\n";

static int cmd_request(struct ks_global *g, int argc, char **argv)
{
	static const struct option o[] = { { "socket", 1, NULL, 's' }, { "help", 0, NULL, 'h' },
					   { 0 } };
	const char *sock = g->cfg.socket;
	int c, r;
	struct bh_keystore_client kc;
	json_t *req = NULL, *resp = NULL;
	struct bh_buf in;

	while ((c = getopt_long(argc, argv, "h", o, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'h': fputs(request_usage, stdout); return 0;
		default: fputs(request_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fputs(request_usage, stderr);
		return KS_EXIT_USAGE;
	}
	bh_buf_init(&in, 1024 * 1024);
	if (!strcmp(argv[optind], "-"))
		r = bh_buf_read_fd_all(&in, 0);
	else
		r = bh_buf_put_cstr(&in, argv[optind]);
	if (r < 0 || (r = bh_frame_decode_json(bh_buf_ptr(&in), bh_buf_len(&in), &req)) < 0) {
		bh_buf_done(&in);
		log_error_r(r, "request: not a JSON object");
		return KS_EXIT_USAGE;
	}
	bh_buf_done(&in);
	if ((r = bh_keystore_client_init(&kc, sock)) < 0) {
		json_decref(req);
		return KS_EXIT_ERROR;
	}
	r = bh_keystore_call(&kc, req, &resp);
	json_decref(req);
	bh_keystore_client_done(&kc);
	if (r < 0) {
		log_error_r(r, "keystore %s", sock);
		return KS_EXIT_ERROR;
	}
	char *s = json_dumps(resp, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s)
		printf("%s\n", s);
	free(s);
	const char *e = json_string_value(json_object_get(resp, "error"));
	r = json_is_true(json_object_get(resp, "ok")) ? 0 : (e && !strcmp(e, "denied")) ? 7 : 1;
	json_decref(resp);
	return r;
}

/* ------------------------------------------------------------------ main */

static const char main_usage[] =
	"usage: blockhost-keystore [--config FILE] [--tcti TCTI] COMMAND [options]\n"
	"The host wallet, server ECIES and TLS keys, sealed to the TPM.\n"
	"Commands (each takes --help):\n"
	"  init           generate and seal the keys (optionally write a recovery file)\n"
	"  status         PCRs bound, current vs sealed values, which one changed\n"
	"  address        print the host wallet address\n"
	"  export-pubkey  print the server ECIES (or --tls) public key\n"
	"  recover        restore the keys from the recovery file and reseal them\n"
	"  reseal         re-bind the keys to the current PCR values\n"
	"  serve          run the keystore daemon\n"
	"  request        send one JSON request to the daemon (testing, diagnosis)\n"
	"Options:\n"
	"  --config FILE  default <etc>/keystore.json: {\"tcti\": ..., \"pcrs\": [7]}\n"
	"  --tcti TCTI    e.g. device:/dev/tpmrm0, swtpm:host=127.0.0.1,port=2321\n"
	"Exit: 0 ok, 1 error, 2 usage, 3 PCR policy not satisfied, 4 no TPM,\n"
	"      5 TPM lockout, 6 sealed key not found, 7 refused by the daemon's policy.\n";

int main(int argc, char **argv)
{
	static const struct option o[] = { { "config", 1, NULL, 'c' }, { "tcti", 1, NULL, 't' },
					   { "help", 0, NULL, 'h' }, { 0 } };
	struct ks_global g = { 0 };
	struct bh_msg m = { "" };
	int c, r;

	bh_log_init("blockhost-keystore", BH_LOG_STDERR, LOG_DAEMON);
	/* the TSS prints its own error lines to stderr; ours name the cause */
	setenv("TSS2_LOG", "all+NONE", 0);
	if (sodium_init() < 0) {
		log_error("libsodium initialisation failed");
		return KS_EXIT_ERROR;
	}
	while ((c = getopt_long(argc, argv, "+h", o, NULL)) != -1) {
		switch (c) {
		case 'c': g.config = optarg; break;
		case 't': g.tcti = optarg; break;
		case 'h': fputs(main_usage, stdout); return 0;
		default: fputs(main_usage, stderr); return KS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(main_usage, stderr);
		return KS_EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 1;
	if ((r = bh_ks_config_load(g.config, &g.cfg, &m)) < 0)
		return ks_fail(r, &m, "config");
	if (g.tcti) {
		if ((r = bh_ks_tcti_check(g.tcti, &m)) < 0) {
			bh_ks_config_done(&g.cfg);
			return ks_fail(r, &m, "--tcti");
		}
		free(g.cfg.tcti);
		if (!(g.cfg.tcti = strdup(g.tcti)))
			return KS_EXIT_ERROR;
	}
	if (!strcmp(cmd, "init"))
		r = ks_cmd_init(&g, argc, argv);
	else if (!strcmp(cmd, "status"))
		r = ks_cmd_status(&g, argc, argv);
	else if (!strcmp(cmd, "address"))
		r = cmd_address(&g, argc, argv, false);
	else if (!strcmp(cmd, "export-pubkey"))
		r = cmd_address(&g, argc, argv, true);
	else if (!strcmp(cmd, "recover"))
		r = ks_cmd_reseal(&g, argc, argv, true);
	else if (!strcmp(cmd, "reseal"))
		r = ks_cmd_reseal(&g, argc, argv, false);
	else if (!strcmp(cmd, "request"))
		r = cmd_request(&g, argc, argv);
	else if (!strcmp(cmd, "serve"))
		r = ks_cmd_serve(&g, argc, argv);
	else {
		log_error("unknown command '%s'", cmd);
		fputs(main_usage, stderr);
		r = KS_EXIT_USAGE;
	}
	bh_ks_config_done(&g.cfg);
	return r;
}
