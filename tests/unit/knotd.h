/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * knotd.h - a real Knot DNS server for the unit tests (check_dnsupdate,
 * check_services): knotd started on 127.0.0.1 and a free port, with its
 * configuration, zone lab.test. and TSIG keys in a temporary directory;
 * stopped, started again on the same port, and asked with libldns what
 * it answers.
 *
 * Made for Check: the functions fail the running test (ck_assert) when
 * something does not work, and a knotd that is not installed is such a
 * failure (with a hint to install knot), not a skip.  Start it in an
 * unchecked fixture (the process that forks the tests); the forked tests
 * may stop it and start it again: a knotd started in a test's process
 * ends with that process (knotd_ensure() starts another in the next one).
 *
 * The zone (KNOTD_ZONE) has ns, svc1..svc5 A 10.0.0.N and svc4 AAAA
 * fd00::4, TTL 300; updates signed with test-key or key512 are allowed.
 */
#ifndef MIG_TESTS_KNOTD_H
#define MIG_TESTS_KNOTD_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>
#include <ldns/ldns.h>

#define KNOTD_ZONE "lab.test."

/* the secrets of the keys (the good ones knotd has, and a wrong one) */
extern const char knotd_secret[];
extern const char knotd_other_secret[];
extern const char knotd_secret512[];

/**
 * enum knotd_key - the TSIG key files knotd_start() writes.
 * @KNOTD_KEY_YAML: test-key, hmac-sha256, as "keymgr -t" prints it.
 * @KNOTD_KEY_BIND: test-key, hmac-sha256, as "tsig-keygen" prints it.
 * @KNOTD_KEY_WRONG: test-key, hmac-sha256, another secret (knotd answers
 *                   BADSIG), Knot's YAML.
 * @KNOTD_KEY_512: key512, hmac-sha512, a one-line BIND clause.
 */
enum knotd_key {
	KNOTD_KEY_YAML,
	KNOTD_KEY_BIND,
	KNOTD_KEY_WRONG,
	KNOTD_KEY_512,
};

/**
 * struct knotd - a knotd of the tests.
 * @dir: its temporary directory (knot.conf, lab.test.zone, the key files,
 *       knotd.log, run/, db/).
 * @pid: its process, 0 when stopped.
 * @port: its port on 127.0.0.1, UDP and TCP (kept by knotd_restart()).
 */
struct knotd {
	char *dir;
	GPid pid;
	uint16_t port;
};

/**
 * knotd_start() - start a knotd and wait until it answers for the zone.
 *
 * knotd is $KNOTD or /usr/sbin/knotd; the test fails if it is not there
 * ("install knot") or does not answer within 5 s (with its log).
 *
 * Return: the server (knotd_free()).
 */
struct knotd *knotd_start(void);

/**
 * knotd_stop() - stop the server (SIGTERM, then SIGKILL) and wait until
 * it is gone; also from a forked test (the server is then its parent's
 * child).
 * @k: the server; nothing happens if it is stopped.
 */
void knotd_stop(struct knotd *k);

/**
 * knotd_restart() - start the server again, on the same port with the
 * same configuration, zone and keys, and wait until it answers.
 * @k: the server (stopped first if it runs).
 *
 * The zone is loaded from its file again: updates of the previous run
 * are lost (its database is removed).  Started in a forked test, the
 * server ends with that test's process.
 */
void knotd_restart(struct knotd *k);

/**
 * knotd_running() - whether the server's process runs.
 * @k: the server.
 *
 * Return: true if it does (a process that ended is reaped if it is ours).
 */
bool knotd_running(struct knotd *k);

/**
 * knotd_ensure() - restart the server if it does not run (a test before
 * stopped it, or started it again in its own process, which ended).
 * @k: the server.
 */
void knotd_ensure(struct knotd *k);

/**
 * knotd_free() - stop the server and remove its directory.
 * @k: the server, or NULL.
 */
void knotd_free(struct knotd *k);

/**
 * knotd_path() - a file of the server's directory.
 * @k: the server.
 * @name: the file's name ("knot.conf", "knotd.log", or one of the test's).
 *
 * Return: its path (g_free()).
 */
char *knotd_path(const struct knotd *k, const char *name);

/**
 * knotd_key_file() - the path of a key file knotd_start() wrote.
 * @k: the server.
 * @which: the key.
 *
 * Return: its path (g_free()).
 */
char *knotd_key_file(const struct knotd *k, enum knotd_key which);

/**
 * knotd_records() - the @type records of @name, from the server's
 * authoritative answer (the test fails if there is none).
 * @k: the server.
 * @name: the owner name, absolute ("svc1.lab.test.").
 * @type: LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA...
 *
 * Return: "RDATA/TTL" of each record, separated by a space
 * ("10.0.0.1/300"), "" if none (g_free()).
 */
char *knotd_records(const struct knotd *k, const char *name, ldns_rr_type type);

/**
 * knotd_serial() - the zone's SOA serial (the test fails without one).
 * @k: the server.
 *
 * Return: the serial.
 */
uint32_t knotd_serial(const struct knotd *k);

/**
 * knotd_free_port() - a port that is free on 127.0.0.1 for UDP and TCP
 * (when asked; the test fails if none is found).
 *
 * Return: the port.
 */
uint16_t knotd_free_port(void);

#endif /* MIG_TESTS_KNOTD_H */
