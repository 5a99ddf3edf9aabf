// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * knotd.c - a real knotd for the unit tests (see knotd.h): its
 * configuration, zone and key files, its process (started with
 * PR_SET_PDEATHSIG, so that it never outlives the test process that
 * started it), and libldns queries of what it answers.
 */
#include "knotd.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#define KNOTD "/usr/sbin/knotd"

const char knotd_secret[] = "A0QlEmlJYjD3vWJf6XJ3q/aWUI4tFoP5uwECzt7aNXU=";
const char knotd_other_secret[] = "26zN/Xmt/Qe8vlWxOnaMZU5qbOSfzbsLxjkyEVchVe0=";
const char knotd_secret512[] = "Sb0TLNmBfxBW39XoWLBD69xuIqX6hs+wqMI7MuatTrycAl8qgA2f"
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

static const char *const key_files[] = {
	[KNOTD_KEY_YAML] = "test.yaml",
	[KNOTD_KEY_BIND] = "test.bind",
	[KNOTD_KEY_WRONG] = "wrong.yaml",
	[KNOTD_KEY_512] = "key512.bind",
};

char *knotd_path(const struct knotd *k, const char *name)
{
	return g_build_filename(k->dir, name, NULL);
}

char *knotd_key_file(const struct knotd *k, enum knotd_key which)
{
	ck_assert_int_lt(which, G_N_ELEMENTS(key_files));
	return knotd_path(k, key_files[which]);
}

static void write_file(const struct knotd *k, const char *name, const char *text)
{
	g_autofree char *p = knotd_path(k, name);
	g_autoptr(GError) err = NULL;

	ck_assert_msg(g_file_set_contents(p, text, -1, &err), "%s", err ? err->message : "");
}

/* Whether @port is free on 127.0.0.1 for UDP and for TCP. */
static bool port_free(uint16_t port)
{
	g_autoptr(GSocket) u = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
					    G_SOCKET_PROTOCOL_UDP, NULL);
	g_autoptr(GSocket) t = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
					    G_SOCKET_PROTOCOL_TCP, NULL);
	g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(lo, port);

	ck_assert(u && t);
	return g_socket_bind(u, sa, FALSE, NULL) && g_socket_bind(t, sa, TRUE, NULL);
}

uint16_t knotd_free_port(void)
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

/* An ldns resolver for knotd, not recursive, one try of 1 s. */
static ldns_resolver *resolver(const struct knotd *k)
{
	ldns_resolver *r = ldns_resolver_new();
	ldns_rdf *ns = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "127.0.0.1");

	ck_assert(r && ns);
	ck_assert_int_eq(ldns_resolver_push_nameserver(r, ns), LDNS_STATUS_OK);
	ldns_rdf_deep_free(ns);
	ldns_resolver_set_port(r, k->port);
	ldns_resolver_set_recursive(r, false);
	ldns_resolver_set_retry(r, 1);
	ldns_resolver_set_timeout(r, (struct timeval){ .tv_sec = 1 });
	return r;
}

/* Ask knotd for the @type records of @name; NULL if no answer. */
static ldns_pkt *ask(const struct knotd *k, const char *name, ldns_rr_type type)
{
	ldns_resolver *r = resolver(k);
	ldns_rdf *d = ldns_dname_new_frm_str(name);
	ldns_pkt *p = NULL;

	ck_assert_msg(d, "'%s' is not a domain name", name);
	if (ldns_resolver_query_status(&p, r, d, type, LDNS_RR_CLASS_IN, 0) != LDNS_STATUS_OK)
		p = NULL;
	ldns_rdf_deep_free(d);
	ldns_resolver_deep_free(r);
	return p;
}

char *knotd_records(const struct knotd *k, const char *name, ldns_rr_type type)
{
	ldns_pkt *p = ask(k, name, type);
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

uint32_t knotd_serial(const struct knotd *k)
{
	ldns_pkt *p = ask(k, KNOTD_ZONE, LDNS_RR_TYPE_SOA);
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

/*
 * Whether process @pid runs: ours (waitpid), or, in a forked test, our
 * parent's (then /proc: gone, or a zombie its parent did not reap yet).
 */
static bool pid_runs(GPid pid)
{
	g_autofree char *stat_path = g_strdup_printf("/proc/%d/stat", (int)pid);
	g_autofree char *stat = NULL;
	const char *paren;
	int status;
	pid_t r;

	if (pid <= 0)
		return false;
	r = waitpid(pid, &status, WNOHANG);
	if (r == pid)
		return false;
	if (r == 0)
		return true;
	if (errno != ECHILD || !g_file_get_contents(stat_path, &stat, NULL, NULL))
		return false;
	/* "PID (COMM) STATE ..."; COMM may hold ')' */
	paren = strrchr(stat, ')');
	return paren && paren[1] == ' ' && paren[2] != 'Z' && paren[2] != 'X';
}

bool knotd_running(struct knotd *k)
{
	if (pid_runs(k->pid))
		return true;
	k->pid = 0;
	return false;
}

void knotd_stop(struct knotd *k)
{
	if (!k->pid)
		return;
	kill(k->pid, SIGTERM);
	for (int i = 0; i < 300 && pid_runs(k->pid); i++)
		g_usleep(10000);
	if (pid_runs(k->pid)) {
		kill(k->pid, SIGKILL);
		for (int i = 0; i < 300 && pid_runs(k->pid); i++)
			g_usleep(10000);
	}
	ck_assert_msg(!pid_runs(k->pid), "knotd %d does not end", (int)k->pid);
	k->pid = 0;
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

/* knotd, which must be there. */
static const char *knotd_program(void)
{
	const char *knotd = g_getenv("KNOTD") ? g_getenv("KNOTD") : KNOTD;

	ck_assert_msg(g_file_test(knotd, G_FILE_TEST_IS_EXECUTABLE),
		      "%s not found: install knot (apt-get install knot; make check installs "
		      "the packages of scripts/debian-packages)", knotd);
	return knotd;
}

/* Start knotd with @k's configuration; wait until it answers for the zone. */
static void spawn(struct knotd *k)
{
	const char *knotd = knotd_program();
	g_autoptr(GError) err = NULL;
	g_autofree char *conf_path = knotd_path(k, "knot.conf");
	g_autofree char *log_path = knotd_path(k, "knotd.log");
	g_autofree char *log = NULL;
	const char *argv[] = { knotd, "-c", conf_path, NULL };
	gint64 end;
	int log_fd, status;
	ldns_pkt *p = NULL;

	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ck_assert_int_ge(log_fd, 0);
	ck_assert_msg(g_spawn_async_with_fds(k->dir, (char **)argv, NULL,
					     G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
					     knot_child_setup, NULL, &k->pid, -1, log_fd, log_fd,
					     &err), "%s: %s", knotd, err ? err->message : "");
	close(log_fd);
	/* until it answers for the zone (bounded) */
	end = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
	while (g_get_monotonic_time() < end) {
		if (waitpid(k->pid, &status, WNOHANG) == k->pid) {
			k->pid = 0;
			break;
		}
		p = ask(k, KNOTD_ZONE, LDNS_RR_TYPE_SOA);
		if (p && ldns_pkt_get_rcode(p) == LDNS_RCODE_NOERROR && ldns_pkt_aa(p))
			break;
		g_clear_pointer(&p, ldns_pkt_free);
		g_usleep(50000);
	}
	if (!p) {
		g_file_get_contents(log_path, &log, NULL, NULL);
		knotd_stop(k);
	}
	/* the end of the log: Check's messages are short */
	ck_assert_msg(p, "knotd does not answer on 127.0.0.1#%u; its log:\n%s", k->port,
		      log ? log + (strlen(log) > 1500 ? strlen(log) - 1500 : 0) : "");
	ldns_pkt_free(p);
}

struct knotd *knotd_start(void)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *conf = NULL, *run = NULL, *db = NULL;
	struct knotd *k;
	char *t;

	knotd_program();	/* before anything is made */
	k = g_new0(struct knotd, 1);
	k->dir = g_dir_make_tmp("knotd-XXXXXX", &err);
	ck_assert_msg(k->dir, "%s", err ? err->message : "");
	k->port = knotd_free_port();
	run = knotd_path(k, "run");
	db = knotd_path(k, "db");	/* knotd does not make it (and SERVFAILs updates) */
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
		"  - domain: " KNOTD_ZONE "\n"
		"    storage: \"%s\"\n"
		"    file: lab.test.zone\n"
		"    zonefile-sync: -1\n"
		"    zonefile-load: whole\n"
		"    journal-content: changes\n"
		"    acl: update\n"
		"log:\n"
		"  - target: stderr\n"
		"    any: info\n",
		run, k->port, db, knotd_secret, knotd_secret512, k->dir);
	write_file(k, "knot.conf", conf);
	write_file(k, "lab.test.zone", zone_file);

	/* as keymgr -t and tsig-keygen print them */
	write_file(k, key_files[KNOTD_KEY_YAML],
		   (t = g_strdup_printf("# hmac-sha256:test-key:%s\nkey:\n"
					"  - id: test-key\n    algorithm: hmac-sha256\n"
					"    secret: %s\n", knotd_secret, knotd_secret)));
	g_free(t);
	write_file(k, key_files[KNOTD_KEY_BIND],
		   (t = g_strdup_printf("key \"test-key\" {\n\talgorithm hmac-sha256;\n"
					"\tsecret \"%s\";\n};\n", knotd_secret)));
	g_free(t);
	write_file(k, key_files[KNOTD_KEY_WRONG],
		   (t = g_strdup_printf("key:\n  - id: test-key\n    algorithm: hmac-sha256\n"
					"    secret: %s\n", knotd_other_secret)));
	g_free(t);
	write_file(k, key_files[KNOTD_KEY_512],
		   (t = g_strdup_printf("key key512 { algorithm HMAC-SHA512; secret \"%s\"; };"
					" // one line\n", knotd_secret512)));
	g_free(t);

	spawn(k);
	return k;
}

void knotd_restart(struct knotd *k)
{
	g_autofree char *db = knotd_path(k, "db");
	g_autofree char *run = knotd_path(k, "run");
	gint64 end = g_get_monotonic_time() + 3 * G_USEC_PER_SEC;

	knotd_stop(k);
	/* a knotd that ended with a test's process may still hold the port */
	while (!port_free(k->port) && g_get_monotonic_time() < end)
		g_usleep(20000);
	ck_assert_msg(port_free(k->port), "port %u stays taken", k->port);
	/*
	 * The zone from its file, as the first time; and no pid file: one of
	 * a knotd killed with its test's process names a zombie until init
	 * reaps it, which knotd takes for a server that runs.
	 */
	rm_tree(db);
	ck_assert_int_eq(g_mkdir(db, 0700), 0);
	rm_tree(run);
	ck_assert_int_eq(g_mkdir(run, 0700), 0);
	spawn(k);
}

void knotd_ensure(struct knotd *k)
{
	if (!knotd_running(k))
		knotd_restart(k);
}

void knotd_free(struct knotd *k)
{
	if (!k)
		return;
	knotd_stop(k);
	if (k->dir)
		rm_tree(k->dir);
	g_free(k->dir);
	g_free(k);
}
