// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_dnsupdate - the DNS update of manager/dnsupdate.c against a real
 * knotd (started on 127.0.0.1, a free port, with its configuration, zone
 * lab.test. and TSIG keys in a temporary directory): key files of both
 * formats and bad ones, a replaced A record, an AAAA that replaces the A,
 * a delete, an hmac-sha512 key, a wrong key (TSIG BADSIG, zone
 * unchanged), a server that is down, names outside the zone, and, on a
 * fake server, the TCP retry of a truncated answer and an unsigned answer.
 * knotd (/usr/sbin/knotd, or $KNOTD) is required: without it the test
 * fails.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <ldns/ldns.h>

#include "addr.h"
#include "dnsupdate.h"

#define KNOTD "/usr/sbin/knotd"
#define ZONE "lab.test."
#define TIMEOUT_MS 2000

static const char secret[] = "A0QlEmlJYjD3vWJf6XJ3q/aWUI4tFoP5uwECzt7aNXU=";
static const char other_secret[] = "26zN/Xmt/Qe8vlWxOnaMZU5qbOSfzbsLxjkyEVchVe0=";
static const char secret512[] = "Sb0TLNmBfxBW39XoWLBD69xuIqX6hs+wqMI7MuatTrycAl8qgA2f"
				"oXthaTTA9A4j5I9oWJU+mDYRSfHS4ZvRJw==";

static const char zone_file[] =
	"$ORIGIN lab.test.\n"
	"$TTL 300\n"
	"@ SOA ns hostmaster 1 3600 900 604800 300\n"
	"@ NS ns\n"
	"ns A 127.0.0.1\n"
	"svc1 A 10.0.0.1\n"
	"svc2 A 10.0.0.2\n"
	"svc3 A 10.0.0.3\n"
	"svc4 A 10.0.0.4\n"
	"svc4 AAAA fd00::4\n"
	"svc5 A 10.0.0.5\n";

/* knotd: its directory, pid and port (the unchecked fixture's, in the
 * process that forks the tests) */
static char *dir;
static GPid knot_pid;
static uint16_t knot_port;

static char *path_of(const char *name)
{
	return g_build_filename(dir, name, NULL);
}

static void write_file(const char *name, const char *text)
{
	g_autofree char *p = path_of(name);
	g_autoptr(GError) err = NULL;

	ck_assert_msg(g_file_set_contents(p, text, -1, &err), "%s", err ? err->message : "");
}

/* A port that is free on 127.0.0.1 for UDP and TCP (at the time). */
static uint16_t free_port(void)
{
	for (int i = 0; i < 20; i++) {
		g_autoptr(GSocket) u = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
						    G_SOCKET_PROTOCOL_UDP, NULL);
		g_autoptr(GSocket) t = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
						    G_SOCKET_PROTOCOL_TCP, NULL);
		g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
		g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
		g_autoptr(GSocketAddress) got = NULL;
		uint16_t port;

		ck_assert(u && t);
		ck_assert(g_socket_bind(u, any, FALSE, NULL));
		got = g_socket_get_local_address(u, NULL);
		port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(got));
		g_clear_object(&got);
		got = g_inet_socket_address_new(lo, port);
		if (g_socket_bind(t, got, FALSE, NULL))
			return port;
	}
	ck_abort_msg("no free port");
	return 0;
}

/* An ldns resolver for knotd, not recursive, one try. */
static ldns_resolver *resolver(void)
{
	ldns_resolver *r = ldns_resolver_new();
	ldns_rdf *ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "127.0.0.1");

	ck_assert(r && ns);
	ck_assert_int_eq(ldns_resolver_push_nameserver(r, ns), LDNS_STATUS_OK);
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(r, knot_port);
	ldns_resolver_set_recursive(r, false);
	ldns_resolver_set_retry(r, 1);
	ldns_resolver_set_timeout(r, (struct timeval){ .tv_sec = 1 });
	return r;
}

/* Ask knotd for the @type records of @name; NULL if no answer. */
static ldns_pkt *ask(const char *name, ldns_rr_type type)
{
	ldns_resolver *r = resolver();
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ldns_pkt *p = NULL;

	if (ldns_resolver_query_status(&p, r, d, type, LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		p = NULL;
	ldns_rdf_deep_free(d);
	ldns_resolver_deep_free(r);
	return p;
}

/* The @type records of @name (an authoritative answer), "" if none. */
static char *records(const char *name, ldns_rr_type type)
{
	ldns_pkt *p = ask(name, type);
	ldns_rr_list *l;
	GString *s = g_string_new(NULL);

	ck_assert_msg(p, "no answer from knotd to %s", name);
	ck_assert(ldns_pkt_aa(p));
	ck_assert_msg(ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR ||
		      ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN, "rcode %d for %s",
		      ldns_pkt_get_rcode(p), name);
	l = ldns_pkt_rr_list_by_type(p, type, LDNS_SECTION_ANSWER);
	for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
		ldns_rr *rr = ldns_rr_list_rr(l, i);
		char *a = ldns_rdf2str(ldns_rr_rdf(rr, 0));

		g_string_append_printf(s, "%s%s/%u", s->len ? " " : "", a, ldns_rr_ttl(rr));
		free(a);
	}
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	return g_string_free(s, FALSE);
}

static uint32_t serial(void)
{
	ldns_pkt *p = ask(ZONE, LDNS_RR_TYPE_SOA);
	ldns_rr_list *l;
	uint32_t s;

	ck_assert_msg(p, "no answer from knotd");
	l = ldns_pkt_rr_list_by_type(p, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER);
	ck_assert(l && ldns_rr_list_rr_count(l) == 1);
	s = ldns_rdf2native_int32(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 2));
	ldns_rr_list_deep_free(l);
	ldns_pkt_free(p);
	return s;
}

static void knot_child_setup(gpointer data)
{
	(void)data;
	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* the test's end is knotd's */
}

static void knot_stop(void)
{
	int status;

	if (!knot_pid)
		return;
	kill(knot_pid, SIGTERM);
	for (int i = 0; i < 200 && waitpid(knot_pid, &status, WNOHANG) == 0; i++)
		g_usleep(10000);
	if (waitpid(knot_pid, &status, WNOHANG) == 0) {
		kill(knot_pid, SIGKILL);
		waitpid(knot_pid, &status, 0);
	}
	knot_pid = 0;
}

static void rm_tree(const char *p)
{
	GDir *d = g_file_test(p, G_FILE_TEST_IS_SYMLINK) ? NULL : g_dir_open(p, 0, NULL);
	const char *n;

	while (d && (n = g_dir_read_name(d))) {
		g_autofree char *c = g_build_filename(p, n, NULL);

		rm_tree(c);
	}
	if (d)
		g_dir_close(d);
	g_remove(p);
}

static void knot_start(void)
{
	const char *knotd = g_getenv("KNOTD") ? g_getenv("KNOTD") : KNOTD;
	g_autoptr(GError) err = NULL;
	g_autofree char *conf = NULL, *conf_path = NULL, *log_path = NULL, *log = NULL;
	g_autofree char *run = NULL, *db = NULL;
	char *t;
	const char *argv[] = { knotd, "-c", NULL, NULL };
	gint64 end;
	int log_fd, status;
	ldns_pkt *p = NULL;

	ck_assert_msg(g_file_test(knotd, G_FILE_TEST_IS_EXECUTABLE),
		      "%s not found: install knot (apt-get install knot; make check installs "
		      "the packages of scripts/debian-packages)", knotd);
	dir = g_dir_make_tmp("check_dnsupdate-XXXXXX", &err);
	ck_assert_msg(dir, "%s", err ? err->message : "");
	knot_port = free_port();
	run = path_of("run");
	db = path_of("db");	/* knotd does not make it (and SERVFAILs updates) */
	ck_assert_int_eq(g_mkdir(run, 0700), 0);
	ck_assert_int_eq(g_mkdir(db, 0700), 0);
	conf = g_strdup_printf(
		"server:\n"
		"    rundir: \"%s\"\n"
		"    listen: 127.0.0.1@%u\n"
		"    udp-workers: 1\n"
		"    tcp-workers: 1\n"
		"    background-workers: 1\n"
		"database:\n"
		"    storage: \"%s\"\n"
		"key:\n"
		"  - id: test-key\n"
		"    algorithm: hmac-sha256\n"
		"    secret: %s\n"
		"  - id: key512\n"
		"    algorithm: hmac-sha512\n"
		"    secret: %s\n"
		"acl:\n"
		"  - id: update\n"
		"    key: [test-key, key512]\n"
		"    action: update\n"
		"zone:\n"
		"  - domain: " ZONE "\n"
		"    storage: \"%s\"\n"
		"    file: lab.test.zone\n"
		"    zonefile-sync: -1\n"
		"    zonefile-load: whole\n"
		"    journal-content: changes\n"
		"    acl: update\n"
		"log:\n"
		"  - target: stderr\n"
		"    any: info\n",
		run, knot_port, db, secret, secret512, dir);
	write_file("knot.conf", conf);
	write_file("lab.test.zone", zone_file);
	conf_path = path_of("knot.conf");
	log_path = path_of("knotd.log");
	argv[2] = conf_path;
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(log_fd, 0);
	ck_assert_msg(g_spawn_async_with_fds(dir, (char **)argv, NULL,
					     G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
					     knot_child_setup, NULL, &knot_pid, -1, log_fd, log_fd,
					     &err), "%s: %s", knotd, err ? err->message : "");
	close(log_fd);
	/* until it answers for the zone (bounded) */
	end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		if (waitpid(knot_pid, &status, WNOHANG) == knot_pid) {
			knot_pid = 0;
			break;
		}
		p = ask(ZONE, LDNS_RR_TYPE_SOA);
		if (p && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR && ldns_pkt_aa(p))
			break;
		g_clear_pointer(&p, ldns_pkt_free);
		g_usleep(50000);
	}
	if (!p) {
		g_file_get_contents(log_path, &log, NULL, NULL);
		knot_stop();
	}
	ck_assert_msg(p, "knotd does not answer on 127.0.0.1#%u; its log:\n%s", knot_port,
		      log ? log : "");
	ldns_pkt_free(p);

	/* as keymgr -t and tsig-keygen print them */
	write_file("test.yaml", (t = g_strdup_printf("# hmac-sha256:test-key:%s\nkey:\n"
		   "  - id: test-key\n    algorithm: hmac-sha256\n    secret: %s\n",
		   secret, secret)));
	g_free(t);
	write_file("test.bind", (t = g_strdup_printf("key \"test-key\" {\n"
		   "\talgorithm hmac-sha256;\n\tsecret \"%s\";\n};\n", secret)));
	g_free(t);
	write_file("wrong.yaml", (t = g_strdup_printf("key:\n  - id: test-key\n"
		   "    algorithm: hmac-sha256\n    secret: %s\n", other_secret)));
	g_free(t);
	write_file("key512.bind", (t = g_strdup_printf("key key512 { algorithm HMAC-SHA512; "
		   "secret \"%s\"; }; // one line\n", secret512)));
	g_free(t);
}

static void knot_teardown(void)
{
	knot_stop();
	if (dir)
		rm_tree(dir);
	g_clear_pointer(&dir, g_free);
}

static struct dnsupd_key *key(const char *file)
{
	g_autofree char *p = path_of(file);
	g_autoptr(GError) err = NULL;
	struct dnsupd_key *k = dnsupd_key_load(p, &err);

	ck_assert_msg(k, "%s", err ? err->message : "");
	return k;
}

static struct mig_addr ip(const char *text)
{
	struct mig_addr a;

	ck_assert(addr_parse_host(text, &a));
	return a;
}

static enum dnsupd_status replace(const struct dnsupd_key *k, const char *zone,
				  const char *name, const char *addr, uint32_t ttl,
				  char *errbuf, size_t errlen)
{
	struct mig_addr a;

	if (addr)
		a = ip(addr);
	return dnsupd_replace("127.0.0.1", knot_port, k, zone, name, addr ? &a : NULL, ttl,
			      TIMEOUT_MS, errbuf, errlen);
}

static void expect_ok(enum dnsupd_status st, const char *e)
{
	ck_assert_msg(st == DNSUPD_OK, "%s: %s", dnsupd_status_str(st), e);
	ck_assert_str_eq(e, "");
}

static void expect_load_error(const char *text, const char *msg)
{
	g_autofree char *p = path_of("bad.key");
	g_autoptr(GError) err = NULL;

	write_file("bad.key", text);
	ck_assert_msg(!dnsupd_key_load(p, &err), "loaded: %s", text);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err->message, msg), "'%s' not in '%s'", msg, err->message);
	ck_assert_msg(strstr(err->message, p), "'%s' not in '%s'", p, err->message);
}

START_TEST(test_key_files)
{
	struct dnsupd_key *k;
	g_autoptr(GError) err = NULL;
	g_autofree char *missing = path_of("nope.key");

	k = key("test.yaml");
	ck_assert_str_eq(dnsupd_key_name(k), "test-key.");
	ck_assert_str_eq(dnsupd_key_algorithm(k), "hmac-sha256");
	dnsupd_key_free(k);
	k = key("test.bind");
	ck_assert_str_eq(dnsupd_key_name(k), "test-key.");
	ck_assert_str_eq(dnsupd_key_algorithm(k), "hmac-sha256");
	dnsupd_key_free(k);
	k = key("key512.bind");
	ck_assert_str_eq(dnsupd_key_name(k), "key512.");
	ck_assert_str_eq(dnsupd_key_algorithm(k), "hmac-sha512");
	dnsupd_key_free(k);
	/* a whole knot.conf: its first key (the acl's "key:" is no key) */
	k = key("knot.conf");
	ck_assert_str_eq(dnsupd_key_name(k), "test-key.");
	ck_assert_str_eq(dnsupd_key_algorithm(k), "hmac-sha256");
	dnsupd_key_free(k);
	dnsupd_key_free(NULL);

	ck_assert(!dnsupd_key_load(missing, &err));
	ck_assert(g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT));
	ck_assert_msg(strstr(err->message, missing) && strstr(err->message, "TSIG key"), "%s",
		      err->message);
	expect_load_error("\x01\x02 this is { not ; a key file\n", "no key");
	expect_load_error("", "no key");
	expect_load_error("acl:\n  - id: a\n    key: k\n    action: update\n", "no key");
	expect_load_error("options { key \"k\"; };\n", "no key");
	expect_load_error("key:\n  - id: k\n    algorithm: hmac-sha256\n    secret: abc!def=\n",
			  "not base64");
	expect_load_error("key \"k\" { algorithm hmac-sha256; secret \"QUJD=\"; };\n",
			  "not base64");
	expect_load_error("key \"k\" { algorithm hmac-md5; secret \"QUJD\"; };\n",
			  "unknown algorithm 'hmac-md5'");
	expect_load_error("key:\n  - id: k\n    algorithm: hmac-sha384\n    secret: QUJD\n",
			  "unknown algorithm 'hmac-sha384'");
	expect_load_error("key:\n  - id: k\n    secret: QUJD\n", "no algorithm");
	expect_load_error("key:\n  - id: k\n    algorithm: hmac-sha256\n", "no secret");
}
END_TEST

START_TEST(test_replace)
{
	struct dnsupd_key *k = key("test.yaml");
	g_autofree char *a = NULL, *aaaa = NULL;
	char e[256];
	uint32_t s0 = serial();

	a = records("svc1." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_eq(a, "10.0.0.1/300");
	g_clear_pointer(&a, g_free);
	expect_ok(replace(k, ZONE, "svc1", "10.0.1.5", 30, e, sizeof(e)), e);
	ck_assert_str_eq(e, "");
	a = records("svc1." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_eq(a, "10.0.1.5/30");
	aaaa = records("svc1." ZONE, LDNS_RR_TYPE_AAAA);
	ck_assert_str_eq(aaaa, "");
	ck_assert_uint_gt(serial(), s0);
	/* the same again, absolute name, zone without the dot */
	g_clear_pointer(&a, g_free);
	expect_ok(replace(k, "lab.test", "SVC1.lab.test.", "10.0.1.6", 60, e, sizeof(e)), e);
	a = records("svc1." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_eq(a, "10.0.1.6/60");
	dnsupd_key_free(k);
}
END_TEST

START_TEST(test_ipv6)
{
	struct dnsupd_key *k = key("test.bind");
	g_autofree char *a = NULL, *aaaa = NULL;
	char e[256];

	expect_ok(replace(k, ZONE, "svc2", "fd00::2:1", 45, e, sizeof(e)), e);
	a = records("svc2." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_eq(a, "");
	aaaa = records("svc2." ZONE, LDNS_RR_TYPE_AAAA);
	ck_assert_str_eq(aaaa, "fd00::2:1/45");
	dnsupd_key_free(k);
}
END_TEST

START_TEST(test_delete)
{
	struct dnsupd_key *k = key("test.yaml");
	g_autofree char *a = NULL, *aaaa = NULL;
	char e[256];

	aaaa = records("svc4." ZONE, LDNS_RR_TYPE_AAAA);
	ck_assert_str_eq(aaaa, "fd00::4/300");
	g_clear_pointer(&aaaa, g_free);
	expect_ok(replace(k, ZONE, "svc4", NULL, 0, e, sizeof(e)), e);
	a = records("svc4." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_eq(a, "");
	aaaa = records("svc4." ZONE, LDNS_RR_TYPE_AAAA);
	ck_assert_str_eq(aaaa, "");
	dnsupd_key_free(k);
}
END_TEST

START_TEST(test_sha512)
{
	struct dnsupd_key *k = key("key512.bind");
	g_autofree char *a = NULL;
	char e[256];

	expect_ok(replace(k, ZONE, "svc5", "10.0.5.5", 30, e, sizeof(e)), e);
	a = records("svc5." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_eq(a, "10.0.5.5/30");
	dnsupd_key_free(k);
}
END_TEST

START_TEST(test_wrong_key)
{
	struct dnsupd_key *k = key("wrong.yaml");
	g_autofree char *a = NULL, *want = g_strdup_printf("TSIG BADSIG from 127.0.0.1#%u",
							     knot_port);
	char e[256];
	uint32_t s0 = serial();

	ck_assert_int_eq(replace(k, ZONE, "svc3", "10.0.3.9", 30, e, sizeof(e)), DNSUPD_AUTH);
	ck_assert_str_eq(e, want);
	a = records("svc3." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_eq(a, "10.0.0.3/300");
	ck_assert_uint_eq(serial(), s0);
	/* unsigned: the ACL wants the key (an unsigned NOTAUTH: "refused") */
	ck_assert_int_eq(replace(NULL, ZONE, "svc3", "10.0.3.9", 30, e, sizeof(e)),
			 DNSUPD_REFUSED);
	ck_assert_msg(g_str_has_prefix(e, "NOTAUTH from 127.0.0.1#"), "%s", e);
	ck_assert_uint_eq(serial(), s0);
	dnsupd_key_free(k);
}
END_TEST

START_TEST(test_down)
{
	struct dnsupd_key *k = key("test.yaml");
	struct mig_addr a = ip("10.0.0.9");
	g_autoptr(GSocket) mute = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
					       G_SOCKET_PROTOCOL_UDP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
	g_autoptr(GSocketAddress) bound = NULL;
	uint16_t port = free_port();
	char e[256];
	gint64 t0;
	int ms;

	/* nobody listens: ICMP port unreachable */
	t0 = g_get_monotonic_time();
	ck_assert_int_eq(dnsupd_replace("127.0.0.1", port, k, ZONE, "svc1", &a, 30, 300, e,
					sizeof(e)), DNSUPD_UNREACHABLE);
	ms = (int)((g_get_monotonic_time() - t0) / 1000);
	ck_assert_msg(ms < 900, "%d ms", ms);
	ck_assert_msg(strstr(e, "no answer from 127.0.0.1#"), "%s", e);
	/* a socket that reads nothing: the timeout */
	ck_assert(g_socket_bind(mute, any, FALSE, NULL));
	bound = g_socket_get_local_address(mute, NULL);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
	t0 = g_get_monotonic_time();
	ck_assert_int_eq(dnsupd_replace("127.0.0.1", port, k, ZONE, "svc1", &a, 30, 300, e,
					sizeof(e)), DNSUPD_UNREACHABLE);
	ms = (int)((g_get_monotonic_time() - t0) / 1000);
	ck_assert_msg(ms >= 290 && ms < 900, "%d ms", ms);
	ck_assert_msg(strstr(e, "within 300 ms"), "%s", e);
	dnsupd_key_free(k);
}
END_TEST

START_TEST(test_outside)
{
	struct dnsupd_key *k = key("test.yaml");
	struct mig_addr a = ip("10.0.0.9");
	g_autofree char *r = NULL;
	char e[256];
	uint32_t s0 = serial();

	/* not in the zone: nothing is sent */
	ck_assert_int_eq(replace(k, ZONE, "svc1.other.test.", "10.0.0.9", 30, e, sizeof(e)),
			 DNSUPD_INVALID);
	ck_assert_msg(strstr(e, "not a name in zone"), "%s", e);
	ck_assert_int_eq(replace(k, ZONE, "test.", "10.0.0.9", 30, e, sizeof(e)),
			 DNSUPD_INVALID);
	ck_assert_int_eq(dnsupd_replace("localhost", knot_port, k, ZONE, "svc1", &a, 30,
					TIMEOUT_MS, e, sizeof(e)), DNSUPD_INVALID);
	ck_assert_msg(strstr(e, "not an address"), "%s", e);
	/* a zone the server does not have */
	ck_assert_int_eq(replace(k, "other.test.", "svc1", "10.0.0.9", 30, e, sizeof(e)),
			 DNSUPD_REFUSED);
	ck_assert_msg(g_str_has_prefix(e, "NOTAUTH from 127.0.0.1#"), "%s", e);
	r = records("svc1." ZONE, LDNS_RR_TYPE_A);
	ck_assert_str_ne(r, "10.0.0.9/30");
	ck_assert_uint_eq(serial(), s0);
	dnsupd_key_free(k);
}
END_TEST

/*
 * A fake server for what knotd does not do: a truncated UDP answer (the
 * update is sent again over TCP) and a TCP answer that is signed or not.
 */
struct fake {
	GSocket *udp, *tcp;
	uint16_t port;
	bool sign;
	int n_udp, n_tcp;
};

static ldns_pkt *fake_answer(const ldns_pkt *q, bool tc)
{
	ldns_pkt *a = ldns_pkt_new();

	ldns_pkt_set_id(a, ldns_pkt_id(q));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_tc(a, tc);
	ldns_pkt_set_opcode(a, LDNS_PACKET_UPDATE);
	ldns_pkt_set_rcode(a, LDNS_RCODE_NOERROR);
	ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION,
			 ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
	return a;
}

static gpointer fake_serve(gpointer data)
{
	struct fake *f = data;
	uint8_t buf[4096], *w;
	ldns_pkt *q = NULL, *a;
	GSocket *c;
	gssize n;
	size_t wl;

	g_autoptr(GSocketAddress) from = NULL;

	n = g_socket_receive_from(f->udp, &from, (char *)buf, sizeof(buf), NULL, NULL);
	if (n > 0 && ldns_wire2pkt(&q, buf, n) == LDNS_STATUS_OK) {
		f->n_udp++;
		a = fake_answer(q, true);
		ldns_pkt2wire(&w, a, &wl);
		ldns_pkt_free(a);
		ldns_pkt_free(q);
		q = NULL;
		g_socket_send_to(f->udp, from, (char *)w, wl, NULL, NULL);
		free(w);
	}
	c = g_socket_accept(f->tcp, NULL, NULL);
	if (!c)
		return NULL;
	g_socket_set_timeout(c, 5);
	if (g_socket_receive(c, (char *)buf, 2, NULL, NULL) == 2) {
		size_t len = (size_t)buf[0] << 8 | buf[1];
		size_t got = 0;

		while (got < len && (n = g_socket_receive(c, (char *)buf + got, len - got, NULL,
							  NULL)) > 0)
			got += n;
		if (got == len && ldns_wire2pkt(&q, buf, len) == LDNS_STATUS_OK) {
			uint8_t hdr[2];

			f->n_tcp++;
			a = fake_answer(q, false);
			if (f->sign)
				ldns_pkt_tsig_sign(a, "test-key.", secret, 300, "hmac-sha256.",
						   ldns_rr_rdf(ldns_pkt_tsig(q), 3));
			ldns_pkt2wire(&w, a, &wl);
			hdr[0] = wl >> 8;
			hdr[1] = wl & 0xff;
			g_socket_send(c, (char *)hdr, 2, NULL, NULL);
			g_socket_send(c, (char *)w, wl, NULL, NULL);
			free(w);
			ldns_pkt_free(a);
			ldns_pkt_free(q);
		}
	}
	g_object_unref(c);
	return NULL;
}

static enum dnsupd_status fake_exchange(bool sign, struct fake *f, char *e, size_t elen)
{
	struct dnsupd_key *k = key("test.yaml");
	struct mig_addr a = ip("10.0.0.7");
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = NULL;
	enum dnsupd_status st;
	GThread *t;

	memset(f, 0, sizeof(*f));
	f->sign = sign;
	f->port = free_port();
	sa = g_inet_socket_address_new(lo, f->port);
	f->udp = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
			      G_SOCKET_PROTOCOL_UDP, NULL);
	f->tcp = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP, NULL);
	ck_assert(g_socket_bind(f->udp, sa, FALSE, NULL));
	ck_assert(g_socket_bind(f->tcp, sa, TRUE, NULL));
	ck_assert(g_socket_listen(f->tcp, NULL));
	g_socket_set_timeout(f->udp, 5);
	g_socket_set_timeout(f->tcp, 5);
	t = g_thread_new("fake-dns", fake_serve, f);
	st = dnsupd_replace("127.0.0.1", f->port, k, ZONE, "svc7", &a, 30, TIMEOUT_MS, e,
			    elen);
	g_thread_join(t);
	g_object_unref(f->udp);
	g_object_unref(f->tcp);
	dnsupd_key_free(k);
	return st;
}

START_TEST(test_truncated)
{
	struct fake f;
	char e[256];

	expect_ok(fake_exchange(true, &f, e, sizeof(e)), e);
	ck_assert_str_eq(e, "");
	ck_assert_int_eq(f.n_udp, 1);
	ck_assert_int_eq(f.n_tcp, 1);
	ck_assert_int_eq(fake_exchange(false, &f, e, sizeof(e)), DNSUPD_AUTH);
	ck_assert_msg(strstr(e, "is not signed"), "%s", e);
	ck_assert_int_eq(f.n_tcp, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dnsupdate");
	TCase *tc = tcase_create("dnsupdate");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, knot_start, knot_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_key_files);
	tcase_add_test(tc, test_replace);
	tcase_add_test(tc, test_ipv6);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_sha512);
	tcase_add_test(tc, test_wrong_key);
	tcase_add_test(tc, test_down);
	tcase_add_test(tc, test_outside);
	tcase_add_test(tc, test_truncated);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
