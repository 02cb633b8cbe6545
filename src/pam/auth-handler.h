/* SPDX-License-Identifier: MIT */
/*
 * web3-auth-svc's network handler (auth-handler.c): the libmicrohttpd daemon that main()
 * in auth-svc.c starts and fuzz/fuzz_authsvc_mhd.c drives over socketpairs.
 */
#ifndef BH_PAM_AUTH_HANDLER_H
#define BH_PAM_AUTH_HANDLER_H

#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "pw3.h"

/* What the request callback serves: pages, the pending directory, the TLS fingerprint.
 * Filled by main() before svc_start; read-only afterwards. */
extern struct pw3_http_ctx g_ctx;

/* The daemon with every limit and callback of the service (mflags: MHD_USE_*; key and
 * cert PEM, both NULL for plain HTTP).  NULL when libmicrohttpd refuses to start. */
struct MHD_Daemon *svc_start(unsigned mflags, uint16_t port, const struct sockaddr *sa,
                             const char *key, const char *cert);

#endif
