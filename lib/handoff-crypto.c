// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * handoff-crypto.c - the hash functions the wire format asks of its host
 * program (handoff_crypto_* in migration/handoff-wire.h), with GnuTLS.
 */
#include <gnutls/crypto.h>

#include "wire.h"

bool handoff_crypto_hmac_sha256(const uint8_t *key, size_t key_len,
				const uint8_t *data, size_t len,
				uint8_t out[HANDOFF_HMAC_LEN])
{
	return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_len, data, len,
				out) == 0;
}

bool handoff_crypto_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out) == 0;
}
