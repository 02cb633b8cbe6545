/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the calldata decoder bh_abi_decode_call against the contracts' own functions
 * (upstream.md §6).  Input: byte 0 picks the function (low 4 bits % count); with bit 7 set
 * the first 4 bytes of the calldata are replaced by the right selector so decoding
 * proceeds; the rest is the calldata.
 * Invariant: accepted calldata is canonical — bh_abi_encode_call of the decoded arguments
 * gives back exactly the input — and the selector matched; encoding into a buffer one
 * byte too small fails with BH_ERR_LIMIT and a message, leaving the buffer empty.
 */
#include <stdlib.h>
#include <string.h>

#include "eth/abi.h"

static const char *const funcs[] = {
	"buySubscription(uint256 planId,uint256 days,uint256 paymentMethodId,bytes userEncrypted)",
	"extendSubscription(uint256 subId,uint256 days,uint256 paymentMethodId)",
	"createPlan(string,uint256)",
	"updatePlan(uint256,string,uint256,bool)",
	"cancelSubscription(uint256)",
	"addPaymentMethod(address token,address pair,address stable)",
	"mint(address to,bytes userEncrypted)",
	"updateUserEncrypted(uint256 tokenId,bytes)",
	"submitRequest(address nftContract,bytes encryptedPayload)",
	"getPaymentMethodIds()",
	"f((uint256,bytes)[],string[2],int8,bytes7)",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bh_abi_sig *sig = NULL;
	struct bh_abi_value *v = NULL;
	struct bh_msg m;

	if (size < 1)
		return 0;
	if (bh_abi_sig_parse(funcs[(data[0] & 0x0f) % N(funcs)], &sig, NULL) < 0)
		abort();
	uint8_t *cd = malloc(size);
	if (!cd)
		abort();
	size_t n = size - 1;
	memcpy(cd, data + 1, n);
	if ((data[0] & 0x80) && n >= 4)
		memcpy(cd, sig->selector, 4);
	if (bh_abi_decode_call(sig, cd, n, &v, &m) == 0) {
		struct bh_buf out;
		if (n < 4 || memcmp(cd, sig->selector, 4))
			abort();
		bh_buf_init(&out, BH_ABI_MAX_DATA + 64);
		if (bh_abi_encode_call(sig, v, &out, NULL) < 0 || bh_buf_len(&out) != n ||
		    memcmp(bh_buf_ptr(&out), cd, n))
			abort();
		bh_buf_done(&out);
		/* into a buffer too small by one byte, or with no room for the selector:
		 * BH_ERR_LIMIT, a message, nothing appended */
		for (int k = 0; k < 2; k++) {
			struct bh_msg m2 = { { 0 } };
			bh_buf_init(&out, k ? 3 : n - 1);
			int r = bh_abi_encode_call(sig, v, &out, &m2);
			if (r != BH_ERR_LIMIT || bh_buf_len(&out) != 0 || (!k && n > 4 && !m2.text[0]))
				abort();
			bh_buf_done(&out);
		}
		bh_abi_value_free(v);
	}
	free(cd);
	bh_abi_sig_free(sig);
	return 0;
}
