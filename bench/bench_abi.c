/* SPDX-License-Identifier: MIT */
/*
 * ABI event-log decoding throughput: SubscriptionCreated logs (3 indexed topics; data =
 * uint256, uint256, address, bytes of 161 bytes — an ECIES blob's typical size), decoded
 * by bh_abi_decode_log with full strict checks into values, then freed.  The signature is
 * parsed once, as the engine's monitor does.  The peer is ethers 6 Interface.parseLog
 * (bench/peer-ethers-parselog.js runs this binary and prints the ratio).
 *
 *   bench_abi [SECONDS]   prints "bh_abi_decode_log logs/s=N" and a JSON variant
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "eth/abi.h"
#include "core/err.h"

#define SIG "SubscriptionCreated(uint256 indexed subscriptionId,uint256 indexed planId," \
	    "address indexed subscriber,uint256 expiresAt,uint256 paidAmount,address paymentToken," \
	    "bytes userEncrypted)"
#define BLOB 161

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void word(uint8_t *p, uint64_t x)
{
	bh_u256_from_u64(x, p);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	struct bh_abi_sig *sig = NULL;
	uint8_t topics[4][32], data[5 * 32 + 192];
	size_t len = 5 * 32 + ((BLOB + 31) / 32) * 32;
	struct bh_msg m = { "" };

	if (bh_abi_sig_parse(SIG, &sig, &m) < 0) {
		fprintf(stderr, "bench_abi: %s\n", m.text);
		return 1;
	}
	memcpy(topics[0], sig->topic, 32);
	word(topics[1], 12345);
	word(topics[2], 1);
	memset(topics[3], 0, 12);
	memset(topics[3] + 12, 0xab, 20);
	memset(data, 0, sizeof(data));
	word(data, 1800000000);
	word(data + 32, 15000000);
	memset(data + 64 + 12, 0xcd, 20);
	word(data + 96, 0x80);
	word(data + 128, BLOB);
	for (int i = 0; i < BLOB; i++)
		data[160 + i] = (uint8_t)(i * 7 + 1);

	for (int variant = 0; variant < 2; variant++) {
		unsigned long n = 0;
		double t0 = now(), t;
		do {
			for (int k = 0; k < 1000; k++) {
				struct bh_abi_value *v = NULL;
				if (bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, 4, data, len, &v, &m) < 0) {
					fprintf(stderr, "bench_abi: %s\n", m.text);
					return 1;
				}
				if (variant == 1) {
					json_t *j = bh_abi_value_to_json(v);
					json_decref(j);
				}
				bh_abi_value_free(v);
			}
			n += 1000;
			t = now() - t0;
		} while (t < secs);
		printf("%s logs/s=%.0f\n", variant ? "bh_abi_decode_log+to_json" : "bh_abi_decode_log",
		       (double)n / t);
	}
	bh_abi_sig_free(sig);
	return 0;
}
