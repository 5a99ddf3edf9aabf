// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_dnsupdate - the DNS update of manager/dnsupdate.c against a real
 * knotd (knotd.h: started on 127.0.0.1, a free port, with its
 * configuration, zone lab.test. and TSIG keys in a temporary directory):
 * key files of both formats and bad ones, a replaced A record, an AAAA
 * that replaces the A, a delete, an hmac-sha512 key, a wrong key (TSIG
 * BADSIG, zone unchanged), a server that is down, names outside the zone,
 * and, on a fake server, the TCP retry of a truncated answer and an
 * unsigned answer.  knotd (/usr/sbin/knotd, or $KNOTD) is required:
 * without it the test fails.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <glib.h>
#include <ldns/ldns.h>

#include "addr.h"
#include "dnsupdate.h"
#include "knotd.h"

#define ZONE KNOTD_ZONE
#define TIMEOUT_MS 2000

/* the knotd of the unchecked fixture (started in the process that forks
 * the tests) */
static struct knotd *kd;

static char *path_of(const char *name)
{
	return knotd_path(kd, name);
}

static void write_file(const char *name, const char *text)
{
	g_autofree char *p = path_of(name);
	g_autoptr(GError) err = NULL;

	ck_assert_msg(g_file_set_contents(p, text, -1, &err), "%s", err ? err->message : "");
}

/* The @type records of @name (an authoritative answer), "" if none. */
static char *records(const char *name, ldns_rr_type type)
{
	return knotd_records(kd, name, type);
}

static uint32_t serial(void)
{
	return knotd_serial(kd);
}

static void knot_start(void)
{
	kd = knotd_start();
}

static void knot_teardown(void)
{
	g_clear_pointer(&kd, knotd_free);
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
	return dnsupd_replace("127.0.0.1", kd->port, k, zone, name, addr ? &a : NULL, ttl,
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
							     kd->port);
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
	uint16_t port = knotd_free_port();
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
	ck_assert_int_eq(dnsupd_replace("localhost", kd->port, k, ZONE, "svc1", &a, 30,
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
				ldns_pkt_tsig_sign(a, "test-key.", knotd_secret, 300, "hmac-sha256.",
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
	f->port = knotd_free_port();
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
