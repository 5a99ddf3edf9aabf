// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keys.c - HKDF-SHA256 derivation of VM and peer keys from the master
 * key, with GnuTLS's HKDF (gnutls_hkdf_extract/expand).
 */
#include "keys.h"

#include <string.h>

#include <gnutls/crypto.h>

#define SALT "mig-handoff-v2"

static bool derive(const uint8_t *master, size_t master_len,
		   const void *info, size_t info_len,
		   uint8_t key[HANDOFF_KEY_LEN])
{
	gnutls_datum_t ikm = { (unsigned char *)master, (unsigned int)master_len };
	gnutls_datum_t salt = { (unsigned char *)SALT, sizeof(SALT) - 1 };
	gnutls_datum_t inf = { (unsigned char *)info, (unsigned int)info_len };
	uint8_t prk[32];
	gnutls_datum_t p = { prk, sizeof(prk) };
	bool ok;

	if (master_len < MIG_MASTER_KEY_MIN || master_len > MIG_MASTER_KEY_MAX)
		return false;
	ok = gnutls_hkdf_extract(GNUTLS_MAC_SHA256, &ikm, &salt, prk) == 0 &&
	     gnutls_hkdf_expand(GNUTLS_MAC_SHA256, &p, &inf, key,
				HANDOFF_KEY_LEN) == 0;
	memset(prk, 0, sizeof(prk));
	return ok;
}

bool mig_vm_key(const uint8_t *master, size_t master_len,
		const uint8_t uuid[HANDOFF_UUID_LEN],
		uint8_t key[HANDOFF_KEY_LEN])
{
	uint8_t info[2 + HANDOFF_UUID_LEN] = { 'v', 'm' };

	memcpy(info + 2, uuid, HANDOFF_UUID_LEN);
	return derive(master, master_len, info, sizeof(info), key);
}

/* A key for "LABEL" followed by @name (not empty, at most 255 bytes). */
static bool named_key(const uint8_t *master, size_t master_len,
		      const char *label, const char *name,
		      uint8_t key[HANDOFF_KEY_LEN])
{
	size_t l = strlen(label), n = strlen(name);
	uint8_t info[16 + HANDOFF_TEXT_MAX];

	if (!n || n > HANDOFF_TEXT_MAX || l > 16)
		return false;
	memcpy(info, label, l);
	memcpy(info + l, name, n);
	return derive(master, master_len, info, l + n, key);
}

bool mig_peer_key(const uint8_t *master, size_t master_len, const char *name,
		  uint8_t key[HANDOFF_KEY_LEN])
{
	return named_key(master, master_len, "peer", name, key);
}

bool mig_agent_key(const uint8_t *master, size_t master_len, const char *name,
		  uint8_t key[HANDOFF_KEY_LEN])
{
	return named_key(master, master_len, "host", name, key);
}

bool mig_ticket_key(const uint8_t *master, size_t master_len, const char *ticket,
		    uint8_t key[HANDOFF_KEY_LEN])
{
	return named_key(master, master_len, "ticket", ticket, key);
}
