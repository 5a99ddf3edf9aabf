// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * check_tlspsk - the agents' channel (lib/tlspsk.c) over loopback TCP: a
 * handshake with the right key carries messages both ways (a large one
 * too); a wrong key, an unknown identity or a peer that says nothing
 * fail with an error, never with a channel.
 */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "tlspsk.h"

static const uint8_t key_a[TLSPSK_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const uint8_t key_b[TLSPSK_KEY_LEN] = "fedcba9876543210fedcba987654321";

struct server {
	int lfd;
	struct mig_addr addr;
	GThread *thread;
	char *got;       /* first message received */
	char *identity;  /* the client's identity */
	bool ok;         /* handshake succeeded */
	bool silent;     /* accept, then say nothing */
};

static bool lookup(const char *identity, uint8_t key[TLSPSK_KEY_LEN], void *data)
{
	(void)data;
	if (strcmp(identity, "host-a"))
		return false;
	memcpy(key, key_a, TLSPSK_KEY_LEN);
	return true;
}

static gpointer serve(gpointer data)
{
	struct server *s = data;
	int fd = accept(s->lfd, NULL, NULL);
	struct tls_chan *c;
	GError *err = NULL;

	if (fd < 0)
		return NULL;
	if (s->silent) {
		sleep(2);
		close(fd);
		return NULL;
	}
	c = tls_chan_accept(fd, lookup, NULL, 2000, &err);
	if (!c) {
		g_clear_error(&err);
		return NULL;
	}
	s->ok = true;
	s->identity = g_strdup(tls_chan_identity(c));
	s->got = tls_chan_recv(c, &err);
	if (s->got)
		tls_chan_send(c, s->got, &err); /* echo */
	g_clear_error(&err);
	tls_chan_close(c);
	return NULL;
}

static void server_start(struct server *s, bool silent)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	memset(s, 0, sizeof(*s));
	s->silent = silent;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert(!bind(s->lfd, (struct sockaddr *)&a, sizeof(a)));
	ck_assert(!listen(s->lfd, 4));
	ck_assert(!getsockname(s->lfd, (struct sockaddr *)&a, &len));
	ck_assert(addr_from_sockaddr((struct sockaddr *)&a, len, &s->addr));
	s->thread = g_thread_new("server", serve, s);
}

static void server_stop(struct server *s)
{
	g_thread_join(s->thread);
	close(s->lfd);
	g_free(s->got);
	g_free(s->identity);
}

START_TEST(test_roundtrip)
{
	struct server s;
	GError *err = NULL;
	struct tls_chan *c;
	g_autofree char *big = g_malloc(3 << 20);
	g_autofree char *back = NULL;
	uint64_t sent, received;

	memset(big, 'x', (3 << 20) - 1);
	big[(3 << 20) - 1] = '\0';
	server_start(&s, false);
	c = tls_chan_connect(&s.addr, "host-a", key_a, 2000, &err);
	ck_assert_msg(c, "%s", err ? err->message : "");
	ck_assert(tls_chan_send(c, big, &err));
	back = tls_chan_recv(c, &err);
	ck_assert_msg(back, "%s", err ? err->message : "");
	ck_assert_uint_eq(strlen(back), (3 << 20) - 1);
	tls_chan_bytes(c, &sent, &received);
	ck_assert_uint_eq(sent, 3 << 20);
	ck_assert_uint_eq(received, 3 << 20);
	tls_chan_close(c);
	server_stop(&s);
	ck_assert(s.ok);
}
END_TEST

START_TEST(test_wrong_key_and_identity)
{
	static const struct {
		const char *identity;
		const uint8_t *key;
	} cases[] = { { "host-a", key_b }, { "host-x", key_a } };

	for (unsigned int i = 0; i < G_N_ELEMENTS(cases); i++) {
		struct server s;
		GError *err = NULL;
		struct tls_chan *c;

		server_start(&s, false);
		c = tls_chan_connect(&s.addr, cases[i].identity, cases[i].key, 2000, &err);
		ck_assert_msg(!c, "case %u: a channel without the key", i);
		ck_assert(err);
		g_clear_error(&err);
		server_stop(&s);
		ck_assert(!s.ok);
	}
}
END_TEST

START_TEST(test_silent_peer_times_out)
{
	struct server s;
	GError *err = NULL;
	gint64 t0 = g_get_monotonic_time();

	server_start(&s, true);
	ck_assert(!tls_chan_connect(&s.addr, "host-a", key_a, 500, &err));
	ck_assert(err);
	ck_assert_int_lt(g_get_monotonic_time() - t0, 1500 * 1000);
	g_clear_error(&err);
	server_stop(&s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tlspsk");
	TCase *tc = tcase_create("channel");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_wrong_key_and_identity);
	tcase_add_test(tc, test_silent_peer_times_out);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
