// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * handoff-crypto.c - the hash functions the wire format asks of its host
 * program (handoff_crypto_* in migration/handoff-wire.h), with GnuTLS.
 */
#include <gnutls/crypto.h>

#include "wire.h"

bool handoff_crypto_hmac_sha256(const uint8_t *key, size_t key_len,
				const struct iovec *iov, int iovcnt,
				uint8_t out[HANDOFF_HMAC_LEN])
{
	gnutls_hmac_hd_t h;
	bool ok = true;

	if (iovcnt == 1)
		return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, key_len,
					iov[0].iov_base, iov[0].iov_len,
					out) == 0;
	if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, key, key_len) < 0)
		return false;
	for (int i = 0; i < iovcnt; i++)
		ok &= gnutls_hmac(h, iov[i].iov_base, iov[i].iov_len) == 0;
	gnutls_hmac_deinit(h, out);
	return ok;
}

bool handoff_crypto_sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	return gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out) == 0;
}
