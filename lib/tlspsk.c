// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tlspsk.c - TLS 1.3 with a pre-shared key over TCP (GnuTLS), carrying
 * newline-terminated messages (see tlspsk.h).
 */
#include "tlspsk.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

/* TLS 1.3 only, PSK with (EC)DHE: every session has fresh keys. */
#define PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:-KX-ALL:+ECDHE-PSK:+DHE-PSK"
#define IDENTITY_MAX 128

struct tls_chan {
	int fd;
	gnutls_session_t s;
	gnutls_psk_client_credentials_t ccred;
	gnutls_psk_server_credentials_t scred;
	tlspsk_lookup_fn lookup;
	void *data;
	char identity[IDENTITY_MAX + 1];
	GString *in;
	uint64_t sent, received;
};

static GQuark tls_quark(void)
{
	return g_quark_from_static_string("mig-tlspsk");
}

static bool fail(GError **error, const char *what, int err)
{
	g_set_error(error, tls_quark(), err, "%s: %s", what,
		    err < 0 ? gnutls_strerror(err) : g_strerror(err));
	return false;
}

static void set_timeouts(int fd, int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static struct tls_chan *chan_new(int fd)
{
	struct tls_chan *c = g_new0(struct tls_chan, 1);

	c->fd = fd;
	c->in = g_string_new(NULL);
	return c;
}

static bool handshake(struct tls_chan *c, int timeout_ms, GError **error)
{
	int r;

	gnutls_transport_set_int(c->s, c->fd);
	gnutls_handshake_set_timeout(c->s, (unsigned int)timeout_ms);
	do {
		r = gnutls_handshake(c->s);
	} while (r < 0 && !gnutls_error_is_fatal(r));
	return r < 0 ? fail(error, "TLS handshake", r) : true;
}

struct tls_chan *tls_chan_connect(const struct mig_addr *to, const char *identity,
				  const uint8_t key[TLSPSK_KEY_LEN], int timeout_ms,
				  GError **error)
{
	gnutls_datum_t k = { (unsigned char *)key, TLSPSK_KEY_LEN };
	char where[ADDR_STRLEN];
	struct tls_chan *c;
	int fd, r;

	fd = socket(to->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fail(error, "socket", errno);
		return NULL;
	}
	set_timeouts(fd, timeout_ms);
	if (connect(fd, (const struct sockaddr *)&to->ss, to->len)) {
		int e = errno;

		close(fd);
		g_set_error(error, tls_quark(), e, "connect %s: %s",
			    addr_format(to, where, sizeof(where)), g_strerror(e));
		return NULL;
	}
	c = chan_new(fd);
	g_strlcpy(c->identity, identity, sizeof(c->identity));
	if ((r = gnutls_psk_allocate_client_credentials(&c->ccred)) < 0 ||
	    (r = gnutls_psk_set_client_credentials(c->ccred, identity, &k,
						   GNUTLS_PSK_KEY_RAW)) < 0 ||
	    (r = gnutls_init(&c->s, GNUTLS_CLIENT)) < 0 ||
	    (r = gnutls_priority_set_direct(c->s, PRIORITY, NULL)) < 0 ||
	    (r = gnutls_credentials_set(c->s, GNUTLS_CRD_PSK, c->ccred)) < 0) {
		fail(error, "TLS set-up", r);
		tls_chan_close(c);
		return NULL;
	}
	if (!handshake(c, timeout_ms, error)) {
		g_prefix_error(error, "%s: ", addr_format(to, where, sizeof(where)));
		tls_chan_close(c);
		return NULL;
	}
	return c;
}

static int server_key(gnutls_session_t s, const gnutls_datum_t *user,
		      gnutls_datum_t *key)
{
	struct tls_chan *c = gnutls_session_get_ptr(s);
	uint8_t k[TLSPSK_KEY_LEN];

	if (!user->size || user->size > IDENTITY_MAX)
		return -1;
	memcpy(c->identity, user->data, user->size);
	c->identity[user->size] = '\0';
	if (!c->lookup(c->identity, k, c->data))
		return -1;
	key->data = gnutls_malloc(TLSPSK_KEY_LEN);
	if (!key->data)
		return -1;
	memcpy(key->data, k, TLSPSK_KEY_LEN);
	key->size = TLSPSK_KEY_LEN;
	memset(k, 0, sizeof(k));
	return 0;
}

struct tls_chan *tls_chan_accept(int fd, tlspsk_lookup_fn lookup, void *data,
				 int timeout_ms, GError **error)
{
	struct tls_chan *c = chan_new(fd);
	int r;

	set_timeouts(fd, timeout_ms);
	c->lookup = lookup;
	c->data = data;
	if ((r = gnutls_psk_allocate_server_credentials(&c->scred)) < 0 ||
	    (r = gnutls_init(&c->s, GNUTLS_SERVER)) < 0 ||
	    (r = gnutls_priority_set_direct(c->s, PRIORITY, NULL)) < 0 ||
	    (r = gnutls_credentials_set(c->s, GNUTLS_CRD_PSK, c->scred)) < 0) {
		fail(error, "TLS set-up", r);
		tls_chan_close(c);
		return NULL;
	}
	gnutls_psk_set_server_credentials_function2(c->scred, server_key);
	gnutls_session_set_ptr(c->s, c);
	if (!handshake(c, timeout_ms, error)) {
		tls_chan_close(c);
		return NULL;
	}
	return c;
}

const char *tls_chan_identity(const struct tls_chan *c)
{
	return c->identity;
}

bool tls_chan_send(struct tls_chan *c, const char *line, GError **error)
{
	size_t len = strlen(line), off = 0;
	g_autofree char *buf = g_strconcat(line, "\n", NULL);

	len++;
	while (off < len) {
		ssize_t n = gnutls_record_send(c->s, buf + off, len - off);

		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			continue;
		if (n < 0)
			return fail(error, "TLS send", (int)n);
		off += (size_t)n;
	}
	c->sent += len;
	return true;
}

char *tls_chan_recv(struct tls_chan *c, GError **error)
{
	char buf[16384];

	for (;;) {
		char *nl = memchr(c->in->str, '\n', c->in->len);
		ssize_t n;

		if (nl) {
			size_t len = (size_t)(nl - c->in->str);
			char *line = g_strndup(c->in->str, len);

			g_string_erase(c->in, 0, (gssize)len + 1);
			return line;
		}
		if (c->in->len > TLSPSK_MAX_LINE) {
			g_set_error(error, tls_quark(), EMSGSIZE,
				    "message over %u bytes", TLSPSK_MAX_LINE);
			return NULL;
		}
		n = gnutls_record_recv(c->s, buf, sizeof(buf));
		if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				g_set_error(error, tls_quark(), ETIMEDOUT, "TLS receive: timed out");
				return NULL;
			}
			continue;
		}
		if (n == 0) {
			g_set_error(error, tls_quark(), ECONNRESET, "connection closed");
			return NULL;
		}
		if (n < 0) {
			fail(error, "TLS receive", (int)n);
			return NULL;
		}
		c->received += (uint64_t)n;
		g_string_append_len(c->in, buf, n);
	}
}

void tls_chan_bytes(const struct tls_chan *c, uint64_t *sent, uint64_t *received)
{
	*sent = c->sent;
	*received = c->received;
}

void tls_chan_close(struct tls_chan *c)
{
	if (!c)
		return;
	if (c->s) {
		gnutls_bye(c->s, GNUTLS_SHUT_WR);
		gnutls_deinit(c->s);
	}
	if (c->ccred)
		gnutls_psk_free_client_credentials(c->ccred);
	if (c->scred)
		gnutls_psk_free_server_credentials(c->scred);
	if (c->fd >= 0)
		close(c->fd);
	g_string_free(c->in, TRUE);
	g_free(c);
}
