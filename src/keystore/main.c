/* SPDX-License-Identifier: MIT */
/*
 * blockhost-keystore: operator CLI for the TPM-sealed host keys and the daemon.
 * main() parses the common options and dispatches; address, export-pubkey and request
 * are here, init/status/recover/reseal in seal_cmds.c, serve in daemon.c, what they
 * share in cli.c.  See docs/keystore.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "cli.h"
#include "core/cli.h"
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
	while ((c = ks_next_opt(argc, argv, o, usage)) != -1) {
		switch (c) {
		case 't':
			if (!pubkey)
				return ks_usage_error(usage, "address: --tls is for export-pubkey");
			tls = true;
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: return KS_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return ks_usage_error(usage, "%s: unexpected argument '%s'", argv[0], argv[optind]);
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

	while ((c = ks_next_opt(argc, argv, o, request_usage)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'h': fputs(request_usage, stdout); return 0;
		default: return KS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return ks_usage_error(request_usage, optind == argc ? "request: the JSON request "
				      "(or '-' for stdin) is missing" : "request: unexpected argument "
				      "'%s'", argv[optind + 1]);
	bh_buf_init(&in, 1024 * 1024);
	if (!strcmp(argv[optind], "-"))
		r = bh_buf_read_fd_all(&in, 0);
	else
		r = bh_buf_put_cstr(&in, argv[optind]);
	if (r < 0 || (r = bh_frame_decode_json(bh_buf_ptr(&in), bh_buf_len(&in), &req)) < 0) {
		bh_buf_done(&in);
		log_error_r(r, "request: not a JSON object (docs/PROTOCOL.keystore)");
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
		if (r == -ENOENT || r == -ECONNREFUSED)
			log_error("cannot reach the keystore daemon (%s): is blockhost-keystore "
				  "running? (systemctl status blockhost-keystore; or give --socket)",
				  bh_strerror(r));
		else if (r == -EACCES || r == -EPERM)
			log_error("the keystore daemon's socket refused this user (%s): run as a user "
				  "its grants name (docs/keystore.md)", bh_strerror(r));
		else
			log_error_r(r, "keystore daemon at %s", sock ? sock : "the default socket");
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
	"       blockhost-keystore --help | --version\n"
	"The host wallet, server ECIES and TLS keys, sealed to the TPM.\n"
	"Commands (each takes --help):\n"
	"  init           generate and seal the keys (optionally write a recovery file)\n"
	"  status         PCRs bound, current vs sealed values, which one changed (--json)\n"
	"  address        print the host wallet address\n"
	"  export-pubkey  print the server ECIES (or --tls) public key\n"
	"  recover        restore the keys from the recovery file and reseal them\n"
	"  reseal         re-bind the keys to the current PCR values\n"
	"  serve          run the keystore daemon\n"
	"  request        send one JSON request to the daemon (testing, diagnosis)\n"
	"Options:\n"
	"  --config FILE  default <etc>/keystore.json: {\"tcti\": ..., \"pcrs\": [7]}\n"
	"  --tcti TCTI    e.g. device:/dev/tpmrm0, swtpm:host=127.0.0.1,port=2321\n"
	"Options are never abbreviated.\n"
	"Exit: 0 ok, 1 error, 2 usage, 3 PCR policy not satisfied, 4 no TPM,\n"
	"      5 TPM lockout, 6 sealed key not found, 7 refused by the daemon's policy.\n";

enum ks_cmd { KS_INIT, KS_STATUS, KS_ADDRESS, KS_PUBKEY, KS_RECOVER, KS_RESEAL, KS_REQUEST,
	      KS_SERVE };

static const char *const cmd_names[] = {
	[KS_INIT] = "init", [KS_STATUS] = "status", [KS_ADDRESS] = "address",
	[KS_PUBKEY] = "export-pubkey", [KS_RECOVER] = "recover", [KS_RESEAL] = "reseal",
	[KS_REQUEST] = "request", [KS_SERVE] = "serve",
};

static int run_cmd(enum ks_cmd cmd, struct ks_global *g, int argc, char **argv)
{
	switch (cmd) {
	case KS_INIT: return ks_cmd_init(g, argc, argv);
	case KS_STATUS: return ks_cmd_status(g, argc, argv);
	case KS_ADDRESS: return cmd_address(g, argc, argv, false);
	case KS_PUBKEY: return cmd_address(g, argc, argv, true);
	case KS_RECOVER: return ks_cmd_reseal(g, argc, argv, true);
	case KS_RESEAL: return ks_cmd_reseal(g, argc, argv, false);
	case KS_REQUEST: return cmd_request(g, argc, argv);
	case KS_SERVE: return ks_cmd_serve(g, argc, argv);
	}
	return KS_EXIT_USAGE;
}

/*
 * serve parses its options in daemon.c with getopt_long, which would take an
 * abbreviation; they are checked here first, in full (its option names, kept in step
 * with daemon.c's table; --test-forbidden-syscall exists only in the test build, and the
 * daemon refuses it in the real one).
 */
static int serve_prescan(int argc, char **argv)
{
	static const struct option o[] = {
		{ "socket", 1, NULL, 's' }, { "no-setid", 0, NULL, 'n' }, { "help", 0, NULL, 'h' },
		{ "test-forbidden-syscall", 0, NULL, 'X' }, { 0 } };
	char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int c, rc = 0;

	if (!copy)
		return KS_EXIT_ERROR;
	memcpy(copy, argv, (size_t)argc * sizeof(*copy)); /* getopt permutes argv */
	optind = 0;
	while ((c = ks_next_opt(argc, copy, o, "")) != -1)
		if (c == '?') {
			fputs("(see blockhost-keystore serve --help)\n", stderr);
			rc = KS_EXIT_USAGE;
			break;
		}
	free(copy);
	optind = 0; /* the command parses again from the start (glibc: a full reset) */
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option o[] = { { "config", 1, NULL, 'c' }, { "tcti", 1, NULL, 't' },
					   { "help", 0, NULL, 'h' }, { "version", 0, NULL, 'V' },
					   { 0 } };
	struct ks_global g = { 0 };
	struct bh_msg m = { "" };
	int c, r, cmd = -1;

	bh_log_init("blockhost-keystore", BH_LOG_STDERR, LOG_DAEMON);
	/* --help, --version and every usage error before anything is loaded or opened */
	while (bh_cli_getopt(argc, argv, "+h", o, &c, &m) == 0 && c != -1) {
		switch (c) {
		case 'c': g.config = optarg; break;
		case 't': g.tcti = optarg; break;
		case 'h': fputs(main_usage, stdout); return 0;
		case 'V': printf("blockhost-keystore (BlockHost) %s\n", BH_VERSION); return 0;
		}
	}
	if (m.text[0]) {
		log_error("%s (see blockhost-keystore --help)", m.text);
		return KS_EXIT_USAGE;
	}
	if (optind >= argc) {
		log_error("a command is required (see blockhost-keystore --help)");
		return KS_EXIT_USAGE;
	}
	for (int i = 0; i < (int)(sizeof(cmd_names) / sizeof(cmd_names[0])); i++)
		if (!strcmp(argv[optind], cmd_names[i]))
			cmd = i;
	if (cmd < 0) {
		log_error("unknown command '%s' (see blockhost-keystore --help)", argv[optind]);
		return KS_EXIT_USAGE;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: a full re-initialisation for the command's own options */
	/* a command's --help needs no config: each prints its usage before touching g->cfg */
	if (bh_cli_has_flag(argc, argv, "--help") || bh_cli_has_flag(argc, argv, "-h"))
		return run_cmd((enum ks_cmd)cmd, &g, argc, argv);
	if (cmd == KS_SERVE && (r = serve_prescan(argc, argv)))
		return r;
	/* the TSS prints its own error lines to stderr; ours name the cause */
	setenv("TSS2_LOG", "all+NONE", 0);
	if (sodium_init() < 0) {
		log_error("libsodium initialisation failed");
		return KS_EXIT_ERROR;
	}
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
	r = run_cmd((enum ks_cmd)cmd, &g, argc, argv);
	bh_ks_config_done(&g.cfg);
	return r;
}
