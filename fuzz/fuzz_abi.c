/* SPDX-License-Identifier: MIT */
/*
 * Fuzz the strict ABI decoder, the log and revert decoders and the signature parser.
 * Input: byte 0 selects the mode and signature, the rest is the payload.
 * Invariant checked: anything the strict decoder accepts is canonical, so re-encoding
 * the decoded value gives back exactly the input bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eth/abi.h"
#include "core/err.h"

static const char *const types[] = {
	"(address,bytes)",
	"(uint256,uint256,uint256,bytes)",
	"(string,uint256)",
	"(uint256,address,uint256,bool,bool)",
	"(string,uint256,bool)",
	"(uint256[])",
	"(address,address,address,uint8,uint8,bool)",
	"(uint256,uint256,address,bytes)",
	"((uint256,bytes)[],string[2],int8,bytes7)",
	"(bytes[][],(bool,(string,uint16[3])[])[2])",
	"(int256,int24,uint128,bytes32,bytes1)",
	"()",
	"string",
	"(uint256)[]",
};

static const char *const events[] = {
	"SubscriptionCreated(uint256 indexed,uint256 indexed,address indexed,uint256,uint256,address,bytes)",
	"PlanCreated(uint256 indexed,string,uint256)",
	"CredentialMinted(uint256 indexed,address indexed)",
	"Mixed(int64 indexed,bytes32 indexed,bool indexed,(uint256,string)[],string)",
	"Anything(string indexed,uint8,bytes)",
};

static const char *const errors[] = {
	"PlanNotFound(uint256)", "InvalidAddress()", "Weird((uint8,string)[],bytes)",
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void check_roundtrip(const struct bh_abi_type *t, const struct bh_abi_value *v,
                            const uint8_t *data, size_t size)
{
	struct bh_buf out;
	bh_buf_init(&out, BH_ABI_MAX_DATA + 64);
	if (bh_abi_encode(t, v, &out, NULL) < 0)
		abort();
	if (bh_buf_len(&out) != size || memcmp(bh_buf_ptr(&out), data, size))
		abort();
	bh_buf_done(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t sel = data[0];
	data++;
	size--;
	struct bh_abi_value *v = NULL;

	switch (sel >> 6) {
	case 0: { /* plain decoding */
		struct bh_abi_type *t = NULL;
		if (bh_abi_type_parse(types[sel % N(types)], &t, NULL) < 0)
			abort();
		struct bh_msg m;
		if (bh_abi_decode(t, data, size, &v, &m) == 0) {
			check_roundtrip(t, v, data, size);
			json_t *j = bh_abi_value_to_json(v);
			struct bh_abi_value back;
			/* and so is the JSON form: JSON -> value -> the same bytes */
			if (j) {
				if (bh_abi_value_from_json(t, j, &back, NULL) < 0)
					abort();
				check_roundtrip(t, &back, data, size);
				bh_abi_value_clear(&back);
			}
			json_decref(j);
			bh_abi_value_free(v);
		}
		bh_abi_type_free(t);
		break;
	}
	case 1: { /* event log: next byte = topic count (0..4), then topics, then data */
		struct bh_abi_sig *sig = NULL;
		if (bh_abi_sig_parse(events[sel % N(events)], &sig, NULL) < 0)
			abort();
		if (size >= 1) {
			size_t nt = data[0] % 5;
			if (size - 1 >= nt * 32) {
				uint8_t topics[4][32];
				memcpy(topics, data + 1, nt * 32);
				/* make topic0 right half of the time so decoding proceeds */
				if (nt && (sel & 0x20))
					memcpy(topics[0], sig->topic, 32);
				if (bh_abi_decode_log(sig, (const uint8_t(*)[32])topics, nt, data + 1 + nt * 32,
						      size - 1 - nt * 32, &v, NULL) == 0)
					bh_abi_value_free(v);
			}
		}
		bh_abi_sig_free(sig);
		break;
	}
	case 2: { /* revert data */
		struct bh_abi_sig *errs[N(errors)];
		struct bh_abi_revert rv;
		for (size_t i = 0; i < N(errors); i++)
			if (bh_abi_sig_parse(errors[i], &errs[i], NULL) < 0)
				abort();
		if (bh_abi_decode_revert(data, size, (const struct bh_abi_sig *const *)errs, N(errors),
					 &rv, NULL) == 0)
			bh_abi_revert_clear(&rv);
		for (size_t i = 0; i < N(errors); i++)
			bh_abi_sig_free(errs[i]);
		break;
	}
	default: { /* signature text */
		char *s = malloc(size + 1);
		struct bh_abi_sig *sig = NULL, *again = NULL;
		if (!s)
			return 0;
		memcpy(s, data, size);
		s[size] = '\0';
		if (bh_abi_sig_parse(s, &sig, NULL) == 0) {
			/* the canonical form parses to itself */
			if (bh_abi_sig_parse(sig->canonical, &again, NULL) < 0 ||
			    strcmp(again->canonical, sig->canonical))
				abort();
			bh_abi_sig_free(again);
			bh_abi_sig_free(sig);
		}
		free(s);
		break;
	}
	}
	return 0;
}
