/* SPDX-License-Identifier: MIT */
/*
 * The keystore daemon's connection loop (docs/PROTOCOL.keystore "Connections"):
 * one thread, one ppoll over the listening socket and every connection still
 * sending its request or taking its response.  Program code: it logs.
 */
#ifndef BH_KS_LOOP_H
#define BH_KS_LOOP_H

#include <signal.h>

#include "ops.h"

#define KS_REQUEST_MAX (512u * 1024u)  /* request frame payload cap */
#define KS_FRAME_TIMEOUT_MS 2000       /* the request frame complete, counted from accept */
#define KS_WRITE_TIMEOUT_MS 2000       /* the response taken by the peer */
#define KS_CONN_MAX 64                 /* connections open at once (RLIMIT_NOFILE is 128) */
#define KS_CONN_PER_UID 16             /* of them from one uid */
#define KS_CONN_RESERVED 8             /* of KS_CONN_MAX, only for a uid with none open */

/*
 * Serve the non-blocking listening socket lfd until *stop is set (by the SIGTERM /
 * SIGINT handler: both are blocked except while waiting in ppoll, so a signal is never
 * missed).  Returns 0 when stopped, or a negative error (logged) when accepting failed
 * for good.  Every connection still open is closed and its buffers wiped on return.
 */
int ks_loop_run(int lfd, struct ks_server *srv, volatile sig_atomic_t *stop);

#endif
