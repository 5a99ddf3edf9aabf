// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * server.c - mig-agent's listener and sessions (see server.h).
 */
#define _GNU_SOURCE /* accept4() */
#include "server.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

struct server {
	const struct agent_config *c;
	struct agent *a;
	int fd;
	int stop_pipe[2];
	GThread *thread;
	gint sessions;
	GThreadPool *pool;
};

struct session {
	struct server *s;
	int fd;
};

static void serve(gpointer data, gpointer user)
{
	struct session *x = data;
	struct server *s = x->s;
	g_autoptr(GError) err = NULL;
	struct tls_chan *c;

	(void)user;
	c = tls_chan_accept(x->fd, agent_psk, s->a, (int)s->c->timeout_ms, &err);
	if (!c) {
		g_message("session refused: %s", err->message);
	} else {
		g_debug("session of %s", tls_chan_identity(c));
		for (;;) {
			g_autofree char *line = tls_chan_recv(c, NULL);
			g_autofree char *answer = NULL;

			if (!line)
				break;
			answer = agent_handle(s->a, tls_chan_identity(c), line);
			if (!tls_chan_send(c, answer, NULL))
				break;
		}
		tls_chan_close(c);
	}
	g_atomic_int_dec_and_test(&s->sessions);
	g_free(x);
}

static gpointer accept_loop(gpointer data)
{
	struct server *s = data;

	for (;;) {
		struct pollfd p[2] = { { s->fd, POLLIN, 0 }, { s->stop_pipe[0], POLLIN, 0 } };
		struct session *x;
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if ((unsigned int)g_atomic_int_get(&s->sessions) >= s->c->max_connections) {
			g_message("connection refused: %u sessions already", s->c->max_connections);
			close(fd);
			continue;
		}
		g_atomic_int_inc(&s->sessions);
		x = g_new0(struct session, 1);
		x->s = s;
		x->fd = fd;
		g_thread_pool_push(s->pool, x, NULL);
	}
	return NULL;
}

struct server *server_start(const struct agent_config *c, struct agent *a,
			    GError **error)
{
	struct server *s = g_new0(struct server, 1);
	char where[ADDR_STRLEN];
	int one = 1;

	s->c = c;
	s->a = a;
	s->fd = socket(c->listen.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->fd, (const struct sockaddr *)&c->listen.ss, c->listen.len) ||
	    listen(s->fd, 16) || pipe(s->stop_pipe)) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "listen %s: %s",
			    addr_format(&c->listen, where, sizeof(where)), g_strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		g_free(s);
		return NULL;
	}
	s->pool = g_thread_pool_new(serve, NULL, (gint)c->max_connections, FALSE, NULL);
	s->thread = g_thread_new("accept", accept_loop, s);
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	if (write(s->stop_pipe[1], "x", 1) < 0)
		g_warning("cannot stop the listener: %s", g_strerror(errno));
	g_thread_join(s->thread);
	close(s->fd);
	g_thread_pool_free(s->pool, FALSE, TRUE);
	close(s->stop_pipe[0]);
	close(s->stop_pipe[1]);
	g_free(s);
}
