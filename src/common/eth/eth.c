/* SPDX-License-Identifier: MIT */
/* Ethereum addresses, EIP-191 and signature text (see eth.h). */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/err.h"
#include "eth/eth.h"
#include "core/hex.h"
#include "eth/keccak.h"
#include "eth/secp.h"

void bh_eth_addr_checksum(const uint8_t addr[static 20], char out[static BH_ADDR_STR_LEN + 1])
{
	char lower[41];
	uint8_t h[32];

	/* EIP-55: upper-case the letters whose nibble in keccak256(lower-case hex) is >= 8 */
	bh_hex_encode(addr, 20, lower);
	bh_keccak256(lower, 40, h);
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < 40; i++) {
		char c = lower[i];
		unsigned nib = (i & 1) ? (h[i / 2] & 15) : (h[i / 2] >> 4);
		if (c >= 'a' && nib >= 8)
			c = (char)(c - 'a' + 'A');
		out[2 + i] = c;
	}
	out[BH_ADDR_STR_LEN] = '\0';
}

int bh_eth_addr_parse(const char *s, size_t len, uint8_t ret_addr[static 20])
{
	uint8_t a[20];
	bool has_lower = false, has_upper = false;
	int r;

	if (!s || len != BH_ADDR_STR_LEN)
		return BH_ERR_LENGTH;
	if (s[0] != '0' || s[1] != 'x')
		return BH_ERR_FORMAT;
	if ((r = bh_hex_decode_ct(s + 2, 40, a, sizeof(a))) < 0)
		return r;
	for (size_t i = 2; i < BH_ADDR_STR_LEN; i++) {
		has_lower |= s[i] >= 'a' && s[i] <= 'f';
		has_upper |= s[i] >= 'A' && s[i] <= 'F';
	}
	if (has_lower && has_upper) {
		char want[BH_ADDR_STR_LEN + 1];
		bh_eth_addr_checksum(a, want);
		if (memcmp(want, s, BH_ADDR_STR_LEN) != 0)
			return BH_ERR_CHECKSUM;
	}
	memcpy(ret_addr, a, 20);
	return 0;
}

bool bh_eth_addr_equal(const uint8_t a[static 20], const uint8_t b[static 20])
{
	return CRYPTO_memcmp(a, b, 20) == 0;
}

void bh_eth_personal_digest(const void *msg, size_t len, uint8_t ret_digest[static 32])
{
	static const char prefix[] = "\x19" "Ethereum Signed Message:\n";
	char num[24];
	struct bh_keccak k;
	int n = snprintf(num, sizeof(num), "%zu", len);

	bh_keccak256_init(&k);
	bh_keccak_update(&k, prefix, sizeof(prefix) - 1);
	bh_keccak_update(&k, num, (size_t)n);
	bh_keccak_update(&k, msg, len);
	bh_keccak_final(&k, ret_digest);
}

static bool is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int bh_eth_hex_text_decode(const char *s, size_t len, uint8_t *out, size_t n)
{
	while (len > 0 && is_ascii_space(s[0])) {
		s++;
		len--;
	}
	while (len > 0 && is_ascii_space(s[len - 1]))
		len--;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
	}
	if (len != 2 * n)
		return BH_ERR_LENGTH;
	return bh_hex_decode_ct(s, len, out, n);
}

/* Map a wallet v byte to recid 0/1; -1 if not allowed.  v is widened first. */
static int v_to_recid(uint8_t v8)
{
	unsigned v = v8;

	if (v == 0 || v == 27)
		return 0;
	if (v == 1 || v == 28)
		return 1;
	if (v >= 35)
		return (int)((v - 35u) % 2u);
	return -1;
}

int bh_sig_normalize(const uint8_t raw[static 65], uint8_t ret_sig[static 65])
{
	uint8_t sig[65];
	int recid, r;

	if ((recid = v_to_recid(raw[64])) < 0)
		return BH_ERR_RECOVERY_ID;
	memcpy(sig, raw, 64);
	sig[64] = (uint8_t)recid;
	if ((r = bh_secp_sig_check(sig)) < 0)
		return r;
	memcpy(ret_sig, sig, 65);
	return 0;
}

int bh_sig_parse_hex(const char *s, size_t len, uint8_t ret_sig[static 65])
{
	uint8_t raw[65];
	int r;

	if (!s)
		return BH_ERR_LENGTH;
	if ((r = bh_eth_hex_text_decode(s, len, raw, sizeof(raw))) < 0)
		return r;
	return bh_sig_normalize(raw, ret_sig);
}

int bh_sig_to_wallet(const uint8_t sig[static 65], uint8_t ret_raw[static 65])
{
	if (sig[64] > 1)
		return BH_ERR_RECOVERY_ID;
	memmove(ret_raw, sig, 64);
	ret_raw[64] = (uint8_t)(27 + sig[64]);
	return 0;
}

int bh_sig_format_hex(const uint8_t sig[static 65], char out[static BH_SIG_STR_LEN + 1])
{
	uint8_t raw[65];
	int r;

	if ((r = bh_sig_to_wallet(sig, raw)) < 0)
		return r;
	out[0] = '0';
	out[1] = 'x';
	bh_hex_encode(raw, sizeof(raw), out + 2);
	return 0;
}

int bh_eth_sign_personal(const uint8_t priv[static 32], const void *msg, size_t msglen,
                         uint8_t ret_sig[static 65])
{
	uint8_t d[32];

	bh_eth_personal_digest(msg, msglen, d);
	return bh_secp_sign(priv, d, ret_sig);
}

int bh_eth_verify_personal(const char *msg, size_t msglen, const uint8_t sig[static 65],
                           const uint8_t expected_addr[static 20])
{
	uint8_t d[32], got[20];
	int r;

	bh_eth_personal_digest(msg, msglen, d);
	if ((r = bh_secp_recover_address(d, sig, got)) < 0)
		return r;
	return bh_eth_addr_equal(got, expected_addr) ? 0 : BH_ERR_MISMATCH;
}
