/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * dnsupdate.h - a VM's address in DNS: one RFC 2136 dynamic update,
 * signed with TSIG (RFC 8945), that replaces the A and AAAA records of a
 * name by one record, and the TSIG keys it is signed with (the key files
 * that Knot's "keymgr -t" and BIND's "tsig-keygen" print).  The messages
 * are built, signed and verified with libldns.
 * Blocking: for worker threads only.  A loaded key is read-only and may
 * be used by several threads at once.
 */
#ifndef MIG_DNSUPDATE_H
#define MIG_DNSUPDATE_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "addr.h"

/**
 * enum dnsupd_key_error - why dnsupd_key_load() failed (the codes of
 * DNSUPD_KEY_ERROR; a missing or unreadable file is a G_FILE_ERROR).
 * @DNSUPD_KEY_INVALID: no key in the file, no or an unknown algorithm, no
 *                      secret or one that is not base64.
 */
enum dnsupd_key_error {
	DNSUPD_KEY_INVALID,
};

#define DNSUPD_KEY_ERROR (dnsupd_key_error_quark())
GQuark dnsupd_key_error_quark(void);

struct dnsupd_key;

/**
 * dnsupd_key_load() - load a TSIG key file.
 * @path: the file: Knot's YAML ("key:" then "- id: NAME", "algorithm:",
 *        "secret:", as keymgr -t prints it) or a BIND key clause
 *        ('key "NAME" { algorithm ALG; secret "BASE64"; };', as
 *        tsig-keygen prints it); '#' and '//' start comments.  The first
 *        key of the file is taken.
 * @err: set on failure, naming @path and the problem.
 *
 * Algorithms: hmac-sha256, hmac-sha512 and hmac-sha1 (what libldns
 * implements; it has no hmac-sha224 or hmac-sha384).
 *
 * Return: the key (dnsupd_key_free()), or NULL.
 */
struct dnsupd_key *dnsupd_key_load(const char *path, GError **err);

/**
 * dnsupd_key_name() - the name of a key.
 * @k: the key.
 *
 * Return: its name, absolute ("NAME."); owned by @k.
 */
const char *dnsupd_key_name(const struct dnsupd_key *k);

/**
 * dnsupd_key_algorithm() - the algorithm of a key.
 * @k: the key.
 *
 * Return: "hmac-sha256", "hmac-sha512" or "hmac-sha1".
 */
const char *dnsupd_key_algorithm(const struct dnsupd_key *k);

/**
 * dnsupd_key_free() - forget a key (its secret is cleared).
 * @k: the key, or NULL.
 */
void dnsupd_key_free(struct dnsupd_key *k);

/**
 * enum dnsupd_status - the outcome of an update.
 * @DNSUPD_OK: NOERROR, and the answer's TSIG verified (if signed).
 * @DNSUPD_UNREACHABLE: no (usable) answer: timeout, connection refused,
 *                      a malformed answer.  Retry later.
 * @DNSUPD_AUTH: TSIG failure: the answer's TSIG error is BADSIG, BADKEY,
 *               BADTIME... or the answer's TSIG does not verify (or is
 *               missing from a NOERROR answer).  Do not retry.
 * @DNSUPD_REFUSED: REFUSED, NOTZONE, NOTAUTH without a TSIG error,
 *                  FORMERR, NOTIMP, or another rcode.  Do not retry.
 * @DNSUPD_SERVFAIL: SERVFAIL.  Retry later.
 * @DNSUPD_INVALID: bad arguments: server not a numeric address, name not
 *                  in the zone, an address of no known family...  Nothing
 *                  was sent.
 */
enum dnsupd_status {
	DNSUPD_OK,
	DNSUPD_UNREACHABLE,
	DNSUPD_AUTH,
	DNSUPD_REFUSED,
	DNSUPD_SERVFAIL,
	DNSUPD_INVALID,
};

/**
 * dnsupd_status_str() - the name of a status.
 * @s: the status.
 *
 * Return: "ok", "unreachable", "auth", "refused", "servfail", "invalid"
 * (or "?").
 */
const char *dnsupd_status_str(enum dnsupd_status s);

/**
 * dnsupd_replace() - replace the addresses of a name by one address.
 * @server: the zone's primary server, a numeric IPv4 or IPv6 address.
 * @port: its port (53).
 * @key: the TSIG key the update is signed with and the answer verified
 *       with, or NULL for an unsigned update.
 * @zone: the zone ("lab.test" or "lab.test.").
 * @name: the owner name, absolute ("svc1.lab.test.", in @zone) or relative
 *        to @zone ("svc1").
 * @addr: the new address (its family decides A or AAAA; the port is
 *        ignored), or NULL to only delete.
 * @ttl: TTL of the new record.
 * @timeout_ms: bound of each try (UDP, then TCP if the UDP answer is
 *              truncated).
 * @errbuf: on failure, a one-line message naming the server and the rcode
 *          or TSIG error ("TSIG BADSIG from 127.0.0.1#5353"); "" on success.
 * @errlen: size of @errbuf.
 *
 * One UPDATE message for @zone that deletes the A RRset and the AAAA
 * RRset of @name and, with @addr, adds the one record.
 *
 * Return: DNSUPD_OK or why not.
 */
enum dnsupd_status dnsupd_replace(const char *server, uint16_t port,
				  const struct dnsupd_key *key,
				  const char *zone, const char *name,
				  const struct mig_addr *addr, uint32_t ttl,
				  int timeout_ms, char *errbuf, size_t errlen);

#endif /* MIG_DNSUPDATE_H */
